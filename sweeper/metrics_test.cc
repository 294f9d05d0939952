#include "sweeper/metrics.h"

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>

namespace gdsweep {

TEST_CASE("metric lines are found anywhere in a line, as Katib's collector does") {
  auto s = ParseMetricLine("Epoch 3: loss=0.25 acc = 9e-1, lr=1e-3; note=abc x=1=2");
  REQUIRE(s.size() == 5);
  CHECK(s[0].name == "loss");
  CHECK(s[0].value == 0.25);
  CHECK(s[1].name == "acc");
  CHECK(s[1].value == 0.9);
  CHECK(s[2].name == "lr");
  CHECK(s[2].value == 0.001);
  for (int i = 0; i < 3; ++i) CHECK(s[i].problem == MetricProblem::kNone);
  CHECK(s[3].name == "note");
  CHECK(DescribeProblem(s[3]) == "'abc' is not a number");
  CHECK(s[4].name == "x");
  CHECK(DescribeProblem(s[4]) == "'1=2' is not a number");
  CHECK(ParseMetricLine("no metrics here").empty());
  CHECK(ParseMetricLine("val/loss=-inf")[0].value == -INFINITY);
  CHECK(ParseMetricLine("loss=+Infinity")[0].value == INFINITY);
  CHECK(std::isnan(ParseMetricLine("loss=NaN")[0].value));
  CHECK(ParseMetricLine("loss=+.5")[0].value == 0.5);
  CHECK(ParseMetricLine("loss=1e-400")[0].value == 0.0);  // too small reads as zero
}

TEST_CASE("a value no double holds is reported as a problem, not skipped") {
  CHECK(DescribeProblem(ParseMetricLine("loss=0.5abc")[0]) == "'0.5abc' is not a number");
  CHECK(DescribeProblem(ParseMetricLine("loss=1e400")[0]) == "'1e400' is too large for a double");
  CHECK(DescribeProblem(ParseMetricLine("loss=-1e400")[0]) == "'-1e400' is too large for a double");
  CHECK(DescribeProblem(ParseMetricLine("loss= ")[0]) == "it has no value");
  CHECK(DescribeProblem(ParseMetricLine("loss=\xff")[0]) == "'\\xFF' is not a number");
}

TEST_CASE("an objective's unreadable last report fails the trial, quoting the line") {
  MetricCollector c({{"loss", Direction::kMinimize}});
  c.AddLine("starting");
  c.AddLine("loss=0.5");
  c.AddLine("epoch=2 loss=1e400");
  auto v = c.FinalValues();
  REQUIRE_FALSE(v.ok());
  CHECK(v.error().message ==
        "reported 'loss' on stdout line 3 as something that is not a number ('1e400' is too "
        "large for a double): \"epoch=2 loss=1e400\"");
  CHECK(c.TakePending() == std::map<int64_t, double>{{0, 0.5}});  // only what could be read

  c.AddLine("loss=0.25");  // a later readable report counts again
  REQUIRE(c.FinalValues().ok());
  CHECK(*c.FinalValues() == std::vector<double>{0.25});

  MetricCollector other({{"loss", Direction::kMinimize}});
  other.AddLine("loss=1.5abc note=whatever");
  CHECK(other.FinalValues().error().message ==
        "reported 'loss' on stdout line 1 as something that is not a number ('1.5abc' is not a "
        "number): \"loss=1.5abc note=whatever\"");
  MetricCollector ignored({{"loss", Direction::kMinimize}});
  ignored.AddLine("config=big.yaml loss=0.1");  // not an objective: not its business
  CHECK(*ignored.FinalValues() == std::vector<double>{0.1});
}

TEST_CASE("the last report counts; earlier ones are intermediate values with their step") {
  MetricCollector c({{"loss", Direction::kMinimize}, {"acc", Direction::kMaximize}});
  c.AddLine("loss=0.9");
  c.AddLine("epoch=5 loss=0.5 acc=0.7");
  c.AddLine("loss=0.4 acc=0.8");
  auto pending = c.TakePending();
  REQUIRE(pending.size() == 3);
  CHECK(pending.at(0) == 0.9);
  CHECK(pending.at(5) == 0.5);
  CHECK(pending.at(6) == 0.4);
  CHECK_FALSE(c.HasPending());
  auto v = c.FinalValues();
  REQUIRE(v.ok());
  CHECK(*v == std::vector<double>{0.4, 0.8});
}

// Regression: intermediate values reached MLflow with the time they were
// stored (every few seconds, several at once), not when the trial reported them.
TEST_CASE("each intermediate value keeps the time its line was read") {
  MetricCollector c({{"loss", Direction::kMinimize}});
  c.AddLine("epoch=1 loss=0.9", 1000.5);
  c.AddLine("epoch=2 loss=0.8", 1001.5);
  CHECK(c.TakePending() == std::map<int64_t, double>{{1, 0.9}, {2, 0.8}});
  CHECK(c.TakePendingTimes() == std::map<int64_t, double>{{1, 1000.5}, {2, 1001.5}});
  CHECK(c.TakePendingTimes().empty());
  const double before =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  c.AddLine("loss=0.7");  // read now
  const auto times = c.TakePendingTimes();
  REQUIRE(times.size() == 1);
  CHECK(times.at(3) >= before);
  CHECK(times.at(3) < before + 60);
}

TEST_CASE("a repeated step is ignored as Optuna's report ignores it; out of order is a new step") {
  MetricCollector c({{"loss", Direction::kMinimize}});
  c.AddLine("step=3 loss=0.5");
  c.AddLine("step=1 loss=0.7");  // out of order: a step of its own
  CHECK_FALSE(c.TakeFirstRepeat());
  c.AddLine("step=3 loss=0.1");  // repeated: ignored, said once
  c.AddLine("step=1 loss=0.2");
  CHECK(c.TakeFirstRepeat() == std::optional<int64_t>(3));
  CHECK_FALSE(c.TakeFirstRepeat());
  CHECK(c.TakePending() == std::map<int64_t, double>{{1, 0.7}, {3, 0.5}});
  c.AddLine("step=3 loss=0.05");  // also after its value was taken
  CHECK_FALSE(c.HasPending());
  // The final value is still the last report.
  CHECK(*c.FinalValues() == std::vector<double>{0.05});
}

TEST_CASE("a trial that does not report, or reports NaN, has no result") {
  MetricCollector c({{"loss", Direction::kMinimize}});
  c.AddLine("accuracy=0.3");
  REQUIRE_FALSE(c.FinalValues().ok());
  CHECK(c.FinalValues().error().message == "did not report 'loss' (it printed: accuracy)");
  c.AddLine("loss=nan");
  CHECK(c.FinalValues().error().message == "reported NaN for 'loss'");
}

TEST_CASE("a metric never reported: the message lists the names the trial did print") {
  MetricCollector c({{"val_loss", Direction::kMinimize}});
  CHECK(c.FinalValues().error().message ==
        "did not report 'val_loss' (it printed no name=value metrics)");
  c.AddLine("epoch=1 loss=0.5 acc=0.7");
  c.AddLine("epoch=2 loss=0.4 acc=0.8");
  CHECK(c.FinalValues().error().message == "did not report 'val_loss' (it printed: loss, acc)");
  for (int i = 0; i < 12; ++i) c.AddLine("m" + std::to_string(i) + "=1");
  CHECK(c.FinalValues().error().message ==
        "did not report 'val_loss' (it printed: loss, acc, m0, m1, m2, m3, m4, m5, m6, m7, ...)");
  MetricCollector file({{"val_loss", Direction::kMinimize}});
  REQUIRE(file.AddResultJson(R"({"loss": 0.125})").ok());
  CHECK(file.FinalValues().error().message == "did not report 'val_loss' (it printed: loss)");
}

TEST_CASE("a result file gives the values") {
  MetricCollector c({{"loss", Direction::kMinimize}, {"acc", Direction::kMaximize}});
  REQUIRE(c.AddResultJson(R"({"loss": 0.125, "acc": "Infinity"})").ok());
  CHECK(*c.FinalValues() == std::vector<double>{0.125, INFINITY});
  CHECK_FALSE(c.AddResultJson("[1]").ok());
  CHECK_FALSE(c.AddResultJson(R"({"loss": [1]})").ok());
}

}  // namespace gdsweep
