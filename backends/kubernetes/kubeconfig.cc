#include "backends/kubernetes/kubeconfig.h"

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "backends/kubernetes/yaml_json.h"
#include "sweeper/model/base64.h"
#include "sweeper/model/redact.h"

namespace gdsweep {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

Result<std::string> ReadFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::Invalid(what + " " + path + " cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string ConfigStr(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A named entry (clusters[], users[], contexts[]) with the file it came from.
struct Named {
  Json body;
  std::string file;
};

struct Merged {
  std::map<std::string, Named> clusters, users, contexts;
  std::string current_context;
};

// kubeconfig paths are relative to the file that names them; '~/' is $HOME.
std::string ResolvePath(const std::string& path, const std::string& file) {
  if (path.empty()) return path;
  if (path.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    return std::string(home ? home : "") + path.substr(1);
  }
  fs::path p(path);
  if (p.is_absolute()) return path;
  return (fs::path(file).parent_path() / p).lexically_normal().string();
}

Status MergeFile(const std::string& file, Merged& merged) {
  auto text = ReadFile(file, "kubeconfig");
  if (!text) return text.error();
  auto json = YamlToJson(*text, file);
  if (!json) return json.error();
  Json root = Json::parse(*json, nullptr, false);
  if (root.is_null()) return {};  // an empty file adds nothing
  if (!root.is_object()) return Error::Invalid("kubeconfig " + file + ": not a mapping");
  for (const auto& [section, field, target] :
       {std::tuple{"clusters", "cluster", &merged.clusters},
        std::tuple{"users", "user", &merged.users},
        std::tuple{"contexts", "context", &merged.contexts}}) {
    auto list = root.find(section);
    if (list == root.end() || list->is_null()) continue;
    if (!list->is_array()) {
      return Error::Invalid("kubeconfig " + file + ": " + section + " is not a list");
    }
    for (const auto& item : *list) {
      const std::string name = item.is_object() ? ConfigStr(item, "name") : "";
      if (name.empty()) {
        return Error::Invalid("kubeconfig " + file + ": an entry of " + section + " has no name");
      }
      auto body = item.find(field);
      if (body == item.end() || !body->is_object()) {
        return Error::Invalid("kubeconfig " + file + ": " + section + " '" + name + "' has no " +
                              field);
      }
      target->emplace(name, Named{*body, file});  // the first definition wins
    }
  }
  if (merged.current_context.empty()) merged.current_context = ConfigStr(root, "current-context");
  return {};
}

std::string Names(const std::map<std::string, Named>& m) {
  std::string out;
  for (const auto& [name, _] : m) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "none" : out;
}

Status ReadCluster(const Named& c, const std::string& where, KubeConnection& conn) {
  conn.server = ConfigStr(c.body, "server");
  while (!conn.server.empty() && conn.server.back() == '/') conn.server.pop_back();
  if (conn.server.empty()) return Error::Invalid(where + ": the cluster has no server");
  if (conn.server.rfind("https://", 0) != 0 && conn.server.rfind("http://", 0) != 0) {
    return Error::Invalid(where + ": server '" + RedactUrl(conn.server) +
                          "' is not an http(s) URL");
  }
  conn.tls.ca_file = ResolvePath(ConfigStr(c.body, "certificate-authority"), c.file);
  const std::string ca_data = ConfigStr(c.body, "certificate-authority-data");
  if (!ca_data.empty()) {
    auto pem = DecodeBase64(ca_data);
    if (!pem) return Error::Invalid(where + ": certificate-authority-data is not base64");
    conn.tls.ca_pem = *pem;
    conn.tls.ca_file.clear();  // data wins, as in kubectl
  }
  auto insecure = c.body.find("insecure-skip-tls-verify");
  conn.tls.insecure_skip_verify =
      insecure != c.body.end() && insecure->is_boolean() && insecure->get<bool>();
  if (!conn.tls.ca_file.empty() && !fs::exists(conn.tls.ca_file)) {
    return Error::Invalid(where + ": certificate-authority " + conn.tls.ca_file +
                          " does not exist");
  }
  return {};
}

Result<ExecPluginConfig> ReadExec(const Json& e, const std::string& file,
                                  const std::string& where) {
  ExecPluginConfig exec;
  exec.command = ConfigStr(e, "command");
  if (exec.command.empty()) return Error::Invalid(where + ": exec has no command");
  if (exec.command.find('/') != std::string::npos) exec.command = ResolvePath(exec.command, file);
  exec.api_version = ConfigStr(e, "apiVersion");
  if (exec.api_version != "client.authentication.k8s.io/v1" &&
      exec.api_version != "client.authentication.k8s.io/v1beta1") {
    return Error::Invalid(where + ": exec apiVersion '" + exec.api_version +
                          "' is not client.authentication.k8s.io/v1 or v1beta1");
  }
  if (auto args = e.find("args"); args != e.end() && args->is_array()) {
    for (const auto& a : *args) {
      if (a.is_string()) exec.args.push_back(a.get<std::string>());
    }
  }
  if (auto env = e.find("env"); env != e.end() && env->is_array()) {
    for (const auto& v : *env) {
      if (v.is_object()) exec.env.emplace_back(ConfigStr(v, "name"), ConfigStr(v, "value"));
    }
  }
  exec.install_hint = ConfigStr(e, "installHint");
  auto info = e.find("provideClusterInfo");
  exec.provide_cluster_info = info != e.end() && info->is_boolean() && info->get<bool>();
  return exec;
}

Status ReadUser(const Named& u, const std::string& where, KubeConnection& conn) {
  const Json& b = u.body;
  KubeCredentials& cr = conn.credentials;
  cr.token = ConfigStr(b, "token");
  cr.token_file = ResolvePath(ConfigStr(b, "tokenFile"), u.file);
  cr.username = ConfigStr(b, "username");
  cr.password = ConfigStr(b, "password");
  conn.tls.client_cert_file = ResolvePath(ConfigStr(b, "client-certificate"), u.file);
  conn.tls.client_key_file = ResolvePath(ConfigStr(b, "client-key"), u.file);
  for (const auto& [key, target, file] :
       {std::tuple{"client-certificate-data", &conn.tls.client_cert_pem,
                   &conn.tls.client_cert_file},
        std::tuple{"client-key-data", &conn.tls.client_key_pem, &conn.tls.client_key_file}}) {
    const std::string data = ConfigStr(b, key);
    if (data.empty()) continue;
    auto pem = DecodeBase64(data);
    if (!pem) return Error::Invalid(where + ": " + key + " is not base64");
    *target = *pem;
    file->clear();
  }
  for (const std::string* path :
       {&cr.token_file, &conn.tls.client_cert_file, &conn.tls.client_key_file}) {
    if (!path->empty() && !fs::exists(*path)) {
      return Error::Invalid(where + ": " + *path + " does not exist");
    }
  }
  const bool has_cert = !conn.tls.client_cert_file.empty() || !conn.tls.client_cert_pem.empty();
  const bool has_key = !conn.tls.client_key_file.empty() || !conn.tls.client_key_pem.empty();
  if (has_cert != has_key) {
    return Error::Invalid(where +
                          ": a client certificate needs its key, and a key its certificate");
  }
  if (auto e = b.find("exec"); e != b.end() && e->is_object()) {
    auto exec = ReadExec(*e, u.file, where);
    if (!exec) return exec.error();
    cr.exec = *exec;
  }
  if (auto p = b.find("auth-provider"); p != b.end() && p->is_object()) {
    return Error::Invalid(where + ": auth-provider '" + ConfigStr(*p, "name") +
                          "' is not supported (it was removed from kubectl); use an exec "
                          "credential plugin such as gke-gcloud-auth-plugin or kubelogin");
  }
  return {};
}

}  // namespace

ConnectionSources SourcesFromEnvironment(const std::string& kubeconfig,
                                         const std::string& context) {
  auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v ? v : "");
  };
  ConnectionSources s;
  s.kubeconfig = kubeconfig;
  s.kubeconfig_env = env("KUBECONFIG");
  s.home = env("HOME");
  s.context = context;
  s.service_host = env("KUBERNETES_SERVICE_HOST");
  s.service_port = env("KUBERNETES_SERVICE_PORT");
  return s;
}

