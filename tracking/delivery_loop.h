// DeliveryLoop: a background thread that keeps delivering the tracking outbox
// of one (study, sweep tag) while `gdsweep run` works, so the sweep never
// waits on the tracking server. It owns its own Storage and Tracker (made on
// Start, then used by its thread only). When the server is unreachable it
// backs off and logs one warning, and one info line when it is back.
// Thread-safe: Nudge, last_error, reachable and last_report may be called from
// any thread and never wait on delivery; Start and Stop from the owner's.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "storage/storage.h"
#include "sweeper/model/result.h"
#include "tracking/tracker.h"

namespace gdsweep {

struct DeliveryLoopOptions {
  // Opens the loop's own connection to the database (SQLite objects are
  // single-thread). Required.
  std::function<Result<std::unique_ptr<Storage>>()> open_storage;
  // Makes the loop's own Tracker (MakeMlflowTracker). Required.
  std::function<Result<std::unique_ptr<Tracker>>()> make_tracker;
  StudyInfo study;
  std::string tag;
  std::string owner;   // holder of the delivery lease: the worker id
  std::string server;  // the tracking URI, for log lines (credentials are removed)
  // Without a Nudge, the outbox is looked at this often.
  std::chrono::milliseconds idle_poll{500};
  // After a failed pass, wait this long, doubling up to max_backoff; Nudges
  // do not cut a backoff short.
  std::chrono::milliseconds first_backoff{1000};
  std::chrono::milliseconds max_backoff{30000};
  // Budget of one Tracker::Deliver call. Stop waits for the pass in progress,
  // so this bounds how late Stop can be (plus one HTTP request).
  std::chrono::milliseconds pass_budget{2000};
};

class DeliveryLoop {
 public:
  explicit DeliveryLoop(DeliveryLoopOptions options);
  ~DeliveryLoop();  // Stop(0) when still running
  DeliveryLoop(const DeliveryLoop&) = delete;
  DeliveryLoop& operator=(const DeliveryLoop&) = delete;

  // Opens the storage, makes the tracker and starts the thread, which
  // delivers at once. Their errors are returned and no thread is started.
  Status Start();

  // A message was just written: deliver now (unless backing off).
  void Nudge();

  // Why the last pass failed (the server's or the database's error, worded
  // for the user); none when it succeeded.
  std::optional<Error> last_error() const;
  // Whether the last attempt reached the server (true before any attempt).
  bool reachable() const;
  // What the last pass left: pending and dead counts, lease, stop reason.
  DeliveryReport last_report() const;

  // Passes finished so far; WaitForPass blocks until more than `seen` have
  // finished (or `timeout` passes) and returns the count. For a caller
  // waiting for something a pass records (a trial's run id).
  uint64_t passes() const;
  uint64_t WaitForPass(uint64_t seen, std::chrono::milliseconds timeout) const;

  // Keeps delivering until the outbox is empty, another process holds the
  // lease, or `flush_for` has passed (after the pass in progress ends), then
  // gives the lease up, joins the thread and returns the final report:
  // messages delivered over the loop's life, and the pending and dead counts
  // left. An error only for the database (or a Stop without Start).
  Result<DeliveryReport> Stop(std::chrono::milliseconds flush_for);

 private:
  using Clock = std::chrono::steady_clock;
  struct PassOutcome;

  void Run();
  PassOutcome Pass(std::chrono::milliseconds budget);
  void Flush();
  Result<DeliveryReport> Final();

  const DeliveryLoopOptions options_;

  // Used by the thread only (and by Start before it exists).
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<Tracker> tracker_;
  int64_t delivered_ = 0;  // over the loop's life
  bool warned_ = false;    // the "unreachable" warning was logged and not yet taken back
  std::optional<Error> storage_error_;  // of the last pass
  std::optional<Result<DeliveryReport>> final_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  mutable std::condition_variable passed_;
  uint64_t passes_ = 0;
  bool nudged_ = false;
  bool stopping_ = false;
  Clock::time_point flush_until_;
  std::optional<Error> last_error_;
  bool reachable_ = true;
  DeliveryReport last_report_;

  std::thread thread_;
};

}  // namespace gdsweep
