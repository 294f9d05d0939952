#include "backends/local/local_backend.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include "backends/local/gpu_pool.h"
#include "backends/local/group_watchdog.h"
#include "backends/local/line_splitter.h"
#include "backends/local/stale_group.h"
#include "backends/process/child_process.h"
#include "backends/process/unique_fd.h"

namespace gdsweep {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr size_t kReadChunk = 64 * 1024;
constexpr int kMaxReadsPerWake = 16;            // one chatty trial cannot hog a round
constexpr milliseconds kExitPollInterval{20};   // only where pidfd_open is refused
constexpr milliseconds kTermToKill{500};        // Terminate(): SIGTERM, then SIGKILL
constexpr double kLongestTimeoutSeconds = 1e9;  // ~31 years: no clock overflow

std::string ErrnoText(int err) { return std::system_category().message(err); }

std::string FormatSeconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%gs", s);
  return buf;
}

// `dir`/stdout.log, created (with `dir`) or replaced; stderr.log is created
// when the trial first writes to stderr (a file less per quiet trial). Old
// logs are unlinked rather than truncated: ext4 flushes a truncated file to
// disk when it is closed, which would cost a disk write per trial.
Status OpenLogs(const std::string& dir, UniqueFd& out, std::string& err_path) {
  err_path = dir + "/stderr.log";
  const std::string path = dir + "/stdout.log";
  const int kNew = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC;
  out.Reset(::open(path.c_str(), kNew, 0644));
  const int err = out ? 0 : errno;
  if (err == ENOENT) {  // a new folder: nothing old in it
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Error::Io("cannot create log directory '" + dir + "': " + ec.message());
    out.Reset(::open(path.c_str(), kNew, 0644));
  } else {
    ::unlink(err_path.c_str());
    if (err == EEXIST) {
      ::unlink(path.c_str());
      out.Reset(::open(path.c_str(), kNew, 0644));
    }
  }
  if (!out) return Error::Io("cannot open '" + path + "': " + ErrnoText(errno));
  return {};
}

// When a trial started now with this timeout is due to be stopped.
Result<std::optional<Clock::time_point>> TimeoutDeadline(std::optional<double> seconds) {
  if (!seconds) return std::optional<Clock::time_point>();
  if (!(*seconds > 0)) {
    return Error::Invalid("trial timeout must be above 0 seconds: " + FormatSeconds(*seconds));
  }
  const std::chrono::duration<double> d(std::min(*seconds, kLongestTimeoutSeconds));
  return std::optional(Clock::now() + std::chrono::duration_cast<Clock::duration>(d));
}

// One started launch until its kExited event.
struct Trial {
  int64_t id = 0;
  int64_t number = 0;      // for messages: users know trials by number
  pid_t pid = -1;          // also its process group id
  int64_t start_time = 0;  // of the pid, for ProcessOf
  UniqueFd pidfd;          // readable when the main process exits; empty: poll waitid
  UniqueFd out, err;       // pipe read ends, reset at EOF
  UniqueFd out_log, err_log;
  std::string err_log_path;  // stderr.log, opened at the first byte on stderr
  LineSplitter lines;
  std::optional<double> timeout_s;
  std::optional<Clock::time_point> timeout_at;   // pending; cleared once it fires
  std::optional<Clock::time_point> kill_at;      // SIGKILL due after a SIGTERM
  std::optional<Clock::time_point> term_at;      // Terminate(): SIGTERM due
  std::optional<Clock::time_point> drain_until;  // after the exit: last wait for EOF
  // The main process ended. It stays an unreaped zombie until Finish(), which
  // keeps its pid, and so its process group id, from being reused meanwhile:
  // every kill(-pid) of ours reaches only this trial's processes.
  bool exited = false;
  bool term_sent = false;
  bool group_killed = false;
  bool timed_out = false;
  bool cancelled = false;
  std::string note;  // what we had to do beyond waiting, for the exit reason

  explicit Trial(size_t max_line) : lines(max_line) {}
};

class LocalBackend final : public Backend {
 public:
  explicit LocalBackend(const LocalBackendOptions& options) : options_(options), buf_(kReadChunk) {
    if (options.gpus_per_trial) gpus_.emplace(options.gpus, *options.gpus_per_trial);
  }
  ~LocalBackend() override;
  LocalBackend(const LocalBackend&) = delete;
  LocalBackend& operator=(const LocalBackend&) = delete;