Result<KubeConnection> LoadKubeconfig(const std::vector<std::string>& files,
                                      const std::string& context) {
  Merged merged;
  for (const auto& f : files) {
    if (auto s = MergeFile(f, merged); !s) return s.error();
  }
  std::string all;
  for (const auto& f : files) all += (all.empty() ? "" : ":") + f;
  const std::string name = context.empty() ? merged.current_context : context;
  if (name.empty()) {
    return Error::Invalid("kubeconfig " + all +
                          " has no current-context; name one with kubernetes.context (contexts: " +
                          Names(merged.contexts) + ")");
  }
  auto ctx = merged.contexts.find(name);
  if (ctx == merged.contexts.end()) {
    return Error::Invalid("kubeconfig " + all + " has no context '" + name +
                          "' (contexts: " + Names(merged.contexts) + ")");
  }
  KubeConnection conn;
  conn.description = "context '" + name + "' of " + all;
  const std::string cluster = ConfigStr(ctx->second.body, "cluster");
  auto c = merged.clusters.find(cluster);
  if (c == merged.clusters.end()) {
    return Error::Invalid(conn.description + ": no cluster '" + cluster +
                          "' (clusters: " + Names(merged.clusters) + ")");
  }
  if (auto s = ReadCluster(c->second, conn.description + ": cluster '" + cluster + "'", conn); !s) {
    return s.error();
  }
  const std::string user = ConfigStr(ctx->second.body, "user");
  if (!user.empty()) {
    auto u = merged.users.find(user);
    if (u == merged.users.end()) {
      return Error::Invalid(conn.description + ": no user '" + user +
                            "' (users: " + Names(merged.users) + ")");
    }
    if (auto s = ReadUser(u->second, conn.description + ": user '" + user + "'", conn); !s) {
      return s.error();
    }
  }
  conn.namespace_ = ConfigStr(ctx->second.body, "namespace");
  return conn;
}

