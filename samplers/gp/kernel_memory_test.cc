// The GP sampler's memory between suggestions (kernel_memory.h): the JSON
// round trip, which trial's memory is recalled, what is refused; and the
// sampler's use of it: kernels compared every few COMPLETE trials, warm
// starts, and the same proposal whichever process asks.
#include "samplers/gp/kernel_memory.h"

#include <doctest/doctest.h>

#include <cmath>

#include "samplers/gp/gp_sampler.h"
#include "samplers/seeding.h"

namespace gdsweep::gp {
namespace {

KernelMemory MemoryOfBothKernels() {
  KernelMemory m;
  m.chosen = KernelKind::kAdditive;
  m.squeezed = true;
  m.selected_at = 57;
  KernelParams ard;
  ard.kind = KernelKind::kArd;
  ard.inverse_squared_lengthscales = {0.1, 1.0 / 3, 2e-4};
  ard.scale = 0.7071067811865476;
  ard.noise_var = 1e-6 + 1.0 / 7;
  KernelParams additive;
  additive.kind = KernelKind::kAdditive;
  additive.component_inverse_squared_lengthscales = {3.3, std::exp(9.2), 1e-3};
  additive.component_scales = {0.1, 0.2, 1.0 / 3};
  additive.noise_var = 1e-6;
  m.fitted.ard = ard;
  m.fitted.additive = additive;
  return m;
}

TrialRecord TrialWithMemory(int64_t number, const std::string& memory) {
  TrialRecord t;
  t.number = number;
  t.state = TrialState::kComplete;
  t.values = {0};
  if (!memory.empty()) t.sampler_attrs[kKernelMemoryAttr] = memory;
  return t;
}

}  // namespace

TEST_CASE("kernel memory: the JSON round-trips exactly; the highest-numbered trial's is recalled") {
  const KernelMemory m = MemoryOfBothKernels();
  KernelMemory older = m;
  older.chosen = KernelKind::kArd;
  older.squeezed = false;
  older.selected_at = 12;
  // Trials in any order: the memory of number 9 wins over number 4's, and a
  // trial without one (another sampler's) is passed over.
  const std::vector<TrialRecord> history = {TrialWithMemory(9, KernelMemoryJson(m)),
                                            TrialWithMemory(4, KernelMemoryJson(older)),
                                            TrialWithMemory(10, "")};
  const auto recalled = RecallKernelMemory(history, 3);
  REQUIRE(recalled);
  CHECK(recalled->chosen == KernelKind::kAdditive);
  CHECK(recalled->squeezed);
  CHECK(recalled->selected_at == 57);
  REQUIRE(recalled->fitted.ard);
  REQUIRE(recalled->fitted.additive);
  CHECK_FALSE(recalled->fitted.ard_plus_additive);
  // Bit for bit: a resumed study recomputes the same proposals from them.
  CHECK(recalled->fitted.ard->inverse_squared_lengthscales ==
        m.fitted.ard->inverse_squared_lengthscales);
  CHECK(recalled->fitted.ard->scale == m.fitted.ard->scale);
  CHECK(recalled->fitted.ard->noise_var == m.fitted.ard->noise_var);
  CHECK(recalled->fitted.additive->component_inverse_squared_lengthscales ==
        m.fitted.additive->component_inverse_squared_lengthscales);
  CHECK(recalled->fitted.additive->component_scales == m.fitted.additive->component_scales);
  CHECK(KernelMemoryJson(*recalled) == KernelMemoryJson(m));
}

TEST_CASE("kernel memory: none recalled from no memory, another space's, or text it cannot read") {
  const std::string good = KernelMemoryJson(MemoryOfBothKernels());
  CHECK_FALSE(RecallKernelMemory({}, 3));
  CHECK_FALSE(RecallKernelMemory({TrialWithMemory(0, "")}, 3));
  // The study's space has another number of parameters.
  CHECK_FALSE(RecallKernelMemory({TrialWithMemory(0, good)}, 4));
  for (
      const std::string bad :
      {"not json", "[]", R"({"chosen": "rbf", "selected_at": 1, "fitted": {}})",
       R"({"chosen": "ard", "selected_at": 1, "fitted": {}})",
       R"({"chosen": "ard", "selected_at": -1, "fitted": {"ard": {"noise_var": 0.1, "rho": [1], "scale": 1}}})",
       R"({"chosen": "ard", "selected_at": 1, "fitted": {"ard": {"noise_var": "x", "rho": [1], "scale": 1}}})"}) {
    CAPTURE(bad);
    CHECK_FALSE(RecallKernelMemory({TrialWithMemory(0, bad)}, 1));
  }
  // The latest trial's memory is unreadable: none, not an older one.
  CHECK_FALSE(RecallKernelMemory({TrialWithMemory(0, good), TrialWithMemory(1, "{")}, 3));
  // A good one-parameter memory is recalled.
  CHECK(RecallKernelMemory(
      {TrialWithMemory(
          0,
          R"({"chosen": "ard", "squeezed": false, "selected_at": 1, "fitted": {"ard": {"noise_var": 0.1, "rho": [1], "scale": 1}}})")},
      1));
}

}  // namespace gdsweep::gp

