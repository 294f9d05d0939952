// gdsweep dashboard: serves the report page of every study in a database over
// HTTP (127.0.0.1 by default), kept current as trials finish. Read-only.
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <thread>

#include "report/dashboard_server.h"
#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/options.h"

namespace gdsweep::cli {

int DashboardCommand(const Args& args) {
  constexpr const char* kUsage =
      "usage: gdsweep dashboard [--host 127.0.0.1] [--port 8080] [--db PATH]\n"
      "Serves every study of the database as a live report page: charts and the trials\n"
      "table update as trials finish, without a reload. Read-only: safe beside a running\n"
      "sweep. Ctrl-C stops it.";
  po::options_description options("Options");
  options.add_options()("host", po::value<std::string>()->default_value("127.0.0.1"),
                        "address to listen on (other than loopback: readable by anyone who "
                        "reaches it)")("port", po::value<int>()->default_value(8080),
                                       "port (0: any free port)")(
      "poll-wait", po::value<double>()->default_value(20),
      "longest a page's request waits for a change, in seconds")(
      "log-tail", po::value<size_t>()->default_value(2048),
      "bytes of each trial's stdout/stderr log to show (0: none)")(
      "db", po::value<std::string>()->default_value(""), DbHelp().c_str());
  po::variables_map vm;
  if (auto code = ParseOptions(args, kUsage, options, nullptr, vm)) return *code;
  const int port = vm["port"].as<int>();
  const double wait = vm["poll-wait"].as<double>();
  if (port < 0 || port > 65535) return Fail(Error::Invalid("--port must be 0..65535"));
  if (!(wait > 0 && wait <= 300)) return Fail(Error::Invalid("--poll-wait must be in (0, 300]"));

  report::DashboardOptions dashboard;
  dashboard.db_path = ResolveDbPath(vm["db"].as<std::string>());
  dashboard.host = vm["host"].as<std::string>();
  dashboard.port = port;
  dashboard.poll_wait_ms = static_cast<int>(wait * 1000);
  dashboard.log_tail_bytes = vm["log-tail"].as<size_t>();
  if (auto s = CheckDatabaseExists(dashboard.db_path); !s) return Fail(s.error());
  // Ctrl-C and SIGTERM are taken by one thread that stops the server; every
  // other thread (the server's pool included) has them blocked.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto server = report::DashboardServer::Create(dashboard);
  if (!server) return Fail(server.error());
  if (dashboard.host != "127.0.0.1" && dashboard.host != "localhost" && dashboard.host != "::1") {
    spdlog::warn("the dashboard listens on {}: anyone who can reach it can read the studies",
                 dashboard.host);
  }
  std::printf("serving http://%s:%d/ (Ctrl-C to stop)\n", dashboard.host.c_str(),
              (*server)->port());
  std::fflush(stdout);
  report::DashboardServer* raw = server->get();
  std::thread([raw, stop_signals] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    raw->Stop();
  }).detach();
  if (auto s = (*server)->Run(); !s) return Fail(s.error());
  return kExitOk;
}

}  // namespace gdsweep::cli
