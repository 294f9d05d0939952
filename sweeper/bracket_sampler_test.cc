#include "sweeper/bracket_sampler.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace gdsweep {
namespace {

// Records the trial numbers of the history each request carried.
class RecordingSampler final : public Sampler {
 public:
  explicit RecordingSampler(std::vector<std::vector<int64_t>>* seen) : seen_(seen) {}
  Result<std::optional<Params>> Sample(const SampleRequest& req) override {
    std::vector<int64_t> numbers;
    for (const auto& t : req.history) numbers.push_back(t.number);
    seen_->push_back(numbers);
    return std::optional<Params>(Params{{"x", 0.5}});
  }

 private:
  std::vector<std::vector<int64_t>>* seen_;
};

TrialRecord Trial(int64_t number, TrialState state) {
  TrialRecord t;
  t.trial_id = 100 + number;
  t.number = number;
  t.state = state;
  t.params["x"] = 0.5;
  if (state == TrialState::kComplete) t.values = {0.25};
  return t;
}

// Study "pruning-digits-mlp", Hyperband with min_resource 1, max_resource 27,
// reduction factor 3 (4 brackets, budgets 27, 12, 6, 4): the bracket of
// trials 0..19 as Optuna 3.1's HyperbandPruner._get_bracket_id gives them
// (computed with Debian's python3-optuna and written down here).
const std::vector<int> kOptunaBrackets = {1, 1, 0, 3, 0, 2, 0, 2, 0, 3,
                                          0, 2, 1, 0, 0, 0, 1, 1, 0, 0};
const std::string kStudy = "pruning-digits-mlp";

HyperbandOptions Options() {
  HyperbandOptions o;
  o.min_resource = 1;
  o.max_resource = 27;
  o.reduction_factor = 3;
  return o;
}

// Has the pruner fix its brackets, as its first judgement in a study does.
void Judge(HyperbandPruner& pruner, const std::vector<TrialRecord>& history) {
  TrialRecord running = Trial(static_cast<int64_t>(history.size()), TrialState::kRunning);
  running.intermediate[1] = 0.5;
  pruner.Prune(PruneRequest{kStudy, Direction::kMinimize, history, running});
}

std::vector<TrialRecord> History(int64_t n) {
  std::vector<TrialRecord> h;
  for (int64_t i = 0; i < n; ++i) {
    const TrialState s = i % 5 == 4   ? TrialState::kPruned
                         : i % 7 == 6 ? TrialState::kRunning
                                      : TrialState::kComplete;
    h.push_back(Trial(i, s));
  }
  return h;
}

const SearchSpace kSpace{{"x", FloatDistribution{0.0, 1.0, false, std::nullopt}}};
const std::vector<Objective> kObjectives{{"loss", Direction::kMinimize}};

}  // namespace

TEST_CASE("with Hyperband the sampler sees the trials of the new trial's bracket only") {
  HyperbandPruner pruner(Options());
  const std::vector<TrialRecord> history = History(19);
  Judge(pruner, history);
  for (int64_t i = 0; i < 20; ++i) REQUIRE(pruner.BracketOf(kStudy, i) == kOptunaBrackets[i]);

  std::vector<std::vector<int64_t>> seen;
  BracketSampler sampler(std::make_unique<RecordingSampler>(&seen), pruner, kStudy);
  // Trial 19 is in bracket 0 and trial 9 in bracket 3 (Optuna's numbers).
  REQUIRE(sampler.Sample(SampleRequest{kSpace, kObjectives, history, 19}));
  const std::vector<int64_t> bracket0 = {2, 4, 6, 8, 10, 13, 14, 15, 18};
  CHECK(seen.back() == bracket0);
  const std::vector<TrialRecord> first9(history.begin(), history.begin() + 9);
  REQUIRE(sampler.Sample(SampleRequest{kSpace, kObjectives, first9, 9}));
  CHECK(seen.back() == std::vector<int64_t>{3});
  // The next request with the whole history again: bracket 1's trials.
  REQUIRE(sampler.Sample(SampleRequest{kSpace, kObjectives, history, 16}));
  CHECK(seen.back() == std::vector<int64_t>{0, 1, 12, 16, 17});
}

TEST_CASE("before Hyperband fixes its brackets the sampler sees every trial, as in Optuna") {
  HyperbandOptions auto_max = Options();
  auto_max.max_resource.reset();  // "auto": fixed at the first judgement with a COMPLETE trial
  HyperbandPruner pruner(auto_max);
  std::vector<TrialRecord> running = {Trial(0, TrialState::kRunning),
                                      Trial(1, TrialState::kPruned)};
  Judge(pruner, running);  // no COMPLETE trial: nothing fixed
  std::vector<std::vector<int64_t>> seen;
  BracketSampler sampler(std::make_unique<RecordingSampler>(&seen), pruner, kStudy);
  const std::vector<TrialRecord> history = History(19);
  REQUIRE(sampler.Sample(SampleRequest{kSpace, kObjectives, history, 19}));
  CHECK(seen.back().size() == 19);

  std::vector<TrialRecord> with_steps = history;
  for (auto& t : with_steps) t.intermediate[26] = 0.5;  // max_resource auto: 27
  Judge(pruner, with_steps);
  REQUIRE(sampler.Sample(SampleRequest{kSpace, kObjectives, with_steps, 19}));
  CHECK(seen.back() == std::vector<int64_t>{2, 4, 6, 8, 10, 13, 14, 15, 18});
}

TEST_CASE("only a Hyperband pruner itself filters the sampler's history") {
  std::vector<std::vector<int64_t>> seen;
  auto raw = std::make_unique<RecordingSampler>(&seen);
  Sampler* plain = raw.get();
  PrunerSpec median;
  median.type = PrunerType::kMedian;
  auto median_pruner = MakePruner(median);
  REQUIRE(median_pruner);
  auto same = FilterByBracket(std::move(raw), median_pruner->get(), kStudy);
  CHECK(same.get() == plain);
  same = FilterByBracket(std::move(same), nullptr, kStudy);
  CHECK(same.get() == plain);

  // Optuna filters for a HyperbandPruner, not for one a PatientPruner wraps.
  PrunerSpec patient;
  patient.type = PrunerType::kPatient;
  patient.patient.patience = 2;
  PrunerSpec hyperband;
  hyperband.type = PrunerType::kHyperband;
  hyperband.hyperband = Options();
  patient.patient.wrapped_pruner = std::make_shared<const PrunerSpec>(hyperband);
  auto patient_pruner = MakePruner(patient);
  REQUIRE(patient_pruner);
  same = FilterByBracket(std::move(same), patient_pruner->get(), kStudy);
  CHECK(same.get() == plain);

  auto hyperband_pruner = MakePruner(hyperband);
  REQUIRE(hyperband_pruner);
  auto filtered = FilterByBracket(std::move(same), hyperband_pruner->get(), kStudy);
  CHECK(filtered.get() != plain);
  Judge(static_cast<HyperbandPruner&>(**hyperband_pruner), History(19));
  REQUIRE(filtered->Sample(SampleRequest{kSpace, kObjectives, History(19), 9}));
  CHECK(seen.back() == std::vector<int64_t>{3, 9});
}

}  // namespace gdsweep
