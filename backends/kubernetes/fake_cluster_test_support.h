// Tests only: the fake Kubernetes API server (tests/fakes/kube) started on
// 127.0.0.1 with an ephemeral port in a fresh folder, its request log and
// admin endpoints, and a KubeConnection to it. Stopped (and its pod
// processes killed) when the object goes. Not thread-safe.
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "backends/http/http_client.h"
#include "backends/kubernetes/kubeconfig.h"
#include "tests/source_dir.h"

extern char** environ;

namespace gdsweep::testing {

namespace fs = std::filesystem;

inline fs::path RepoRoot() { return SourceDir(); }

// One line of the fake's request log.
struct LoggedRequest {
  std::string method, path, name, fault;
  long status = 0;
};

class FakeCluster {
 public:
  explicit FakeCluster(std::vector<std::string> flags = {}) {
    std::string t = (fs::temp_directory_path() / "gdsweep-fake-kube-XXXXXX").string();
    dir_ = mkdtemp(t.data());
    std::vector<std::string> argv = {
        "/usr/bin/python3", (RepoRoot() / "tests/fakes/kube/fake_kube.py").string(),
        "--port",           "0",
        "--port-file",      (dir_ / "port").string(),
        "--request-log",    (dir_ / "requests.log").string(),
        "--workdir",        dir_.string()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    for (const auto& f : flags) https_ = https_ || f == "--tls-cert";
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawn_file_actions_t files;  // its chatter goes to fake.log
    posix_spawn_file_actions_init(&files);
    const std::string log = (dir_ / "fake.log").string();
    posix_spawn_file_actions_addopen(&files, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&files, 1, 2);
    REQUIRE(posix_spawn(&pid_, cargv[0], &files, &attr, cargv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&files);
    posix_spawnattr_destroy(&attr);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (port_ == 0 && std::chrono::steady_clock::now() < deadline) {
      std::ifstream in(dir_ / "port");
      if (!(in >> port_)) {
        port_ = 0;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    REQUIRE_MESSAGE(port_ != 0, "the fake Kubernetes API server did not start");
  }

  ~FakeCluster() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  const fs::path& dir() const { return dir_; }
  std::string Url() const {
    return (https_ ? "https" : "http") + std::string("://127.0.0.1:") + std::to_string(port_);
  }

  KubeConnection Connection(const std::string& token = "") const {
    KubeConnection c;
    c.server = Url();
    c.credentials.token = token;
    c.description = "the fake cluster";
    return c;
  }

  // POST /fake-admin/<what> with a JSON body, e.g. Admin("faults", R"({"rate":0.1})").
  void Admin(const std::string& what, const std::string& body) const {
    HttpClient http(HttpClientOptions{});
    HttpRequest req;
    req.method = "POST";
    req.url = Url() + "/fake-admin/" + what;
    req.body = body;
    auto r = http.Send(req);
    REQUIRE(r.ok());
    REQUIRE(r->status == 200);
  }

  // GET /fake-admin/<what> as JSON.
  nlohmann::json AdminGet(const std::string& what) const {
    HttpClient http(HttpClientOptions{});
    HttpRequest req;
    req.url = Url() + "/fake-admin/" + what;
    auto r = http.Send(req);
    REQUIRE(r.ok());
    return nlohmann::json::parse(r->body);
  }

  std::vector<LoggedRequest> Requests() const {
    std::vector<LoggedRequest> out;
    std::ifstream in(dir_ / "requests.log");
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_object()) continue;
      out.push_back({j.value("method", ""), j.value("path", ""), j.value("name", ""),
                     j.value("fault", ""), j.value("status", 0L)});
    }
    return out;
  }

  // Job creations the server carried out for `name` (201s, whether or not the
  // client saw the answer).
  int JobsCreated(const std::string& name) const {
    int n = 0;
    for (const auto& r : Requests()) {
      n += r.method == "POST" && r.name == name && r.status == 201 ? 1 : 0;
    }
    return n;
  }

 private:
  fs::path dir_;
  pid_t pid_ = 0;
  int port_ = 0;
  bool https_ = false;
};

// A throwaway CA with server (127.0.0.1) and client certificates, made by
// tests/fakes/kube/make_cert.sh: ca.crt, server.{crt,key}, client.{crt,key}.
class TestCertificates {
 public:
  TestCertificates() {
    std::string t = (fs::temp_directory_path() / "gdsweep-certs-XXXXXX").string();
    dir_ = mkdtemp(t.data());
    const std::string cmd = (RepoRoot() / "tests/fakes/kube/make_cert.sh").string() + " " +
                            dir_.string() + " >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
  ~TestCertificates() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string operator[](const std::string& name) const { return (dir_ / name).string(); }
  std::string Pem(const std::string& name) const {
    std::ifstream in(dir_ / name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  fs::path dir_;
};

}  // namespace gdsweep::testing
