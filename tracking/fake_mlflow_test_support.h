// Tests only: the fake MLflow tracking server (tests/fakes/mlflow) run as a
// child process on 127.0.0.1 with an ephemeral port in a fresh folder, its
// /fake-admin/* controls (faults, state, request records; always on a second
// port, so they work while the main port is "down"), and ClientOptions for it.
// SIGTERMed (SIGKILLed if it lingers) and reaped when the object goes, and
// SIGTERMed by the kernel if the thread that started it dies first (so
// construct it on the test's own thread). Not thread-safe; the fake itself
// serves any number of clients at once.
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "backends/http/http_client.h"
#include "tracking/mlflow_client.h"

extern char** environ;

namespace gdsweep::testing {

namespace mlflow_fake_detail {
namespace fs = std::filesystem;

inline fs::path SourceDir() {
#ifdef GDSWEEP_SOURCE_DIR
  return fs::path(GDSWEEP_SOURCE_DIR);
#else
  return fs::path(__FILE__).parent_path().parent_path();
#endif
}

inline std::string Python() {
#ifdef GDSWEEP_TEST_PYTHON
  return GDSWEEP_TEST_PYTHON;
#else
  return "/usr/bin/python3";
#endif
}

// The port written to `file`, or 0 while there is none.
inline int ReadPort(const fs::path& file) {
  std::ifstream in(file);
  int port = 0;
  return (in >> port) ? port : 0;
}
}  // namespace mlflow_fake_detail

struct FakeMlflowOptions {
  std::string token;               // --token: Bearer auth (none: 401, wrong: 403)
  std::string username, password;  // --username/--password: HTTP Basic (else 401)
  bool state_file = false;         // --state-file in dir(): state survives Restart()
  bool request_log = false;        // --request-log dir()/requests.log
  // Any other flags: --keep-infinity, --truncate-long-values, --verbose, ...
  std::vector<std::string> flags;
};

class FakeMlflow {
 public:
  explicit FakeMlflow(FakeMlflowOptions options = {}) : options_(std::move(options)) {
    namespace fs = std::filesystem;
    std::string t = (fs::temp_directory_path() / "gdsweep-fake-mlflow-XXXXXX").string();
    REQUIRE(mkdtemp(t.data()) != nullptr);
    dir_ = t;
    Start(0);
  }