  Status Start(const TrialLaunch& launch) override;
  Result<std::vector<BackendEvent>> Wait(milliseconds timeout) override;
  void Cancel(int64_t trial_id, milliseconds grace) override;
  void Terminate(int64_t trial_id, milliseconds grace) override;
  size_t Running() const override { return trials_.size(); }
  std::optional<size_t> Capacity() const override {
    return gpus_ ? gpus_->Capacity() : std::nullopt;
  }
  bool ReadyToStart() override;
  std::optional<LaunchProcess> ProcessOf(int64_t trial_id) const override;
  Status EndStale(int64_t trial_id, const LaunchProcess& process) override {
    return KillStaleGroup(trial_id, process, std::chrono::seconds(10));
  }

 private:
  enum class Source { kStdout, kStderr, kPidfd };

  void Signal(Trial& t, int sig);
  void Stop(Trial& t, milliseconds grace, Clock::time_point now);
  void MarkExited(Trial& t, Clock::time_point now);
  void PollExitsWithoutPidfd(Clock::time_point now);
  void RunTimers(Clock::time_point now, std::vector<BackendEvent>& events);
  std::optional<Clock::time_point> NextTimer(Clock::time_point now) const;
  void ReadPipe(Trial& t, Source source, bool hung_up, std::vector<BackendEvent>& events);
  void WriteLog(Trial& t, Source source, const char* data, size_t size);
  void AddLines(Trial& t, std::string_view data, bool eof, std::vector<BackendEvent>& events);
  std::map<std::string, std::string> WithToken(
      const std::map<std::string, std::string>& env) const {
    auto marked = env;
    marked[kTokenVariable] = watchdog_->token();
    return marked;
  }
  BackendEvent Finish(Trial& t);

  LocalBackendOptions options_;
  std::optional<GpuPool> gpus_;  // with local.gpus
  // Since when no trial's devices have been free, and whether that was said.
  std::optional<Clock::time_point> gpus_short_since_;
  bool gpus_short_said_ = false;
  // Started with the first trial; kills the trials' groups if we die.
  std::unique_ptr<GroupWatchdog> watchdog_;
  bool watchdog_tried_ = false;
  std::map<int64_t, std::unique_ptr<Trial>> trials_;
  std::vector<char> buf_;                          // read buffer
  std::vector<std::string> lines_;                 // scratch for LineSplitter
  std::vector<pollfd> pollfds_;                    // scratch for Wait
  std::vector<std::pair<Trial*, Source>> polled_;  // what each pollfd is
};

LocalBackend::~LocalBackend() {
  for (auto& [id, t] : trials_) Signal(*t, SIGKILL);
  std::vector<BackendEvent> ignored;
  for (auto& [id, t] : trials_) {
    if (watchdog_) watchdog_->Remove(t->pid);
    int status;
    while (::waitpid(t->pid, &status, 0) < 0 && errno == EINTR) {
    }
    // Whatever it wrote before dying still belongs in its logs.
    if (t->out) ReadPipe(*t, Source::kStdout, true, ignored);
    if (t->err) ReadPipe(*t, Source::kStderr, true, ignored);
  }
  if (!trials_.empty()) spdlog::debug("killed {} running trial(s)", trials_.size());
}

bool LocalBackend::ReadyToStart() {
  if (!gpus_ || gpus_->HasFree()) {
    gpus_short_since_.reset();
    gpus_short_said_ = false;
    return true;
  }
  const auto now = Clock::now();
  if (!gpus_short_since_) gpus_short_since_ = now;
  if (!gpus_short_said_ && now - *gpus_short_since_ >= std::chrono::seconds(10)) {
    gpus_short_said_ = true;
    std::string groups;
    for (pid_t g : gpus_->DrainingGroups())
      groups += (groups.empty() ? "" : ", ") + std::to_string(g);
    spdlog::warn(
        "no new trial for {:.0f} s: every free GPU is still held by process group(s) {} of "
        "ended trials, killed but not yet gone; waiting for them",
        std::chrono::duration<double>(now - *gpus_short_since_).count(), groups);
  }
  return false;
}

