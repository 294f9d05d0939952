#include "sweeper/progress.h"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "sweeper/best.h"

namespace gdsweep {

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
      best_ = *BestTrials(pair, dirs).front();
    }
  } else if (t.state == TrialState::kFail) {
    ++failed_;
  } else if (t.state == TrialState::kPruned) {
    ++pruned_;
  }
}

void Progress::Resume(const std::vector<TrialRecord>& history) {
  for (const auto& t : history) {
    if (t.tag == spec_.tag && IsFinished(t.state)) Count(t);
  }
}

void Progress::TrialStarted(const TrialRecord& t) {
  if (!spdlog::should_log(spdlog::level::debug)) return;
  spdlog::debug("trial {} started (attempt {}): {}", t.number, t.attempt,
                FormatParams(spec_.space, t.params));
}

void Progress::TrialFinished(const TrialRecord& t, double seconds) {
  Count(t);
  if (status_shown_ && redraw_) std::fputs("\r\033[K", out_);
  status_shown_ = false;
  const auto level = t.state == TrialState::kComplete ? spdlog::level::info : spdlog::level::warn;
  if (!spdlog::should_log(level)) return;
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
  std::string line = spec_.name + "/" + spec_.tag + ": " + std::to_string(completed_) + " done";
  if (spec_.budget.n_trials) line += " of " + std::to_string(*spec_.budget.n_trials);
  line += ", " + std::to_string(running) + " running, " + std::to_string(failed_) + " failed";
  if (pruned_) line += ", " + std::to_string(pruned_) + " pruned";
  if (best_) {
    line += "; best " + FormatValues(spec_, best_->values) + " (trial " +
            std::to_string(best_->number) + ")";
  }
  return line;
}

void Progress::Print(const std::string& line, bool force) {
  auto now = std::chrono::steady_clock::now();
  if (redraw_) {
    std::fprintf(out_, "\r\033[K%s", line.c_str());
    std::fflush(out_);
    status_shown_ = true;
    return;
  }
  if (!force && now - last_print_ < interval_) return;
  last_print_ = now;
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
}

void Progress::Tick(size_t running) {
  auto now = std::chrono::steady_clock::now();
  if (redraw_ && now - last_print_ < std::chrono::milliseconds(200)) return;
  if (!redraw_ && now - last_print_ < interval_) return;
  if (redraw_) last_print_ = now;
  Print(StatusLine(running), false);
}

void Progress::Done(size_t running) {
  Print(StatusLine(running), true);
  if (redraw_) std::fputs("\n", out_);
}

}  // namespace gdsweep
