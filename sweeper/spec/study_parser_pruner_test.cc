// The pruner section: every type with Optuna's defaults and names, "auto"
// resources, nesting under patient, and the errors: where (FILE:LINE:COLUMN),
// which key, and why (ranges, keys of another type, multi-objective studies).
#include "sweeper/spec/study_parser_pruner.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "sweeper/spec/study_parser.h"

namespace gdsweep {
namespace {

constexpr const char* kPrunerStudy = R"(study_name: digits
objective: {metric: accuracy, direction: maximize}
search_space:
  lr: {type: float, low: 0.001, high: 0.1}
trial:
  command: [python3, train.py, "{lr}"]
)";

// kPrunerStudy with `section` after it; the section starts at line 7.
std::string WithPruner(const std::string& section) { return std::string(kPrunerStudy) + section; }

PrunerSpec ParsePruner(const std::string& section, const std::vector<SetOverride>& sets = {}) {
  auto r = ParseStudyText(WithPruner(section), "study.yaml", sets);
  if (!r.ok()) FAIL(r.error().message);
  return std::move(r).value().pruner;
}

std::string PrunerErrorOf(const std::string& text) {
  auto r = ParseStudyText(text, "study.yaml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == Error::Kind::kInvalidInput);
  return r.error().message;
}

}  // namespace

TEST_CASE("pruner is a top-level key; a misspelling gets a did-you-mean") {
  CHECK(PrunerErrorOf(WithPruner("pruners: {type: median}\n")) ==
        "study.yaml:7:1: pruners: unknown key; did you mean 'pruner'?");
}

TEST_CASE("no section, null or type none: trials are never pruned") {
  CHECK(ParsePruner("").type == PrunerType::kNone);
  CHECK(ParsePruner("pruner: null\n").type == PrunerType::kNone);
  CHECK(ParsePruner("pruner: {type: none}\n").type == PrunerType::kNone);
}

TEST_CASE("median and percentile: Optuna's defaults, and every setting") {
  PrunerSpec median = ParsePruner("pruner: {type: median}\n");
  CHECK(median.type == PrunerType::kMedian);
  CHECK(median.percentile.n_startup_trials == 5);
  CHECK(median.percentile.n_warmup_steps == 0);
  CHECK(median.percentile.interval_steps == 1);
  CHECK(median.percentile.n_min_trials == 1);
  PrunerSpec p = ParsePruner(R"(pruner:
  type: percentile
  percentile: 25.5
  n_startup_trials: 0
  n_warmup_steps: 10
  interval_steps: 5
  n_min_trials: 3
)");
  CHECK(p.type == PrunerType::kPercentile);
  CHECK(p.percentile.percentile == 25.5);
  CHECK(p.percentile.n_startup_trials == 0);
  CHECK(p.percentile.n_warmup_steps == 10);
  CHECK(p.percentile.interval_steps == 5);
  CHECK(p.percentile.n_min_trials == 3);
}

TEST_CASE("successive halving and Hyperband: 'auto' resources and defaults") {
  PrunerSpec sh = ParsePruner("pruner: {type: successive_halving}\n");
  CHECK_FALSE(sh.successive_halving.min_resource.has_value());
  CHECK(sh.successive_halving.reduction_factor == 4);
  CHECK(sh.successive_halving.min_early_stopping_rate == 0);
  sh = ParsePruner(
      "pruner: {type: successive_halving, min_resource: 3, reduction_factor: 2,"
      " min_early_stopping_rate: 1, bootstrap_count: 4}\n");
  CHECK(sh.successive_halving.min_resource == 3);
  CHECK(sh.successive_halving.bootstrap_count == 4);
  PrunerSpec hb = ParsePruner("pruner: {type: hyperband, max_resource: auto}\n");
  CHECK(hb.hyperband.min_resource == 1);
  CHECK_FALSE(hb.hyperband.max_resource.has_value());
  CHECK(hb.hyperband.reduction_factor == 3);
  hb = ParsePruner("pruner: {type: hyperband, min_resource: 2, max_resource: 100}\n");
  CHECK(hb.hyperband.max_resource == 100);
}

TEST_CASE("threshold and patient, wrapping another pruner") {
  PrunerSpec t = ParsePruner("pruner: {type: threshold, upper: 1.5, n_warmup_steps: 2}\n");
  CHECK_FALSE(t.threshold.lower.has_value());
  CHECK(t.threshold.upper == 1.5);
  PrunerSpec p = ParsePruner(R"(pruner:
  type: patient
  patience: 3
  min_delta: 0.01
  wrapped_pruner: {type: median, n_warmup_steps: 5}
)");
  CHECK(p.patient.patience == 3);
  CHECK(p.patient.min_delta == 0.01);
  REQUIRE(p.patient.wrapped_pruner);
  CHECK(p.patient.wrapped_pruner->type == PrunerType::kMedian);
  CHECK(p.patient.wrapped_pruner->percentile.n_warmup_steps == 5);
}

TEST_CASE("--set reaches the section") {
  CHECK(ParsePruner("pruner: {type: median}\n", {"pruner.n_warmup_steps=7"})
            .percentile.n_warmup_steps == 7);
}

TEST_CASE("settings out of range point at their value") {
  CHECK(PrunerErrorOf(WithPruner("pruner: {type: percentile, percentile: 120}\n")) ==
        "study.yaml:7:40: pruner.percentile: must be from 0 to 100 inclusive, got 120");
  CHECK(PrunerErrorOf(WithPruner("pruner:\n  type: median\n  interval_steps: 0\n")) ==
        "study.yaml:9:19: pruner.interval_steps: must be at least 1, got 0");
  CHECK(PrunerErrorOf(WithPruner("pruner: {type: hyperband, reduction_factor: 1}\n")) ==
        "study.yaml:7:45: pruner.reduction_factor: must be at least 2, got 1");
  CHECK(PrunerErrorOf(WithPruner("pruner: {type: hyperband, min_resource: 10, max_resource: 5}\n"))
            .starts_with("study.yaml:7:59: pruner.max_resource: must be at least min_resource"));
  CHECK(PrunerErrorOf(WithPruner("pruner: {type: successive_halving, bootstrap_count: 2}\n")) ==
        "study.yaml:7:53: pruner.bootstrap_count: a bootstrap_count above 0 needs an explicit "
        "min_resource, not 'auto' (as in Optuna)");
  CHECK(PrunerErrorOf(WithPruner("pruner: {type: threshold, lower: 2, upper: 1}\n")) ==
        "study.yaml:7:34: pruner.lower: must not be above upper (1), got 2");
  CHECK(PrunerErrorOf(WithPruner("pruner: {type: threshold}\n")) ==
        "study.yaml:7:9: pruner: a threshold pruner needs 'lower', 'upper' or both");
  CHECK(PrunerErrorOf(WithPruner("pruner: {type: patient, patience: -1}\n")) ==
        "study.yaml:7:35: pruner.patience: must be at least 0, got -1");
}

TEST_CASE("wrong types, unknown types and keys, with a did-you-mean") {
  CHECK(PrunerErrorOf(WithPruner("pruner: {type: hyperband, max_resource: lots}\n")) ==
        "study.yaml:7:41: pruner.max_resource: expected a whole number or 'auto', got 'lots'");
  CHECK(PrunerErrorOf(WithPruner("pruner: {type: median, n_warmup_steps: 1.5}\n")) ==
        "study.yaml:7:40: pruner.n_warmup_steps: expected a whole number, got '1.5'");
  CHECK(PrunerErrorOf(WithPruner("pruner: {type: hyperbnd}\n"))
            .starts_with("study.yaml:7:16: pruner.type:"));
  CHECK(PrunerErrorOf(WithPruner("pruner: {type: hyperbnd}\n")).find("hyperband") !=
        std::string::npos);
  CHECK(PrunerErrorOf(WithPruner("pruner: {type: median, n_startup_trial: 1}\n"))
            .starts_with("study.yaml:7:24: pruner.n_startup_trial: unknown key"));
  CHECK(PrunerErrorOf(WithPruner("pruner: {type: median, min_resource: 1}\n")) ==
        "study.yaml:7:24: pruner.min_resource: a setting of other pruner types, not of 'median' "
        "(it takes n_startup_trials, n_warmup_steps, interval_steps, n_min_trials)");
  CHECK(PrunerErrorOf(WithPruner("pruner: {n_warmup_steps: 1}\n")) ==
        "study.yaml:7:9: pruner: missing required key 'type'");
  CHECK(PrunerErrorOf(WithPruner("pruner: {type: percentile}\n")) ==
        "study.yaml:7:9: pruner: missing required key 'percentile'");
  CHECK(PrunerErrorOf(WithPruner("pruner: median\n"))
            .starts_with("study.yaml:7:9: pruner: expected a mapping"));
}

TEST_CASE("patient cannot wrap patient; the wrapped pruner's errors say where") {
  CHECK(
      PrunerErrorOf(WithPruner(R"(pruner:
  type: patient
  patience: 2
  wrapped_pruner: {type: patient, patience: 1}
)"))
          .starts_with("study.yaml:10:26: pruner.wrapped_pruner.type: a patient pruner cannot wrap "
                       "another patient pruner"));
  CHECK(PrunerErrorOf(WithPruner(R"(pruner:
  type: patient
  patience: 2
  wrapped_pruner: {type: median, n_min_trials: 0}
)")) == "study.yaml:10:48: pruner.wrapped_pruner.n_min_trials: must be at least 1, got 0");
}

TEST_CASE("a pruner on a multi-objective study is refused, saying why; none is accepted") {
  const std::string two = R"(study_name: pareto
objectives:
  - {metric: loss, direction: minimize}
  - {metric: latency, direction: minimize}
search_space:
  lr: {type: float, low: 0.001, high: 0.1}
trial:
  command: [python3, train.py, "{lr}"]
)";
  const std::string e = PrunerErrorOf(two + "pruner: {type: median}\n");
  CHECK(
      e.starts_with("study.yaml:9:16: pruner.type: pruning needs a single objective, and this "
                    "study has 2"));
  CHECK(e.find("Optuna refuses too: \"Trial.report is not supported for multi-objective "
               "optimization.\"") != std::string::npos);
  CHECK(ParseStudyText(two + "pruner: {type: none}\n", "study.yaml").ok());
}

}  // namespace gdsweep