Status LocalBackend::Start(const TrialLaunch& launch) {
  if (trials_.contains(launch.trial_id)) {
    return Error::Invalid("trial id " + std::to_string(launch.trial_id) + " is already running");
  }
  auto timeout_at = TimeoutDeadline(launch.timeout_seconds);
  if (!timeout_at) return timeout_at.error();
  auto t = std::make_unique<Trial>(options_.max_line_bytes);
  if (!launch.log_dir.empty()) {
    if (auto s = OpenLogs(launch.log_dir, t->out_log, t->err_log_path); !s) return s;
  }
  if (!watchdog_tried_) {
    watchdog_tried_ = true;
    auto w = GroupWatchdog::Start();
    if (w) {
      watchdog_ = std::move(*w);
    } else {
      spdlog::warn("no watchdog ({}): trials may outlive a crash of gdsweep", w.error().message);
    }
  }
  auto env = watchdog_ ? WithToken(launch.env) : launch.env;
  if (gpus_) {
    // The engine waited for ReadyToStart(): the devices are free.
    auto visible = gpus_->Take(launch.trial_id, std::chrono::milliseconds(0));
    if (!visible) return visible.error();
    env["CUDA_VISIBLE_DEVICES"] = *visible;
  }
  auto child = SpawnChild(launch.argv, env, launch.working_dir);
  if (!child) {
    if (gpus_) gpus_->Cancel(launch.trial_id);
    return child.error();
  }
  if (watchdog_) watchdog_->Add(child->pid);
  t->id = launch.trial_id;
  t->number = launch.trial_number;
  t->pid = child->pid;
  t->start_time = ProcessStartTime(child->pid).value_or(0);
  if (options_.use_pidfd) t->pidfd = std::move(child->pidfd);
  t->out = std::move(child->out);
  t->err = std::move(child->err);
  t->timeout_s = launch.timeout_seconds;
  t->timeout_at = *timeout_at;
  spdlog::debug("trial {}: started {} as pid {}", t->number, launch.argv[0], t->pid);
  trials_.emplace(launch.trial_id, std::move(t));
  return {};
}

Result<std::vector<BackendEvent>> LocalBackend::Wait(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::vector<BackendEvent> events;
  while (true) {
    auto now = Clock::now();
    PollExitsWithoutPidfd(now);
    RunTimers(now, events);
    for (auto it = trials_.begin(); it != trials_.end();) {
      Trial& t = *it->second;
      if (t.exited && !t.out && !t.err) {
        events.push_back(Finish(t));
        it = trials_.erase(it);
      } else {
        ++it;
      }
    }
    if (!events.empty() || trials_.empty() || now >= deadline) return events;

    pollfds_.clear();
    polled_.clear();
    for (auto& [id, t] : trials_) {
      auto add = [&](const UniqueFd& fd, Source source) {
        pollfds_.push_back({fd.get(), POLLIN, 0});
        polled_.emplace_back(t.get(), source);
      };
      if (t->out) add(t->out, Source::kStdout);
      if (t->err) add(t->err, Source::kStderr);
      if (t->pidfd) add(t->pidfd, Source::kPidfd);
    }
    const auto wake = std::min(deadline, NextTimer(now).value_or(deadline));
    const auto wait_ms = std::chrono::ceil<milliseconds>(wake - now).count();
    const int ready = ::poll(pollfds_.data(), pollfds_.size(),
                             static_cast<int>(std::clamp<int64_t>(wait_ms, 0, INT_MAX)));
    if (ready < 0) {
      if (errno == EINTR) return events;  // the caller may have a signal to act on
      return Error::Io("poll: " + ErrnoText(errno));
    }
    now = Clock::now();
    for (size_t i = 0; i < pollfds_.size(); ++i) {
      const short revents = pollfds_[i].revents;
      if (revents == 0) continue;
      auto [t, source] = polled_[i];
      if (source == Source::kPidfd) {
        MarkExited(*t, now);
      } else {
        ReadPipe(*t, source, (revents & (POLLHUP | POLLERR)) != 0, events);
      }
    }
  }
}

std::optional<LaunchProcess> LocalBackend::ProcessOf(int64_t trial_id) const {
  auto it = trials_.find(trial_id);
  if (it == trials_.end() || it->second->start_time == 0) return std::nullopt;
  return LaunchProcess{BootId(), it->second->pid, it->second->start_time};
}

