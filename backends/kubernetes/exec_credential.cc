#include "backends/kubernetes/exec_credential.h"

#include <sys/wait.h>

#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <vector>

#include "backends/process/run_process.h"
#include "sweeper/model/base64.h"

namespace gdsweep {
namespace {

using Json = nlohmann::json;

std::string ExecInfo(const ExecPluginConfig& plugin, const std::string& server,
                     const std::string& ca_pem, bool insecure) {
  Json spec = {{"interactive", false}};
  if (plugin.provide_cluster_info) {
    Json cluster = {{"server", server}};
    if (!ca_pem.empty()) cluster["certificate-authority-data"] = EncodeBase64(ca_pem);
    if (insecure) cluster["insecure-skip-tls-verify"] = true;
    spec["cluster"] = cluster;
  }
  return Json{{"apiVersion", plugin.api_version}, {"kind", "ExecCredential"}, {"spec", spec}}
      .dump();
}

std::string LastLine(const std::string& text) {
  std::string last;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
    start = end + 1;
  }
  if (last.size() > 300) last = last.substr(0, 300) + "...";
  return last;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> ParseRfc3339(const std::string& text) {
  static const std::regex kTime(
      "(\\d{4})-(\\d{2})-(\\d{2})[Tt "
      "](\\d{2}):(\\d{2}):(\\d{2})(\\.\\d+)?([Zz]|([+-])(\\d{2}):(\\d{2}))");
  std::smatch m;
  if (!std::regex_match(text, m, kTime)) return std::nullopt;
  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = std::stoi(m[6]);
  time_t t = timegm(&tm);
  if (m[9].matched) {
    const int offset = std::stoi(m[10]) * 3600 + std::stoi(m[11]) * 60;
    t += m[9] == "+" ? -offset : offset;
  }
  return std::chrono::system_clock::from_time_t(t);
}

Result<ExecCredential> ParseExecCredential(const std::string& json,
                                           const std::string& api_version) {
  Json j = Json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Error::Invalid("its output is not an ExecCredential JSON object");
  }
  if (j.value("kind", "") != "ExecCredential") {
    return Error::Invalid("its output is not an ExecCredential (kind is '" + j.value("kind", "") +
                          "')");
  }
  if (j.value("apiVersion", "") != api_version) {
    return Error::Invalid("it answered apiVersion '" + j.value("apiVersion", "") +
                          "', the kubeconfig asks for '" + api_version + "'");
  }
  auto status = j.find("status");
  if (status == j.end() || !status->is_object()) {
    return Error::Invalid("its ExecCredential has no status");
  }
  ExecCredential c;
  c.token = status->value("token", "");
  c.client_cert_pem = status->value("clientCertificateData", "");
  c.client_key_pem = status->value("clientKeyData", "");
  if (c.token.empty() && (c.client_cert_pem.empty() || c.client_key_pem.empty())) {
    return Error::Invalid(
        "its ExecCredential has neither a token nor a client certificate and key");
  }
  const std::string expiry = status->value("expirationTimestamp", "");
  if (!expiry.empty()) {
    c.expiry = ParseRfc3339(expiry);
    if (!c.expiry) {
      return Error::Invalid("its expirationTimestamp '" + expiry + "' is not an RFC 3339 time");
    }
  }
  return c;
}

Result<ExecCredential> RunExecPlugin(const ExecPluginConfig& plugin, const std::string& server,
                                     const std::string& ca_pem, bool insecure,
                                     std::chrono::milliseconds timeout) {
  const std::string name = "exec credential plugin '" + plugin.command + "'";
  std::vector<std::string> argv{plugin.command};
  argv.insert(argv.end(), plugin.args.begin(), plugin.args.end());
  // Our environment with the plugin's entries and the cluster info added.
  std::map<std::string, std::string> env(plugin.env.begin(), plugin.env.end());
  env["KUBERNETES_EXEC_INFO"] = ExecInfo(plugin, server, ca_pem, insecure);
  auto run = RunProcess(argv, env, timeout);
  if (!run) {
    std::string msg = name + " cannot be run: " + run.error().message;
    if (!plugin.install_hint.empty()) msg += "\n" + plugin.install_hint;
    return Error::Invalid(msg);
  }
  if (run->timed_out) {
    return Error::Invalid(name + " did not finish within " +
                          std::to_string(timeout.count() / 1000) + "s");
  }
  if (!WIFEXITED(run->status) || WEXITSTATUS(run->status) != 0) {
    std::string msg =
        name + (WIFEXITED(run->status)
                    ? " exited with code " + std::to_string(WEXITSTATUS(run->status))
                    : " was killed by signal " + std::to_string(WTERMSIG(run->status)));
    std::string last = LastLine(run->err);
    if (!last.empty()) msg += ": " + last;
    if (WIFEXITED(run->status) && WEXITSTATUS(run->status) == 127 && !plugin.install_hint.empty()) {
      msg += "\n" + plugin.install_hint;
    }
    return Error::Invalid(msg);
  }
  auto credential = ParseExecCredential(run->out, plugin.api_version);
  if (!credential) return credential.error().Wrap(name);
  return credential;
}

}  // namespace gdsweep