  ~FakeMlflow() {
    Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  FakeMlflow(const FakeMlflow&) = delete;
  FakeMlflow& operator=(const FakeMlflow&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  int port() const { return port_; }
  // The tracking URI: http://127.0.0.1:<port>.
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string AdminUrl() const { return "http://127.0.0.1:" + std::to_string(admin_port_); }

  // Options for a client of this server: its URI, the credentials it was
  // started with, short timeouts and quick retries.
  mlflow::ClientOptions ClientOptions() const {
    mlflow::ClientOptions o;
    o.tracking_uri = Url();
    o.token = options_.token;
    o.username = options_.username;
    o.password = options_.password;
    o.connect_timeout = std::chrono::milliseconds(2000);
    o.request_timeout = std::chrono::milliseconds(10000);
    o.retry.max_attempts = 4;
    o.retry.initial_backoff = std::chrono::milliseconds(20);
    o.retry.max_backoff = std::chrono::milliseconds(200);
    return o;
  }

  // POST /fake-admin/faults with `mode` (ok, down, stall, 500, 503, 429,
  // reset, reset-after), hitting `count` requests (0: all) whose paths contain
  // one of `paths` (empty: any). "down" refuses connections on the main port
  // until ClearFault(). Answers the fault state.
  nlohmann::json SetFault(const std::string& mode, int count = 0,
                          const std::vector<std::string>& paths = {}) const {
    nlohmann::json spec = {{"mode", mode}};
    if (count > 0) spec["count"] = count;
    if (!paths.empty()) spec["paths"] = paths;
    return SetFault(spec);
  }
  nlohmann::json SetFault(const char* mode, int count = 0,
                          const std::vector<std::string>& paths = {}) const {
    return SetFault(std::string(mode), count, paths);
  }
  // The whole body, e.g. SetFault({{"mode", "stall"}, {"stall_seconds", 2}}).
  nlohmann::json SetFault(const nlohmann::json& spec) const { return AdminPost("faults", spec); }
  void ClearFault() const { SetFault("ok"); }

  // GET /fake-admin/state: {"experiments": [...], "runs": [run JSON with
  // "metric_history": {key: [points]}], "faults": {...}}.
  nlohmann::json State() const { return AdminGet("state"); }
  // The runs of State(), and the one with `run_id` (null when absent).
  nlohmann::json Runs() const { return State().value("runs", nlohmann::json::array()); }
  nlohmann::json StoredRun(const std::string& run_id) const {
    for (const auto& r : Runs()) {
      if (r["info"].value("run_id", "") == run_id) return r;
    }
    return nullptr;
  }
  // GET /fake-admin/requests: every API request since start or Reset(), with
  // method, path, query, parsed body, fault and status.
  nlohmann::json Requests() const {
    return AdminGet("requests").value("requests", nlohmann::json::array());
  }
  // How many recorded requests had a path ending in `suffix` (e.g.
  // "runs/log-batch"). The fake records a request just after answering it, so
  // a client that has its answer may not see the record yet: to count what
  // was just sent, use WaitForRequests.
  int CountRequests(const std::string& suffix) const {
    int n = 0;
    for (const auto& r : Requests()) {
      const std::string path = r.value("path", "");
      n += path.size() >= suffix.size() &&
                   path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0
               ? 1
               : 0;
    }
    return n;
  }
  // CountRequests(suffix) once it reaches `at_least` (and stayed there a
  // moment, so that an unexpected extra request shows), or when `limit` passes.
  int WaitForRequests(const std::string& suffix, int at_least,
                      std::chrono::milliseconds limit = std::chrono::seconds(10)) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int n = CountRequests(suffix);
    while (n < at_least && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      n = CountRequests(suffix);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return CountRequests(suffix);
  }
  // Requests() once every recorded request ending in `suffix` numbers `at_least`.
  nlohmann::json RequestsAfter(const std::string& suffix, int at_least) const {
    WaitForRequests(suffix, at_least);
    return Requests();
  }

  // POST /fake-admin/reset: only the Default experiment left, records cleared, faults off.
  void Reset() const { AdminPost("reset", nlohmann::json::object()); }

  // SIGTERM and reap (SIGKILL after 5 s).
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
  }

  // Stops the server and starts it again on the same port (with state_file,
  // with the same state).
  void Restart() {
    const int port = port_;
    Stop();
    Start(port);
  }

 private:
  void Start(int port) {
    namespace fs = std::filesystem;
    using mlflow_fake_detail::ReadPort;
    const fs::path port_file = dir_ / "port", admin_file = dir_ / "admin-port";
    fs::remove(port_file);
    fs::remove(admin_file);
    // Python sets PR_SET_PDEATHSIG before it becomes the fake, so that the
    // fake goes too when this process dies without running destructors (a
    // crashed test).
    const std::string launcher =
        "import ctypes, os, signal, sys\n"
        "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG\n"
        "if os.getppid() != int(sys.argv[1]): sys.exit(1)\n"
        "os.execv(sys.executable, [sys.executable] + sys.argv[2:])\n";
    std::vector<std::string> argv = {
        mlflow_fake_detail::Python(),
        "-c",
        launcher,
        std::to_string(::getpid()),
        (mlflow_fake_detail::SourceDir() / "tests/fakes/mlflow/fake_mlflow.py").string(),
        "--port",
        std::to_string(port),
        "--port-file",
        port_file.string(),
        "--admin-port-file",
        admin_file.string()};
    if (!options_.token.empty()) argv.insert(argv.end(), {"--token", options_.token});
    if (!options_.username.empty() || !options_.password.empty()) {
      argv.insert(argv.end(), {"--username", options_.username, "--password", options_.password});
    }
    if (options_.state_file)
      argv.insert(argv.end(), {"--state-file", (dir_ / "state.json").string()});
    if (options_.request_log) {
      argv.insert(argv.end(), {"--request-log", (dir_ / "requests.log").string()});
    }
    argv.insert(argv.end(), options_.flags.begin(), options_.flags.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);

    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawn_file_actions_t files;  // its chatter goes to dir()/fake.log
    posix_spawn_file_actions_init(&files);
    const std::string log = (dir_ / "fake.log").string();
    posix_spawn_file_actions_addopen(&files, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&files, 1, 2);
    posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
    const int spawned = posix_spawn(&pid_, cargv[0], &files, &attr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&files);
    posix_spawnattr_destroy(&attr);
    REQUIRE_MESSAGE(spawned == 0, "cannot start " << argv[0] << ": " << strerror(spawned));

    port_ = admin_port_ = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      port_ = ReadPort(port_file);
      admin_port_ = ReadPort(admin_file);
      if (port_ != 0 && admin_port_ != 0) return;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::ifstream in(dir_ / "fake.log");
    std::stringstream s;
    s << in.rdbuf();
    FAIL("the fake MLflow server did not start: " << s.str());
  }

  HttpResponse Admin(const std::string& method, const std::string& what,
                     const std::string& body) const {
    HttpClientOptions h;
    h.connect_timeout = std::chrono::milliseconds(2000);
    h.request_timeout = std::chrono::milliseconds(10000);
    HttpClient http(h);
    HttpRequest req;
    req.method = method;
    req.url = AdminUrl() + "/fake-admin/" + what;
    req.body = body;
    auto r = http.Send(req);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    REQUIRE_MESSAGE(r->status == 200, "/fake-admin/" << what << ": " << r->body);
    return *r;
  }

  nlohmann::json AdminPost(const std::string& what, const nlohmann::json& body) const {
    return nlohmann::json::parse(Admin("POST", what, body.dump()).body);
  }

  nlohmann::json AdminGet(const std::string& what) const {
    return nlohmann::json::parse(Admin("GET", what, "").body);
  }

  FakeMlflowOptions options_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  int admin_port_ = 0;
};

}  // namespace gdsweep::testing
