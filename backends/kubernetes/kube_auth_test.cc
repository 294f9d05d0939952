// Credentials per request: static tokens, token files, and exec plugins run
// as argv (a fake plugin script here), their ExecCredential parsed and
// cached until expirationTimestamp, refreshed after Invalidate().
#include "backends/kubernetes/kube_auth.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "backends/kubernetes/exec_credential.h"

namespace gdsweep {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using SysClock = std::chrono::system_clock;

struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "gdsweep-auth-XXXXXX").string();
    path = mkdtemp(t.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A plugin that counts its runs, records its argv and KUBERNETES_EXEC_INFO,
// and prints the credential in $DIR/out.json.
std::string WritePlugin(const fs::path& dir) {
  const fs::path script = dir / "plugin.sh";
  std::ofstream(script) << "#!/bin/sh\n"
                        << "echo run >> \"" << (dir / "runs").string() << "\"\n"
                        << "printf '%s\\n' \"$@\" > \"" << (dir / "argv").string() << "\"\n"
                        << "printf '%s' \"$KUBERNETES_EXEC_INFO\" > \"" << (dir / "info").string()
                        << "\"\n"
                        << "printf '%s' \"$PLUGIN_ENV\" > \"" << (dir / "env").string() << "\"\n"
                        << "if [ -f \"" << (dir / "fail").string()
                        << "\" ]; then echo 'error: login required' >&2; exit 3; fi\n"
                        << "cat \"" << (dir / "out.json").string() << "\"\n";
  ::chmod(script.c_str(), 0755);
  return script.string();
}

void WriteCredential(const fs::path& dir, const std::string& token, const std::string& expiry,
                     const std::string& api = "client.authentication.k8s.io/v1") {
  std::string status = "{\"token\":\"" + token + "\"";
  if (!expiry.empty()) status += ",\"expirationTimestamp\":\"" + expiry + "\"";
  std::ofstream(dir / "out.json") << "{\"apiVersion\":\"" << api
                                  << "\",\"kind\":\"ExecCredential\",\"status\":" << status << "}}";
}

int Runs(const fs::path& dir) {
  std::istringstream in(Slurp(dir / "runs"));
  int n = 0;
  std::string line;
  while (std::getline(in, line)) ++n;
  return n;
}

KubeConnection PluginConnection(const std::string& script) {
  KubeConnection c;
  c.server = "https://127.0.0.1:6443";
  c.tls.ca_pem = "PEM";
  ExecPluginConfig e;
  e.command = script;
  e.args = {"get-token", "--cluster", "a b"};
  e.env = {{"PLUGIN_ENV", "set"}};
  e.api_version = "client.authentication.k8s.io/v1";
  e.provide_cluster_info = true;
  c.credentials.exec = e;
  return c;
}

TEST_CASE("RFC 3339 times") {
  auto t = ParseRfc3339("2024-05-01T12:00:00Z");
  REQUIRE(t);
  CHECK(SysClock::to_time_t(*t) == 1714564800);
  CHECK(SysClock::to_time_t(*ParseRfc3339("2024-05-01T14:00:00.123+02:00")) == 1714564800);
  CHECK_FALSE(ParseRfc3339("yesterday"));
}

TEST_CASE("an exec plugin runs as argv with its env and cluster info; its token is cached") {
  TempDir dir;
  const std::string script = WritePlugin(dir.path);
  WriteCredential(dir.path, "tok-1", "2099-01-01T00:00:00Z");
  CredentialSource source(PluginConnection(script));
  auto a = source.Get();
  REQUIRE_MESSAGE(a.ok(), a.error().message);
  CHECK(a->bearer_token == "tok-1");
  CHECK(source.Get()->bearer_token == "tok-1");
  CHECK(source.Get()->bearer_token == "tok-1");
  CHECK(Runs(dir.path) == 1);
  CHECK(source.plugin_runs() == 1);
  CHECK(Slurp(dir.path / "argv") == "get-token\n--cluster\na b\n");  // no shell splitting
  CHECK(Slurp(dir.path / "env") == "set");
  const std::string info = Slurp(dir.path / "info");
  CHECK(info.find("\"kind\":\"ExecCredential\"") != std::string::npos);
  CHECK(info.find("\"server\":\"https://127.0.0.1:6443\"") != std::string::npos);
  CHECK(info.find("\"certificate-authority-data\":\"UEVN\"") != std::string::npos);
}

TEST_CASE("the plugin runs again when its token expires, and after Invalidate()") {
  TempDir dir;
  const std::string script = WritePlugin(dir.path);
  WriteCredential(dir.path, "tok-1", "2030-01-01T00:00:00Z");
  auto now = SysClock::from_time_t(1893456000 - 3600);  // 2029-12-31T23:00:00Z
  CredentialSource source(PluginConnection(script), [&] { return now; });
  CHECK(source.Get()->bearer_token == "tok-1");
  now += 30min;
  CHECK(source.Get()->bearer_token == "tok-1");
  CHECK(Runs(dir.path) == 1);
  WriteCredential(dir.path, "tok-2", "2030-01-01T01:00:00Z");
  now += 31min;  // past the expiry
  CHECK(source.Get()->bearer_token == "tok-2");
  CHECK(Runs(dir.path) == 2);
  WriteCredential(dir.path, "tok-3", "");
  source.Invalidate();  // a 401
  CHECK(source.Get()->bearer_token == "tok-3");
  now += 1000h;  // no expiry: kept until the server refuses it
  CHECK(source.Get()->bearer_token == "tok-3");
  CHECK(Runs(dir.path) == 3);
}

TEST_CASE("plugin failures are clear and never quote the credential") {
  TempDir dir;
  const std::string script = WritePlugin(dir.path);
  WriteCredential(dir.path, "very-secret", "", "client.authentication.k8s.io/v1beta1");
  CredentialSource wrong_version(PluginConnection(script));
  auto r = wrong_version.Get();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("apiVersion 'client.authentication.k8s.io/v1beta1'") !=
        std::string::npos);
  CHECK(r.error().message.find("very-secret") == std::string::npos);

  std::ofstream(dir.path / "fail") << "";
  CredentialSource failing(PluginConnection(script));
  r = failing.Get();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message ==
        "exec credential plugin '" + script + "' exited with code 3: error: login required");

  KubeConnection missing = PluginConnection((dir.path / "no-such-plugin").string());
  missing.credentials.exec->install_hint = "Install it with: gcloud components install x";
  r = CredentialSource(missing).Get();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("cannot be run") != std::string::npos);
  CHECK(r.error().message.find("gcloud components install x") != std::string::npos);

  CHECK_FALSE(ParseExecCredential("{\"kind\":\"ExecCredential\",\"apiVersion\":\"v\"}", "v").ok());
  CHECK_FALSE(ParseExecCredential("not json", "v").ok());
}

TEST_CASE("a token file is read, trimmed, and read again after a 401") {
  TempDir dir;
  std::ofstream(dir.path / "token") << "first\n";
  KubeConnection c;
  c.credentials.token_file = (dir.path / "token").string();
  CredentialSource source(c);
  CHECK(source.Get()->bearer_token == "first");
  std::ofstream(dir.path / "token") << "rotated";
  CHECK(source.Get()->bearer_token == "first");  // cached for a minute
  source.Invalidate();
  CHECK(source.Get()->bearer_token == "rotated");
}

TEST_CASE("static token and basic auth") {
  KubeConnection c;
  c.credentials.token = "abc";
  CHECK(CredentialSource(c).Get()->bearer_token == "abc");
  KubeConnection b;
  b.credentials.username = "u";
  b.credentials.password = "p";
  auto auth = CredentialSource(b).Get();
  CHECK(auth->username == "u");
  CHECK(auth->password == "p");
  CHECK(auth->bearer_token.empty());
}

}  // namespace
}  // namespace gdsweep