namespace gdsweep {
namespace {

// A study of `trials` trials of the gp sampler on a sum of one-parameter
// waves in 4 dimensions, each trial stored with the attributes the sampler
// gave it, as the engine stores them.
std::vector<TrialRecord> GpStudyWithMemory(Sampler& sampler, const SearchSpace& space,
                                           int64_t trials) {
  std::vector<TrialRecord> history;
  const std::vector<Objective> objectives = {{"f", Direction::kMinimize}};
  for (int64_t k = 0; k < trials; ++k) {
    std::map<std::string, std::string> attrs;
    auto params = sampler.Sample({space, objectives, history, k, &attrs});
    REQUIRE(params.ok());
    TrialRecord t;
    t.number = k;
    t.params = **params;
    t.state = TrialState::kComplete;
    double v = 0;
    for (const auto& [name, x] : t.params) v += std::sin(3 * x) + 0.1 * x * x;
    t.values = {v};
    t.sampler_attrs = std::move(attrs);
    history.push_back(std::move(t));
  }
  return history;
}

SearchSpace FourWaves() {
  SearchSpace space;
  for (int i = 0; i < 4; ++i) {
    space.push_back({"w" + std::to_string(i), FloatDistribution{-3, 3, false, std::nullopt}});
  }
  return space;
}

}  // namespace

TEST_CASE("gp sampler: kernels compared every 5 COMPLETE trials, the choice carried between") {
  const SearchSpace space = FourWaves();
  auto sampler = MakeGpSampler(GpOptions{}, space, 11);
  REQUIRE(sampler.ok());
  const auto history = GpStudyWithMemory(**sampler, space, 40);
  std::optional<gp::KernelMemory> previous;
  int comparisons = 0;
  for (const auto& t : history) {
    CAPTURE(t.number);
    if (t.number < 10) {  // the quasi-random start: no GP, no memory
      CHECK(t.sampler_attrs.empty());
      continue;
    }
    const auto memory = gp::RecallKernelMemory({t}, space.size());
    REQUIRE(memory);
    const auto complete = static_cast<size_t>(t.number);  // every earlier trial is COMPLETE
    if (memory->selected_at == complete) {
      ++comparisons;
      // The chosen kernel's hyperparameters are where its next fit starts.
      REQUIRE(memory->fitted.of(memory->chosen));
      CHECK(memory->fitted.of(memory->chosen)->kind == memory->chosen);
      if (previous) CHECK(complete == previous->selected_at + 5);
    } else {
      // Between comparisons the choice and its time are carried over.
      REQUIRE(previous);
      CHECK(memory->selected_at == previous->selected_at);
      CHECK(memory->chosen == previous->chosen);
      CHECK(complete < memory->selected_at + 5);
    }
    previous = memory;
  }
  CHECK(comparisons == 6);  // at 10, 15, ..., 35 COMPLETE trials

  // Another process (a resumed study) asking for trial k from the history
  // before it proposes the same point and stores the same memory.
  auto other = MakeGpSampler(GpOptions{}, space, 11);
  const std::vector<Objective> objectives = {{"f", Direction::kMinimize}};
  for (int64_t k : {int64_t{33}, int64_t{21}, int64_t{10}}) {
    CAPTURE(k);
    const std::vector<TrialRecord> before(history.begin(), history.begin() + k);
    std::map<std::string, std::string> attrs;
    auto params = (*other)->Sample({space, objectives, before, k, &attrs});
    REQUIRE(params.ok());
    CHECK(**params == history[static_cast<size_t>(k)].params);
    CHECK(attrs == history[static_cast<size_t>(k)].sampler_attrs);
  }
}

TEST_CASE("gp sampler: past the GP's cap on trials the kernels are still compared every 5") {
  // More COMPLETE trials than kMaxFitTrials: the clock counts them all, not
  // the capped set the GP sees.
  const SearchSpace space = FourWaves();
  auto sampler = MakeGpSampler(GpOptions{}, space, 8);
  REQUIRE(sampler.ok());
  const std::vector<Objective> objectives = {{"f", Direction::kMinimize}};
  std::vector<TrialRecord> history;
  auto add = [&](Params params, std::map<std::string, std::string> attrs) {
    TrialRecord t;
    t.number = static_cast<int64_t>(history.size());
    t.state = TrialState::kComplete;
    double v = 0;
    for (const auto& [name, x] : params) v += std::sin(3 * x);
    t.params = std::move(params);
    t.values = {v};
    t.sampler_attrs = std::move(attrs);
    history.push_back(std::move(t));
  };
  Rng rng(8);
  auto random_point = [&] {
    Params p;
    for (const auto& parameter : space) p[parameter.name] = -3 + 6 * UniformDouble(rng);
    return p;
  };
  const auto many = static_cast<int>(kMaxFitTrials) + 10;
  for (int k = 0; k < many; ++k) add(random_point(), {});
  auto ask = [&] {
    std::map<std::string, std::string> attrs;
    auto params = sampler->get()->Sample(
        {space, objectives, history, static_cast<int64_t>(history.size()), &attrs});
    REQUIRE(params.ok());
    add(**params, attrs);
    return gp::RecallKernelMemory({history.back()}, space.size());
  };
  const auto first = ask();
  REQUIRE(first);
  CHECK(first->selected_at == static_cast<size_t>(many));
  for (int k = 0; k < 4; ++k) add(random_point(), {});
  const auto second = ask();
  REQUIRE(second);
  CHECK(second->selected_at == static_cast<size_t>(many) + 5);
}

TEST_CASE("gp sampler: an unreadable memory means a fresh comparison, not a failure") {
  const SearchSpace space = FourWaves();
  auto sampler = MakeGpSampler(GpOptions{}, space, 4);
  REQUIRE(sampler.ok());
  auto history = GpStudyWithMemory(**sampler, space, 14);
  history.back().sampler_attrs[gp::kKernelMemoryAttr] = "{\"chosen\": 5";
  std::map<std::string, std::string> attrs;
  auto params = (*sampler)->Sample({space, {{"f", Direction::kMinimize}}, history, 14, &attrs});
  REQUIRE(params.ok());
  REQUIRE(params->has_value());
  TrialRecord proposed;
  proposed.number = 14;
  proposed.sampler_attrs = attrs;
  const auto memory = gp::RecallKernelMemory({proposed}, space.size());
  REQUIRE(memory);
  CHECK(memory->selected_at == 14);  // compared afresh at 14 COMPLETE trials
  CHECK(memory->fitted.of(memory->chosen));
}

}  // namespace gdsweep
