#include "tracking/delivery_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "backends/http/http_client.h"
#include "sweeper/model/redact.h"

namespace gdsweep {

struct DeliveryLoop::PassOutcome {
  bool failed = false;  // storage error or stopped_by: back off
  bool idle = true;     // nothing more to do now: wait for a Nudge or the poll
};

DeliveryLoop::DeliveryLoop(DeliveryLoopOptions options) : options_(std::move(options)) {}

DeliveryLoop::~DeliveryLoop() {
  if (thread_.joinable()) (void)Stop(std::chrono::milliseconds(0));
}

Status DeliveryLoop::Start() {
  if (thread_.joinable() || final_) return Error::Internal("DeliveryLoop started twice");
  if (!options_.open_storage || !options_.make_tracker) {
    return Error::Internal("DeliveryLoop needs open_storage and make_tracker");
  }
  auto storage = options_.open_storage();
  if (!storage) return storage.error();
  auto tracker = options_.make_tracker();
  if (!tracker) return tracker.error();
  storage_ = std::move(*storage);
  tracker_ = std::move(*tracker);
  thread_ = std::thread([this] { Run(); });
  return {};
}

void DeliveryLoop::Nudge() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    nudged_ = true;
  }
  wake_.notify_one();
}

std::optional<Error> DeliveryLoop::last_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_error_;
}

bool DeliveryLoop::reachable() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reachable_;
}

DeliveryReport DeliveryLoop::last_report() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_report_;
}

Result<DeliveryReport> DeliveryLoop::Stop(std::chrono::milliseconds flush_for) {
  if (!thread_.joinable()) return Error::Internal("DeliveryLoop::Stop without a running loop");
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    flush_until_ = Clock::now() + flush_for;
  }
  wake_.notify_one();
  thread_.join();
  Result<DeliveryReport> out = std::move(*final_);
  return out;
}

void DeliveryLoop::Run() {
  auto backoff = options_.first_backoff;
  std::chrono::milliseconds wait{0};  // the first pass at once
  bool backing_off = false;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait_for(lock, wait, [&] { return stopping_ || (nudged_ && !backing_off); });
      if (stopping_) break;
      nudged_ = false;
    }
    const PassOutcome pass = Pass(options_.pass_budget);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++passes_;
    }
    passed_.notify_all();
    backing_off = pass.failed;
    if (pass.failed) {
      wait = backoff;
      backoff = std::min(backoff * 2, options_.max_backoff);
    } else {
      backoff = options_.first_backoff;
      wait = pass.idle ? options_.idle_poll : std::chrono::milliseconds(0);
    }
  }
  Flush();
  if (auto released =
          storage_->ReleaseOutboxLease(options_.study.study_id, options_.tag, options_.owner);
      !released) {
    spdlog::debug("tracking outbox: giving the delivery lease up: {}", released.error().message);
  }
  final_ = Final();
}

uint64_t DeliveryLoop::passes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return passes_;
}

uint64_t DeliveryLoop::WaitForPass(uint64_t seen, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  passed_.wait_for(lock, timeout, [&] { return passes_ > seen; });
  return passes_;
}

// One Deliver call; records what it showed and logs a change of health.
DeliveryLoop::PassOutcome DeliveryLoop::Pass(std::chrono::milliseconds budget) {
  auto r = tracker_->Deliver(*storage_, options_.study, options_.tag, options_.owner, budget);
  PassOutcome out;
  std::optional<Error> error;
  std::optional<bool> reached;
  int64_t pending = 0;
  storage_error_.reset();
  const DeliveryReport before = last_report();
  if (r && !r->stopped_by && !r->lease_held_elsewhere && r->delivered == 0 && r->pending > 0 &&
      r->pending == before.pending && r->dead == before.dead) {
    // The budget ran out before anything was tried: that says nothing new
    // about the server, so the last verdict stands.
    std::lock_guard<std::mutex> lock(mu_);
    out.failed = last_error_.has_value();
    return out;
  }
  if (!r) {
    error = r.error().Wrap("tracking outbox of study '" + options_.study.name + "' tag '" +
                           options_.tag + "'");
    storage_error_ = error;
  } else {
    delivered_ += r->delivered;
    pending = r->pending;
    if (r->stopped_by) {
      error = r->stopped_by;
      reached = r->stopped_by->kind != Error::Kind::kIo;
    } else if (!r->lease_held_elsewhere) {
      reached = true;
    }
    // Budget spent with messages left: go on at once, unless nothing moved
    // or what is left is held back on purpose (it goes with the next report).
    out.idle = r->lease_held_elsewhere || r->pending <= r->deferred || r->delivered == 0;
  }
  out.failed = error.has_value();
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_error_ = error;
    if (reached) reachable_ = *reached;
    if (r) last_report_ = *r;
    if (!r) pending = last_report_.pending;
  }
  if (error && !warned_) {
    // The tracker's errors already name the server (without credentials).
    spdlog::warn("{}; {} reports kept and retried", RedactText(error->message), pending);
    warned_ = true;
  } else if (!error && warned_) {
    spdlog::info("MLflow server {}: delivering again, {} reports pending",
                 RedactUrl(options_.server), pending);
    warned_ = false;
  }
  return out;
}

void DeliveryLoop::Flush() {
  Clock::time_point until;
  {
    std::lock_guard<std::mutex> lock(mu_);
    until = flush_until_;
  }
  auto backoff = std::chrono::milliseconds(100);
  while (Clock::now() < until) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    const PassOutcome pass = Pass(std::min(left, options_.pass_budget));
    if (!pass.failed) {
      const DeliveryReport r = last_report();
      if (r.pending == 0 || r.lease_held_elsewhere) return;
      // Only reports held back to be merged: they go once their window ends.
      if (r.pending <= r.deferred) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    const auto nap = std::min(
        backoff, std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()));
    if (nap.count() > 0) std::this_thread::sleep_for(nap);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

Result<DeliveryReport> DeliveryLoop::Final() {
  if (storage_error_) return *storage_error_;
  auto counts = storage_->CountOutbox(options_.study.study_id, options_.tag);
  if (!counts) return counts.error();
  DeliveryReport report = last_report();
  report.delivered = delivered_;
  report.pending = counts->pending;
  report.dead = counts->dead;
  if (report.pending == 0) {
    report.stopped_by.reset();
    report.lease_held_elsewhere = false;
  }
  return report;
}

}  // namespace gdsweep
