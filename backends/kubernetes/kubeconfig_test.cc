// Loading kubeconfigs as kubectl does: every kind of cluster trust and user
// credential, contexts, merging of $KUBECONFIG, ~/.kube/config, in-cluster,
// and the errors, which never show a secret.
#include "backends/kubernetes/kubeconfig.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace gdsweep {
namespace {

namespace fs = std::filesystem;

struct KubeconfigDir {
  fs::path path;
  KubeconfigDir() {
    std::string t = (fs::temp_directory_path() / "gdsweep-kubeconfig-XXXXXX").string();
    path = mkdtemp(t.data());
  }
  ~KubeconfigDir() { fs::remove_all(path); }
  std::string Write(const std::string& name, const std::string& text) const {
    fs::create_directories((path / name).parent_path());
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
};

// base64 of "-----BEGIN CERTIFICATE-----\nCA\n"
constexpr const char* kCaData = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNBCg==";

constexpr const char* kConfig = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNBCg==
- name: prod-cluster
  cluster:
    server: https://prod.example.com
    certificate-authority: certs/ca.crt
- name: lab
  cluster: {server: "https://lab:6443", insecure-skip-tls-verify: true}
users:
- name: token-user
  user: {token: s3cr3t-token}
- name: file-user
  user: {tokenFile: tokens/t, client-certificate: certs/c.crt, client-key: certs/c.key}
- name: data-user
  user:
    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNBCg==
    client-key-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNBCg==
- name: basic
  user: {username: admin, password: pw}
- name: gke
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: gke-gcloud-auth-plugin
      args: [--verbose]
      env: [{name: A, value: b}]
      installHint: Install gke-gcloud-auth-plugin with gcloud components install
      provideClusterInfo: true
- name: local-plugin
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: ./bin/plugin}
- name: legacy
  user: {auth-provider: {name: gcp}}
contexts:
- name: dev
  context: {cluster: dev-cluster, user: token-user, namespace: ml}
- name: prod
  context: {cluster: prod-cluster, user: file-user}
- name: data
  context: {cluster: lab, user: data-user}
- name: basic
  context: {cluster: lab, user: basic}
- name: gke
  context: {cluster: prod-cluster, user: gke}
- name: local
  context: {cluster: lab, user: local-plugin}
- name: legacy
  context: {cluster: lab, user: legacy}
- name: nouser
  context: {cluster: lab}
- name: broken
  context: {cluster: missing, user: token-user}
)";

struct Fixture {
  KubeconfigDir dir;
  std::string config;
  Fixture() {
    config = dir.Write("kube/config", kConfig);
    dir.Write("kube/certs/ca.crt", "CA");
    dir.Write("kube/certs/c.crt", "CERT");
    dir.Write("kube/certs/c.key", "KEY");
    dir.Write("kube/tokens/t", "file-token\n");
  }
  Result<KubeConnection> Load(const std::string& context) {
    return LoadKubeconfig({config}, context);
  }
};

TEST_CASE("current-context: server, CA data, bearer token, namespace") {
  Fixture f;
  auto c = f.Load("");
  REQUIRE_MESSAGE(c.ok(), c.error().message);
  CHECK(c->server == "https://10.0.0.1:6443");
  CHECK(c->tls.ca_pem == "-----BEGIN CERTIFICATE-----\nCA\n");
  CHECK(c->tls.ca_file.empty());
  CHECK_FALSE(c->tls.insecure_skip_verify);
  CHECK(c->credentials.token == "s3cr3t-token");
  CHECK(c->namespace_ == "ml");
  CHECK(c->description == "context 'dev' of " + f.config);
}

TEST_CASE("a named context: CA file, token file and client certificate files, relative paths") {
  Fixture f;
  auto c = f.Load("prod");
  REQUIRE_MESSAGE(c.ok(), c.error().message);
  CHECK(c->server == "https://prod.example.com");
  CHECK(c->tls.ca_file == (f.dir.path / "kube/certs/ca.crt").string());
  CHECK(c->credentials.token_file == (f.dir.path / "kube/tokens/t").string());
  CHECK(c->tls.client_cert_file == (f.dir.path / "kube/certs/c.crt").string());
  CHECK(c->tls.client_key_file == (f.dir.path / "kube/certs/c.key").string());
  CHECK(c->namespace_.empty());
}

TEST_CASE("insecure-skip-tls-verify, client certificate data, basic auth, no user") {
  Fixture f;
  auto data = f.Load("data");
  REQUIRE(data.ok());
  CHECK(data->tls.insecure_skip_verify);
  CHECK(data->tls.client_cert_pem == "-----BEGIN CERTIFICATE-----\nCA\n");
  CHECK(data->tls.client_key_pem == "-----BEGIN CERTIFICATE-----\nCA\n");
  auto basic = f.Load("basic");
  REQUIRE(basic.ok());
  CHECK(basic->credentials.username == "admin");
  CHECK(basic->credentials.password == "pw");
  auto none = f.Load("nouser");
  REQUIRE(none.ok());
  CHECK(none->credentials.token.empty());
  CHECK_FALSE(none->credentials.exec);
}

TEST_CASE("exec plugins: argv, env, apiVersion, install hint; relative commands") {
  Fixture f;
  auto gke = f.Load("gke");
  REQUIRE(gke.ok());
  REQUIRE(gke->credentials.exec);
  const ExecPluginConfig& e = *gke->credentials.exec;
  CHECK(e.command == "gke-gcloud-auth-plugin");  // no '/': looked up on PATH
  CHECK(e.args == std::vector<std::string>{"--verbose"});
  CHECK(e.env == std::vector<std::pair<std::string, std::string>>{{"A", "b"}});
  CHECK(e.api_version == "client.authentication.k8s.io/v1beta1");
  CHECK(e.provide_cluster_info);
  CHECK(e.install_hint.find("gcloud components install") != std::string::npos);
  auto local = f.Load("local");
  REQUIRE(local.ok());
  CHECK(local->credentials.exec->command == (f.dir.path / "kube/bin/plugin").string());
}

