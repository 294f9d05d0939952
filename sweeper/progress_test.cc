#include "sweeper/progress.h"

#include <doctest/doctest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <string>

#include "storage/test_support.h"
#include "sweeper/scheduler_test_support.h"

namespace gdsweep {
namespace {

using namespace std::chrono_literals;

TrialRecord Finished(int64_t number, TrialState state, double loss = 0) {
  TrialRecord t;
  t.number = number;
  t.trial_id = number + 1;
  t.state = state;
  t.tag = "default";
  if (state == TrialState::kComplete) t.values = {loss};
  return t;
}

// The default logger at `level`, writing nowhere, while it lives.
struct LogLevel {
  explicit LogLevel(spdlog::level::level_enum level) : previous(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("progress-test",
                                                   std::make_shared<spdlog::sinks::null_sink_mt>());
    logger->set_level(level);
    spdlog::set_default_logger(logger);
  }
  ~LogLevel() { spdlog::set_default_logger(previous); }
  std::shared_ptr<spdlog::logger> previous;
};

// What was written to `f` so far.
std::string Contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  for (int c; (c = std::fgetc(f)) != EOF;) out += static_cast<char>(c);
  return out;
}

TEST_CASE("the status line has a bar, counts by state, elapsed time, rate, ETA and the best") {
  LogLevel info(spdlog::level::info);
  testing::TempDir dir;
  const StudySpec spec = testing::SmallSweepSpec(dir, 10, 3);
  Progress progress(spec, stderr, false);
  auto retry = Finished(2, TrialState::kComplete, 0.25);
  retry.retry_of = 1;
  retry.attempt = 2;
  progress.Resume({Finished(0, TrialState::kComplete, 0.5), Finished(1, TrialState::kFail), retry,
                   Finished(3, TrialState::kPruned)});
  CHECK(progress.done() == 3);  // the retried FAIL does not count toward the budget
  progress.TrialFinished(Finished(4, TrialState::kComplete, 0.75), 1);
  progress.TrialFinished(Finished(5, TrialState::kFail), 1);
  progress.TrialFinished(Finished(6, TrialState::kFail), 1, /*will_retry=*/true);
  CHECK(progress.StatusLine(3, 60s) ==
        "s/default [##########..........]  50% 5/10: 3 complete, 3 failed (2 retried), 1 pruned, "
        "3 running | 1m00s, 2.0/min, ETA 2m30s | best loss=0.25 (trial 2)");
  // Nothing finished in this run yet: no rate, no ETA.
  Progress fresh(spec, stderr, false);
  CHECK(
      fresh.StatusLine(0, 5s) ==
      "s/default [....................]   0% 0/10: 0 complete, 0 failed, 0 pruned, 0 running | 5s");
}

TEST_CASE("off a terminal the status line is a plain line per interval or tenth of the budget") {
  LogLevel info(spdlog::level::info);
  testing::TempDir dir;
  const StudySpec spec = testing::SmallSweepSpec(dir, 10, 3);
  std::FILE* out = std::tmpfile();
  REQUIRE(out != nullptr);
  Progress progress(spec, out, false, std::chrono::seconds(3600));
  progress.Tick(1);  // the first line
  progress.Tick(1);
  progress.Tick(1);
  progress.TrialFinished(Finished(0, TrialState::kComplete, 1), 1);  // a tenth of the budget
  progress.Tick(1);
  progress.Tick(1);
  const std::string text = Contents(out);
  std::fclose(out);
  CHECK(text.find('\r') == std::string::npos);
  CHECK(text.find('\033') == std::string::npos);
  int lines = 0;
  for (char c : text) lines += c == '\n';
  CHECK(lines == 2);
  CHECK(text.find("  10% 1/10: 1 complete") != std::string::npos);
}

TEST_CASE("--quiet and --log-level off: no status line at all") {
  testing::TempDir dir;
  const StudySpec spec = testing::SmallSweepSpec(dir, 10, 3);
  for (auto level : {spdlog::level::off, spdlog::level::err}) {
    LogLevel quiet(level);
    std::FILE* out = std::tmpfile();
    REQUIRE(out != nullptr);
    for (bool redraw : {false, true}) {
      Progress progress(spec, out, redraw);
      progress.Tick(1);
      progress.TrialFinished(Finished(0, TrialState::kComplete, 1), 1);
      progress.Done(0);
    }
    CHECK(Contents(out).empty());
    std::fclose(out);
  }
}

TEST_CASE("durations read as seconds, minutes or hours") {
  CHECK(FormatDuration(0) == "0s");
  CHECK(FormatDuration(59.4) == "59s");
  CHECK(FormatDuration(65) == "1m05s");
  CHECK(FormatDuration(3 * 3600 + 125) == "3h02m");
}

}  // namespace
}  // namespace gdsweep