Result<KubeConnection> LoadInCluster(const ConnectionSources& sources) {
  if (sources.service_host.empty() || sources.service_port.empty()) {
    return Error::Invalid(
        "not running in a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset");
  }
  const fs::path dir(sources.service_account_dir);
  KubeConnection conn;
  const bool ipv6 = sources.service_host.find(':') != std::string::npos;
  conn.server = "https://" + (ipv6 ? "[" + sources.service_host + "]" : sources.service_host) +
                ":" + sources.service_port;
  conn.credentials.token_file = (dir / "token").string();
  if (!fs::exists(conn.credentials.token_file)) {
    return Error::Invalid("in-cluster: no service account token at " + conn.credentials.token_file);
  }
  if (fs::exists(dir / "ca.crt")) conn.tls.ca_file = (dir / "ca.crt").string();
  if (auto ns = ReadFile((dir / "namespace").string(), "namespace file"); ns) {
    conn.namespace_ = *ns;
    while (!conn.namespace_.empty() &&
           std::isspace(static_cast<unsigned char>(conn.namespace_.back()))) {
      conn.namespace_.pop_back();
    }
  }
  conn.description = "the in-cluster service account (" + sources.service_account_dir + ")";
  return conn;
}

Result<KubeConnection> ResolveConnection(const ConnectionSources& sources) {
  if (!sources.kubeconfig.empty()) {
    std::string path = sources.kubeconfig;
    if (path.rfind("~/", 0) == 0) path = sources.home + path.substr(1);
    if (!fs::exists(path)) return Error::Invalid("kubeconfig " + path + " does not exist");
    return LoadKubeconfig({path}, sources.context);
  }
  if (!sources.kubeconfig_env.empty()) {
    std::vector<std::string> files;
    std::stringstream list(sources.kubeconfig_env);
    std::string f;
    while (std::getline(list, f, ':')) {
      if (!f.empty() && fs::exists(f)) files.push_back(f);
    }
    if (files.empty()) {
      return Error::Invalid("none of the files in KUBECONFIG (" + sources.kubeconfig_env +
                            ") exists");
    }
    return LoadKubeconfig(files, sources.context);
  }
  const std::string home_config = sources.home + "/.kube/config";
  if (!sources.home.empty() && fs::exists(home_config)) {
    return LoadKubeconfig({home_config}, sources.context);
  }
  if (!sources.service_host.empty()) return LoadInCluster(sources);
  return Error::Invalid(
      "no Kubernetes cluster configured: no kubeconfig (kubernetes.kubeconfig, $KUBECONFIG, "
      "~/.kube/config) and not running in a pod");
}

}  // namespace gdsweep
