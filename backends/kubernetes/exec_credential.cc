#include "backends/kubernetes/exec_credential.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <regex>
#include <vector>

extern char** environ;

namespace gdsweep {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string Base64(const std::string& in) {
  static const char kTable[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    for (int s : {18, 12, 6, 0}) out += kTable[(n >> s) & 63];
  }
  if (i < in.size()) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<uint8_t>(in[i + 1]) << 8;
    out += kTable[(n >> 18) & 63];
    out += kTable[(n >> 12) & 63];
    out += i + 1 < in.size() ? kTable[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string ExecInfo(const ExecPluginConfig& plugin, const std::string& server,
                     const std::string& ca_pem, bool insecure) {
  Json spec = {{"interactive", false}};
  if (plugin.provide_cluster_info) {
    Json cluster = {{"server", server}};
    if (!ca_pem.empty()) cluster["certificate-authority-data"] = Base64(ca_pem);
    if (insecure) cluster["insecure-skip-tls-verify"] = true;
    spec["cluster"] = cluster;
  }
  return Json{{"apiVersion", plugin.api_version}, {"kind", "ExecCredential"}, {"spec", spec}}
      .dump();
}

// A pipe whose ends close with it.
struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    if (::pipe2(fd, O_CLOEXEC) != 0) fd[0] = fd[1] = -1;
  }
  ~Pipe() {
    for (int f : fd) {
      if (f >= 0) ::close(f);
    }
  }
  void CloseWrite() {
    if (fd[1] >= 0) ::close(fd[1]);
    fd[1] = -1;
  }
};

struct ProcessOutput {
  std::string out, err;
  int status = 0;
  bool timed_out = false;
};

// Spawns argv with `env`, stdin from /dev/null, and collects stdout and
// stderr until both close, then reaps it; kills it after `timeout`.
Result<ProcessOutput> RunProcess(const std::vector<std::string>& argv,
                                 const std::vector<std::string>& env,
                                 std::chrono::milliseconds timeout) {
  Pipe out, err;
  if (out.fd[0] < 0 || err.fd[0] < 0) return Error::Io(std::string("pipe: ") + strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err.fd[1], 2);
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, cargv[0], &actions, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return Error{Error::Kind::kNotFound, strerror(rc)};
  out.CloseWrite();
  err.CloseWrite();

  ProcessOutput result;
  const auto deadline = Clock::now() + timeout;
  pollfd fds[2] = {{out.fd[0], POLLIN, 0}, {err.fd[0], POLLIN, 0}};
  int open = 2;
  while (open > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    if (::poll(fds, 2, static_cast<int>(left)) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open;
      }
    }
  }
  while (::waitpid(pid, &result.status, 0) < 0 && errno == EINTR) {
  }
  return result;
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
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    if (std::strncmp(*e, "KUBERNETES_EXEC_INFO=", 21) != 0) env.emplace_back(*e);
  }
  for (const auto& [k, v] : plugin.env) env.push_back(k + "=" + v);
  env.push_back("KUBERNETES_EXEC_INFO=" + ExecInfo(plugin, server, ca_pem, insecure));
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