void LocalBackend::Cancel(int64_t trial_id, milliseconds grace) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end() || it->second->exited) return;  // done: its own exit stands
  Trial& t = *it->second;
  if (!t.timed_out) t.cancelled = true;
  t.timeout_at.reset();
  Stop(t, grace, Clock::now());
}

// The trial was told (its prune file) and has `grace` to end by itself;
// then SIGTERM, and SIGKILL kTermToKill later.
void LocalBackend::Terminate(int64_t trial_id, milliseconds grace) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end() || it->second->exited) return;
  Trial& t = *it->second;
  if (!t.timed_out) t.cancelled = true;
  t.timeout_at.reset();
  const auto now = Clock::now();
  if (grace <= milliseconds::zero()) {
    Stop(t, kTermToKill, now);
  } else if (!t.term_at || now + grace < *t.term_at) {
    t.term_at = now + grace;
  }
}

void LocalBackend::Signal(Trial& t, int sig) {
  if (::kill(-t.pid, sig) != 0 && errno != ESRCH) {
    spdlog::warn("trial {}: cannot send {} to process group {}: {}", t.number, SignalName(sig),
                 t.pid, ErrnoText(errno));
  }
}

// SIGTERM now and SIGKILL after `grace` (at once when it is zero).
void LocalBackend::Stop(Trial& t, milliseconds grace, Clock::time_point now) {
  if (grace <= milliseconds::zero()) {
    Signal(t, SIGKILL);
    t.kill_at.reset();
    return;
  }
  if (!t.term_sent) {
    Signal(t, SIGTERM);
    t.term_sent = true;
  }
  if (!t.kill_at || now + grace < *t.kill_at) t.kill_at = now + grace;
}

void LocalBackend::MarkExited(Trial& t, Clock::time_point now) {
  t.exited = true;
  t.pidfd.Reset();
  t.timeout_at.reset();
  t.kill_at.reset();
  t.term_at.reset();
  t.drain_until = now + options_.drain_window;
}

void LocalBackend::PollExitsWithoutPidfd(Clock::time_point now) {
  for (auto& [id, t] : trials_) {
    if (t->exited || t->pidfd) continue;
    siginfo_t info{};
    // WNOWAIT: look, but leave the zombie for Finish().
    const int rc = ::waitid(P_PID, t->pid, &info, WEXITED | WNOHANG | WNOWAIT);
    if ((rc == 0 && info.si_pid == t->pid) || (rc < 0 && errno == ECHILD)) MarkExited(*t, now);
  }
}

void LocalBackend::RunTimers(Clock::time_point now, std::vector<BackendEvent>& events) {
  for (auto& [id, tp] : trials_) {
    Trial& t = *tp;
    if (!t.exited) {
      if (t.timeout_at && now >= *t.timeout_at) {
        t.timeout_at.reset();
        t.timed_out = true;
        spdlog::debug("trial {}: timed out after {}", t.number, FormatSeconds(*t.timeout_s));
        Stop(t, options_.timeout_kill_grace, now);
      }
      if (t.term_at && now >= *t.term_at) {
        t.term_at.reset();
        Stop(t, kTermToKill, now);
      }
      if (t.kill_at && now >= *t.kill_at) {
        t.kill_at.reset();
        Signal(t, SIGKILL);
      }
    } else if (t.drain_until && now >= *t.drain_until) {
      if (!t.group_killed) {
        // Its main process is gone but something it started holds the pipes.
        Signal(t, SIGKILL);
        t.group_killed = true;
        t.drain_until = now + options_.drain_window;
        t.note = "killed processes it left behind holding its output open";
      } else {
        // They left the process group (setsid): stop reading rather than hang.
        t.drain_until.reset();
        AddLines(t, {}, true, events);
        t.out.Reset();
        t.err.Reset();
        t.note = "stopped reading output held open by processes that left its process group";
      }
      spdlog::warn("trial {}: {}", t.number, t.note);
    }
  }
}

std::optional<Clock::time_point> LocalBackend::NextTimer(Clock::time_point now) const {
  std::optional<Clock::time_point> next;
  auto consider = [&](const std::optional<Clock::time_point>& at) {
    if (at && (!next || *at < *next)) next = at;
  };
  for (const auto& [id, t] : trials_) {
    consider(t->timeout_at);
    consider(t->kill_at);
    consider(t->term_at);
    consider(t->drain_until);
    if (!t->exited && !t->pidfd) consider(now + kExitPollInterval);
  }
  return next;
}

