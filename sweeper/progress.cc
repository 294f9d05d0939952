#include "sweeper/progress.h"

#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "sweeper/best.h"
#include "sweeper/model/utf8.h"

namespace gdsweep {
namespace {

constexpr int kBarWidth = 20;

// "[######..............]" for `fraction` in [0, 1].
std::string Bar(double fraction) {
  const int filled = static_cast<int>(std::lround(std::clamp(fraction, 0.0, 1.0) * kBarWidth));
  return "[" + std::string(filled, '#') + std::string(kBarWidth - filled, '.') + "]";
}

// The columns of the terminal `out` writes to, or 0 when unknown.
size_t TerminalWidth(std::FILE* out) {
  winsize ws{};
  if (ioctl(fileno(out), TIOCGWINSZ, &ws) != 0) return 0;
  return ws.ws_col;
}

// `line` cut to fit `width` columns (bytes, at a UTF-8 boundary), so a
// redraw never wraps and leaves a stale line behind.
std::string FitWidth(std::string line, size_t width) {
  if (width == 0 || line.size() < width) return line;
  size_t cut = width - 1;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
  line.resize(cut);
  return line;
}

}  // namespace

std::string FormatValues(const StudySpec& spec, const std::vector<double>& values) {
  std::string out;
  for (size_t k = 0; k < values.size() && k < spec.objectives.size(); ++k) {
    if (!out.empty()) out += ' ';
    out += spec.objectives[k].metric + "=" + FormatDouble(values[k]);
  }
  return out;
}

std::string FormatParams(const SearchSpace& space, const Params& params) {
  std::string out;
  for (const auto& p : space) {
    auto it = params.find(p.name);
    if (it == params.end()) continue;
    if (!out.empty()) out += ' ';
    out += p.name + "=" + FormatValue(p.distribution, it->second);
  }
  return out;
}

std::string FormatDuration(double seconds) {
  const auto s = static_cast<int64_t>(std::max(0.0, std::round(seconds)));
  char text[32];
  if (s < 60) {
    std::snprintf(text, sizeof text, "%llds", static_cast<long long>(s));
  } else if (s < 3600) {
    std::snprintf(text, sizeof text, "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(text, sizeof text, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60));
  }
  return text;
}

Progress::Progress(const StudySpec& spec, std::FILE* out, bool redraw,
                   std::chrono::seconds interval)
    : spec_(spec), out_(out), redraw_(redraw), interval_(interval) {}

void Progress::Count(const TrialRecord& t) {
  if (t.state == TrialState::kComplete) {
    ++completed_;
    std::vector<Direction> dirs;
    for (const auto& o : spec_.objectives) dirs.push_back(o.direction);
    if (dirs.size() == 1) {
      std::vector<TrialRecord> pair = {t};
      if (best_) pair.insert(pair.begin(), *best_);
      const auto best = BestTrials(pair, dirs);  // empty: both infeasible
      if (!best.empty()) best_ = *best.front();
    }
  } else if (t.state == TrialState::kFail) {
    ++failed_;
  } else if (t.state == TrialState::kPruned) {
    ++pruned_;
  }
}

void Progress::Resume(const std::vector<TrialRecord>& history) {
  std::set<int64_t> retried;  // numbers of the trials a later attempt retries
  for (const auto& t : history) {
    if (t.tag == spec_.tag && t.retry_of) retried.insert(*t.retry_of);
  }
  for (const auto& t : history) {
    if (t.tag != spec_.tag || !IsFinished(t.state)) continue;
    Count(t);
    if (t.state == TrialState::kFail && retried.count(t.number)) ++retried_;
  }
  done_at_start_ = done();
}

void Progress::TrialStarted(const TrialRecord& t) {
  if (!spdlog::should_log(spdlog::level::debug)) return;
  spdlog::debug("trial {} started (attempt {}): {}", t.number, t.attempt,
                FormatParams(spec_.space, t.params));
}

void Progress::TrialFinished(const TrialRecord& t, double seconds, bool will_retry) {
  Count(t);
  if (will_retry && t.state == TrialState::kFail) ++retried_;
  if (status_shown_ && redraw_) std::fputs("\r\033[K", out_);
  status_shown_ = false;
  const auto level = t.state == TrialState::kComplete ? spdlog::level::info : spdlog::level::warn;
  if (!spdlog::should_log(level)) return;
  // The log format escapes control characters: a choice or a reason with a
  // newline stays on its line.
  const std::string params = FormatParams(spec_.space, t.params);
  if (t.state == TrialState::kComplete) {
    spdlog::info("trial {} COMPLETE in {:.1f}s: {} [{}]", t.number, seconds,
                 FormatValues(spec_, t.values), params);
  } else {
    spdlog::warn("trial {} {} in {:.1f}s: {} [{}]", t.number, ToString(t.state), seconds,
                 t.failure_reason, params);
  }
}

std::string Progress::StatusLine(size_t running) const {
  return StatusLine(running, Clock::now() - start_);
}

std::string Progress::StatusLine(size_t running, Clock::duration elapsed) const {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  const int64_t finished = done();
  std::string line = EscapeControls(spec_.name + "/" + spec_.tag) + " ";
  const auto& budget = spec_.budget.n_trials;
  if (budget && *budget > 0) {
    const double fraction = static_cast<double>(finished) / static_cast<double>(*budget);
    char percent[8];
    std::snprintf(percent, sizeof percent, "%3d%%",
                  static_cast<int>(std::min(1.0, fraction) * 100));
    line += Bar(fraction) + " " + percent + " " + std::to_string(finished) + "/" +
            std::to_string(*budget) + ": ";
  } else {
    line += std::to_string(finished) + " done: ";
  }
  line += std::to_string(completed_) + " complete, " + std::to_string(failed_) + " failed";
  if (retried_) line += " (" + std::to_string(retried_) + " retried)";
  line += ", " + std::to_string(pruned_) + " pruned, " + std::to_string(running) + " running";
  line += " | " + FormatDuration(seconds);
  const int64_t this_run = finished - done_at_start_;
  if (this_run > 0 && seconds > 0) {
    const double per_minute = static_cast<double>(this_run) / seconds * 60;
    char rate[32];
    std::snprintf(rate, sizeof rate, ", %.1f/min", per_minute);
    line += rate;
    if (budget && finished < *budget) {
      line += ", ETA " + FormatDuration(static_cast<double>(*budget - finished) / per_minute * 60);
    }
  }
  if (best_) {
    line += " | best " + FormatValues(spec_, best_->values) + " (trial " +
            std::to_string(best_->number) + ")";
  }
  return line;
}

bool Progress::Shown() const { return spdlog::should_log(spdlog::level::info); }

void Progress::Print(const std::string& line, bool force) {
  if (!Shown()) return;
  auto now = Clock::now();
  if (redraw_) {
    std::fprintf(out_, "\r\033[K%s", FitWidth(line, TerminalWidth(out_)).c_str());
    std::fflush(out_);
    status_shown_ = true;
    return;
  }
  if (!force && now - last_print_ < interval_) return;
  last_print_ = now;
  if (line == last_line_) return;  // the last tick already said it
  last_line_ = line;
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
}

void Progress::Tick(size_t running) {
  if (!Shown()) return;
  auto now = Clock::now();
  if (redraw_) {
    if (now - last_print_ < std::chrono::milliseconds(200)) return;
    last_print_ = now;
    Print(StatusLine(running), false);
    return;
  }
  // Not a terminal: a line every interval, and one at each tenth of the budget.
  const auto& budget = spec_.budget.n_trials;
  const int64_t tenth = budget && *budget > 0 ? done() * 10 / *budget : -1;
  const bool new_tenth = tenth > last_printed_tenth_;
  if (!new_tenth && now - last_print_ < interval_) return;
  last_printed_tenth_ = tenth;
  Print(StatusLine(running), true);
}

void Progress::Done(size_t running) {
  if (!Shown()) return;
  Print(StatusLine(running), true);
  if (redraw_) std::fputs("\n", out_);
  status_shown_ = false;
}

}  // namespace gdsweep
