// A real PostgreSQL 15 server for the storage tests: initdb in a temporary
// folder, started on a free port of 127.0.0.1 (as `nobody` when the tests run
// as root: postgres refuses root), stopped and removed when the test process
// exits. Logins over TCP need a password (scram-sha-256), so URLs carry one.
// The contract suites run once per backend: with GDSWEEP_TEST_STORAGE=postgres
// a test's database (TestDatabase) is a fresh database on this server.
// Test-only; not thread-safe; never used across fork() except by children
// that only connect.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "storage/pg_db.h"

namespace gdsweep::testing {

inline const char* kPostgresBin = "/usr/lib/postgresql/15/bin";
inline const char* kPostgresPassword = "s3cret-Pw";

inline bool PostgresInstalled() {
  return ::access((std::string(kPostgresBin) + "/postgres").c_str(), X_OK) == 0 &&
         ::access((std::string(kPostgresBin) + "/initdb").c_str(), X_OK) == 0;
}

// True when the contract suites run against PostgreSQL (ctest's second run).
inline bool TestingPostgres() {
  const char* v = std::getenv("GDSWEEP_TEST_STORAGE");
  return v && std::string(v) == "postgres";
}

class PostgresServer {
 public:
  // The one server of this test process, started on first use; nullptr (with
  // the reason on stderr) when PostgreSQL is not installed or fails to start.
  static PostgresServer* Shared() {
    static std::unique_ptr<PostgresServer> server = Start();
    return server.get();
  }

  ~PostgresServer() {
    if (getpid() != owner_) return;  // a forked child: the parent stops it
    Run({"pg_ctl", "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"});
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }

  // postgresql://postgres:PASSWORD@127.0.0.1:PORT/dbname
  std::string Url(const std::string& dbname,
                  const std::string& password = kPostgresPassword) const {
    return "postgresql://postgres" + (password.empty() ? "" : ":" + password) +
           "@127.0.0.1:" + std::to_string(port_) + "/" + dbname;
  }

  // A new, empty database with a unique name; returns its URL.
  std::string CreateDatabase(const std::string& hint = "t") {
    static std::atomic<int> counter{0};
    std::string name = "gd_";
    for (char c : hint)
      name += std::isalnum(static_cast<unsigned char>(c)) ? char(std::tolower(c)) : '_';
    name += "_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
    if (!Admin("CREATE DATABASE " + name)) return {};
    return Url(name);
  }

  // Runs `sql` on the "postgres" database; false (printed) on an error.
  bool Admin(const std::string& sql) const {
    pg::ConnectionOptions o;
    o.url = Url("postgres");
    o.reconnect_timeout_ms = 5000;
    auto db = pg::Database::Open(o);
    if (!db) {
      std::fprintf(stderr, "postgres admin: %s\n", db.error().message.c_str());
      return false;
    }
    auto s = (*db)->Exec(sql);
    if (!s) std::fprintf(stderr, "postgres admin: %s\n", s.error().message.c_str());
    return s.ok();
  }

  // pg_ctl stop (fast) and start again on the same port and data folder.
  bool Stop() { return Run({"pg_ctl", "-D", dir_ + "/data", "-m", "fast", "-w", "stop"}) == 0; }
  bool Restart() { return StartServer(); }

 private:
  PostgresServer() = default;

  static std::unique_ptr<PostgresServer> Start() {
    if (!PostgresInstalled()) {
      std::fprintf(stderr,
                   "PostgreSQL is not installed (no %s/postgres): apt-get install postgresql\n",
                   kPostgresBin);
      return nullptr;
    }
    std::unique_ptr<PostgresServer> s(new PostgresServer());
    s->owner_ = getpid();
    std::string tmpl = (std::filesystem::temp_directory_path() / "gdsweep-pg-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) return nullptr;
    s->dir_ = tmpl;
    ::chmod(s->dir_.c_str(), 0777);
    if (geteuid() == 0 && ::chown(s->dir_.c_str(), 65534, 65534) != 0) return nullptr;
    {
      std::ofstream pw(s->dir_ + "/pw");
      pw << kPostgresPassword << "\n";
    }
    ::chmod((s->dir_ + "/pw").c_str(), 0644);
    if (s->Run({"initdb", "-D", s->dir_ + "/data", "-U", "postgres", "--pwfile", s->dir_ + "/pw",
                "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8",
                "--locale=C"}) != 0) {
      std::fprintf(stderr, "initdb failed (see %s)\n", s->dir_.c_str());
      return nullptr;
    }
    s->port_ = FreePort();
    if (!s->StartServer()) {
      std::fprintf(stderr, "postgres did not start (log: %s/log)\n", s->dir_.c_str());
      return nullptr;
    }
    return s;
  }

  bool StartServer() {
    const std::string options = "-p " + std::to_string(port_) + " -k " + dir_ +
                                " -c listen_addresses=127.0.0.1 -c fsync=off" +
                                " -c synchronous_commit=off -c full_page_writes=off" +
                                " -c max_connections=200";
    return Run({"pg_ctl", "-D", dir_ + "/data", "-o", options, "-l", dir_ + "/log", "-w", "-t",
                "60", "start"}) == 0;
  }

  static int FreePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
  }

  // Runs a PostgreSQL program (as nobody when root); its exit status.
  int Run(std::vector<std::string> argv) const {
    argv[0] = std::string(kPostgresBin) + "/" + argv[0];
    if (geteuid() == 0) argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "nobody", "--"});
    pid_t pid = fork();
    if (pid == 0) {
      if (chdir(dir_.c_str()) != 0) _exit(126);
      // Quiet: initdb and pg_ctl talk a lot.
      FILE* devnull = std::fopen("/dev/null", "w");
      if (devnull) dup2(fileno(devnull), 1);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  pid_t owner_ = 0;
  std::string dir_;
  int port_ = 0;
};

}  // namespace gdsweep::testing