void LocalBackend::ReadPipe(Trial& t, Source source, bool hung_up,
                            std::vector<BackendEvent>& events) {
  UniqueFd& fd = source == Source::kStdout ? t.out : t.err;
  for (int i = 0; i < kMaxReadsPerWake; ++i) {
    const ssize_t n = ::read(fd.get(), buf_.data(), buf_.size());
    if (n > 0) {
      const auto size = static_cast<size_t>(n);
      WriteLog(t, source, buf_.data(), size);
      if (source == Source::kStdout) AddLines(t, {buf_.data(), size}, false, events);
      // A short read emptied the pipe; unless the writers are gone, poll again.
      if (!hung_up && size < buf_.size()) return;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n < 0) spdlog::warn("trial {}: reading its output: {}", t.number, ErrnoText(errno));
    if (source == Source::kStdout) AddLines(t, {}, true, events);
    fd.Reset();  // EOF: every writer closed it
    return;
  }
}

void LocalBackend::WriteLog(Trial& t, Source source, const char* data, size_t size) {
  if (source == Source::kStderr && !t.err_log_path.empty()) {
    t.err_log.Reset(::open(t.err_log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!t.err_log) {
      spdlog::warn("trial {}: cannot open '{}': {}; its stderr is not logged", t.number,
                   t.err_log_path, ErrnoText(errno));
    }
    t.err_log_path.clear();
  }
  UniqueFd& log = source == Source::kStdout ? t.out_log : t.err_log;
  while (log && size > 0) {
    const ssize_t n = ::write(log.get(), data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      spdlog::warn("trial {}: cannot write its {} log: {}; the rest is not logged", t.number,
                   source == Source::kStdout ? "stdout" : "stderr", ErrnoText(errno));
      log.Reset();
      return;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void LocalBackend::AddLines(Trial& t, std::string_view data, bool eof,
                            std::vector<BackendEvent>& events) {
  t.lines.Feed(data, lines_);
  if (eof) t.lines.Finish(lines_);
  for (auto& line : lines_) {
    BackendEvent ev;
    ev.kind = BackendEvent::Kind::kOutput;
    ev.trial_id = t.id;
    ev.line = std::move(line);
    events.push_back(std::move(ev));
  }
  lines_.clear();
}

BackendEvent LocalBackend::Finish(Trial& t) {
  // The trial's tree ends with it. Its zombie still holds the group id, so
  // this reaches only what is left of this trial.
  Signal(t, SIGKILL);
  if (watchdog_) watchdog_->Remove(t.pid);  // before the reap frees the group id
  int status = 0;
  pid_t reaped;
  do {
    reaped = ::waitpid(t.pid, &status, 0);
  } while (reaped < 0 && errno == EINTR);

  if (gpus_) gpus_->Release(t.id, t.pid);

  BackendEvent ev;
  ev.kind = BackendEvent::Kind::kExited;
  ev.trial_id = t.id;
  ev.timed_out = t.timed_out;
  ev.cancelled = t.cancelled;
  std::string how;
  if (reaped < 0) {
    ev.exit_code = -1;
    how = "exit status lost (" + ErrnoText(errno) + "; is SIGCHLD ignored?)";
  } else {
    how = DescribeWaitStatus(status);
    if (WIFEXITED(status)) {
      ev.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      ev.signal = WTERMSIG(status);
      ev.exit_code = 128 + ev.signal;
    }
  }
  if (t.timed_out) {
    ev.reason = "timed out after " + FormatSeconds(*t.timeout_s) + " (" + how + ")";
  } else if (t.cancelled) {
    ev.reason = "cancelled (" + how + ")";
  } else if (ev.exit_code != 0 || ev.signal != 0) {
    ev.reason = how;
  }
  if (!t.note.empty()) ev.reason += (ev.reason.empty() ? "" : "; ") + t.note;
  spdlog::debug("trial {}: {}", t.number, ev.reason.empty() ? how : ev.reason);
  return ev;
}

}  // namespace

std::unique_ptr<Backend> MakeLocalBackend(const LocalBackendOptions& options) {
  return std::make_unique<LocalBackend>(options);
}

}  // namespace gdsweep
