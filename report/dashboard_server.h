// The `gdsweep dashboard` HTTP server (cpp-httplib, included only by
// dashboard_server.cc): the report page for every study of a database, kept
// current by long polling. Read-only: one SQLite read transaction per refresh
// (never blocks a writer). Run() blocks on the calling thread; Stop() may be
// called from any thread.
#pragma once

#include <memory>
#include <string>

#include "sweeper/model/result.h"

namespace gdsweep::report {

struct DashboardOptions {
  std::string db_path;
  std::string host = "127.0.0.1";  // the address to listen on
  int port = 8080;                 // 0: any free port (see DashboardServer::port)
  int poll_wait_ms = 20000;        // longest a page's poll waits for a change
  int refresh_ms = 250;            // how often a waiting poll re-reads the database
  size_t log_tail_bytes = 2048;    // of each trial's logs
};

class DashboardServer {
 public:
  // Opens the database (read-only) and binds the address; kIo when the
  // address is taken, kNotFound for a missing or foreign database.
  static Result<std::unique_ptr<DashboardServer>> Create(const DashboardOptions& options);
  ~DashboardServer();

  int port() const;  // the port bound
  Status Run();      // serves until Stop()
  void Stop();

 private:
  struct Impl;
  explicit DashboardServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gdsweep::report