TEST_CASE("errors name the file and the problem, and show no secret") {
  Fixture f;
  auto missing = f.Load("nope");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("has no context 'nope'") != std::string::npos);
  CHECK(missing.error().message.find("dev, ") != std::string::npos);  // lists the contexts
  auto broken = f.Load("broken");
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().message.find("no cluster 'missing'") != std::string::npos);
  auto legacy = f.Load("legacy");
  REQUIRE_FALSE(legacy.ok());
  CHECK(legacy.error().message.find("auth-provider 'gcp' is not supported") != std::string::npos);
  for (const auto& r : {missing, broken, legacy}) {
    CHECK(r.error().message.find("s3cr3t") == std::string::npos);
    CHECK(r.error().kind == Error::Kind::kInvalidInput);
  }
  auto bad_yaml = LoadKubeconfig({f.dir.Write("bad", "clusters: [\n")}, "");
  REQUIRE_FALSE(bad_yaml.ok());
  CHECK(bad_yaml.error().message.find("bad:") != std::string::npos);
  auto no_current = LoadKubeconfig({f.dir.Write("empty", "apiVersion: v1\n")}, "");
  REQUIRE_FALSE(no_current.ok());
  CHECK(no_current.error().message.find("no current-context") != std::string::npos);
  auto missing_file = f.dir.Write("k2", R"(current-context: c
contexts: [{name: c, context: {cluster: k, user: u}}]
clusters: [{name: k, cluster: {server: "https://x", certificate-authority: /no/such/ca}}]
users: [{name: u, user: {token: t}}]
)");
  auto r = LoadKubeconfig({missing_file}, "");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("/no/such/ca does not exist") != std::string::npos);
}

TEST_CASE("$KUBECONFIG files merge: the first to define a name or current-context wins") {
  Fixture f;
  const std::string a = f.dir.Write("a", R"(current-context: one
clusters: [{name: k, cluster: {server: "https://first"}}]
users: [{name: u, user: {token: from-a}}]
contexts: [{name: one, context: {cluster: k, user: u}}]
)");
  const std::string b = f.dir.Write("b", R"(current-context: two
clusters: [{name: k, cluster: {server: "https://second"}}, {name: k2, cluster: {server: "https://k2"}}]
users: [{name: u, user: {token: from-b}}]
contexts: [{name: two, context: {cluster: k2, user: u, namespace: b}}]
)");
  ConnectionSources s;
  s.kubeconfig_env = a + ":/does/not/exist:" + b;
  auto one = ResolveConnection(s);
  REQUIRE_MESSAGE(one.ok(), one.error().message);
  CHECK(one->server == "https://first");
  CHECK(one->credentials.token == "from-a");
  s.context = "two";
  auto two = ResolveConnection(s);
  REQUIRE(two.ok());
  CHECK(two->server == "https://k2");
  CHECK(two->credentials.token == "from-a");  // user u came from a first
  CHECK(two->namespace_ == "b");
}

TEST_CASE("the order: an explicit file, $KUBECONFIG, ~/.kube/config, in-cluster") {
  Fixture f;
  ConnectionSources s;
  s.home = f.dir.path.string();
  f.dir.Write(".kube/config", R"(current-context: home
clusters: [{name: k, cluster: {server: "https://home"}}]
contexts: [{name: home, context: {cluster: k}}]
)");
  CHECK(ResolveConnection(s)->server == "https://home");
  s.kubeconfig_env = f.config;
  CHECK(ResolveConnection(s)->server == "https://10.0.0.1:6443");
  s.kubeconfig = f.config;
  s.context = "lab-missing";
  CHECK_FALSE(ResolveConnection(s).ok());
  s.kubeconfig = "/no/such/kubeconfig";
  auto r = ResolveConnection(s);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "kubeconfig /no/such/kubeconfig does not exist");

  ConnectionSources none;
  none.home = (f.dir.path / "nohome").string();
  auto nothing = ResolveConnection(none);
  REQUIRE_FALSE(nothing.ok());
  CHECK(nothing.error().message.find("no Kubernetes cluster configured") != std::string::npos);
}

TEST_CASE("in-cluster: the service account's token file, CA and namespace") {
  KubeconfigDir dir;
  dir.Write("sa/token", "pod-token");
  dir.Write("sa/ca.crt", "CA");
  dir.Write("sa/namespace", "ml-jobs\n");
  ConnectionSources s;
  s.home = (dir.path / "nohome").string();
  s.service_host = "10.96.0.1";
  s.service_port = "443";
  s.service_account_dir = (dir.path / "sa").string();
  auto c = ResolveConnection(s);
  REQUIRE_MESSAGE(c.ok(), c.error().message);
  CHECK(c->server == "https://10.96.0.1:443");
  CHECK(c->credentials.token_file == (dir.path / "sa/token").string());
  CHECK(c->tls.ca_file == (dir.path / "sa/ca.crt").string());
  CHECK(c->namespace_ == "ml-jobs");
  s.service_host = "fd00::1";
  CHECK(LoadInCluster(s)->server == "https://[fd00::1]:443");
  s.service_account_dir = (dir.path / "none").string();
  CHECK_FALSE(LoadInCluster(s).ok());
}

}  // namespace
}  // namespace gdsweep
