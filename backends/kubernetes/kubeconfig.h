// Finding the cluster and how to authenticate to it, as kubectl does: a
// kubeconfig (an explicit file, else $KUBECONFIG's files merged, else
// ~/.kube/config) at its current or a named context, with the server's CA
// (file or data) or insecure-skip-tls-verify, and a bearer token, token
// file, client certificate and key, basic auth or an exec credential plugin;
// else, inside a pod, the in-cluster service account. Only reads files;
// never runs a plugin (see kube_auth.h). Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backends/http/http_client.h"
#include "sweeper/model/result.h"

namespace gdsweep {

// users[].user.exec of a kubeconfig: a program that prints an ExecCredential.
struct ExecPluginConfig {
  std::string command;  // a path with '/' is resolved against the kubeconfig's folder
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string api_version;  // client.authentication.k8s.io/v1 or v1beta1
  std::string install_hint;
  bool provide_cluster_info = false;
  friend bool operator==(const ExecPluginConfig&, const ExecPluginConfig&) = default;
};

// How requests authenticate; at most one kind is set.
struct KubeCredentials {
  std::string token;       // a bearer token
  std::string token_file;  // a file holding one, re-read as it rotates
  std::optional<ExecPluginConfig> exec;
  std::string username;  // HTTP basic (old clusters)
  std::string password;
};

struct KubeConnection {
  std::string server;  // "https://host:port" without a trailing '/'
  TlsOptions tls;      // CA, client certificate and key, insecure_skip_verify
  KubeCredentials credentials;
  std::string namespace_;   // the context's (or the pod's) namespace; may be empty
  std::string description;  // "context 'x' of /home/u/.kube/config": for messages
};

// Where to look. SourcesFromEnvironment() fills it as kubectl would.
struct ConnectionSources {
  std::string kubeconfig;      // an explicit file; wins over the rest
  std::string kubeconfig_env;  // $KUBECONFIG: files separated by ':'
  std::string home;            // $HOME, for ~/.kube/config and '~/' in paths
  std::string context;         // empty: current-context
  std::string service_host;    // $KUBERNETES_SERVICE_HOST (set inside a pod)
  std::string service_port;    // $KUBERNETES_SERVICE_PORT
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

ConnectionSources SourcesFromEnvironment(const std::string& kubeconfig, const std::string& context);

// The connection: the explicit kubeconfig, else $KUBECONFIG, else
// ~/.kube/config if it exists, else the in-cluster service account. Errors
// (Error::Invalid) name the file and what is wrong, never a secret.
Result<KubeConnection> ResolveConnection(const ConnectionSources& sources);

// One or more kubeconfig files, merged as kubectl merges them (the first
// file to define a name or current-context wins).
Result<KubeConnection> LoadKubeconfig(const std::vector<std::string>& files,
                                      const std::string& context);

// Inside a pod: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT with
// the service account's token file, CA and namespace.
Result<KubeConnection> LoadInCluster(const ConnectionSources& sources);

}  // namespace gdsweep
