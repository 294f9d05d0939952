// The sampler-type table: what each type serves, and each type's options
// refused under another type, through the public parser.
#include "sweeper/spec/study_parser_sampler.h"

#include <doctest/doctest.h>

#include "sweeper/spec/parser_test_support.h"

namespace gdsweep {
namespace {

using test::ErrorOf;

using test::Parse;

const std::string kHead =
    "study_name: s\nobjective: {metric: loss, direction: minimize}\ntrial: {command: [run]}\n"
    "search_space:\n  x: {type: float, low: 0, high: 1}\n";

}  // namespace

TEST_CASE("a study file without sampler.type gets auto, and says it chose none") {
  for (const std::string section :
       {"", "sampler:\n", "sampler: {seed: 3}\n", "sampler: {type: ~, seed: 3}\n"}) {
    CAPTURE(section);
    const SamplerSpec s = Parse(kHead + section).sampler;
    CHECK(s.type == "auto");
    CHECK(s.type == kDefaultSamplerType);
    CHECK_FALSE(s.type_given);
  }
  CHECK(Parse(kHead + "sampler: {seed: 3}\n").sampler.seed == 3u);
  for (const std::string type : {"auto", "tpe", "random", "gp"}) {
    const SamplerSpec s = Parse(kHead + "sampler: {type: " + type + "}\n").sampler;
    CHECK(s.type == type);
    CHECK(s.type_given);
  }
}

TEST_CASE("TPE's options without sampler.type still mean tpe (files written before auto)") {
  for (const std::string option : {"n_startup_trials: 4", "multivariate: true",
                                   "gamma: {fraction: 0.2, cap: 10}", "constant_liar: true"}) {
    CAPTURE(option);
    const SamplerSpec s = Parse(kHead + "sampler: {seed: 1, " + option + "}\n").sampler;
    CHECK(s.type == "tpe");
    CHECK(s.type_given);
  }
  CHECK(Parse(kHead + "sampler: {n_startup_trials: 4}\n").sampler.tpe.n_startup_trials == 4);
  // A null option is no option: the default.
  CHECK(Parse(kHead + "sampler: {n_startup_trials: ~}\n").sampler.type == "auto");
  // Another sampler's options without a type are refused, naming the default.
  CHECK(ErrorOf(kHead + "sampler:\n  population_size: 10\n") ==
        "s.yaml:7:3: sampler.population_size: an nsga2 option, but sampler.type is 'auto' (the "
        "default; set sampler.type)");
}

TEST_CASE("the sampler table: which types serve conditional spaces and several objectives") {
  std::vector<std::string> fixed_space, one_objective, all;
  for (const auto& t : SamplerTypes()) {
    all.push_back(t.name);
    if (!t.conditional) fixed_space.push_back(t.name);
    if (!t.multi_objective) one_objective.push_back(t.name);
  }
  CHECK(all ==
        std::vector<std::string>{"tpe", "random", "grid", "cmaes", "nsga2", "qmc", "gp", "auto"});
  CHECK(fixed_space == std::vector<std::string>{"cmaes", "nsga2", "qmc", "gp"});
  CHECK(one_objective == std::vector<std::string>{"cmaes", "gp"});
  CHECK(FindSamplerType("gp")->keys ==
        std::vector<std::string>{"n_startup_trials", "deterministic_objective"});
  CHECK(FindSamplerType("bayes") == nullptr);
}

TEST_CASE("every sampler option is refused under a type that does not read it, naming its owner") {
  const std::string head =
      "study_name: s\nobjective: {metric: loss, direction: minimize}\ntrial: {command: [run]}\n"
      "search_space:\n  x: {type: float, low: 0, high: 1}\n";
  for (const auto& owner : SamplerTypes()) {
    for (const auto& key : owner.keys) {
      for (const std::string other : {"random", "auto"}) {
        CAPTURE(key);
        const std::string message =
            ErrorOf(head + "sampler:\n  type: " + other + "\n  " + key + ": 1\n");
        CHECK(message.find("s.yaml:8:3: sampler." + key + ": ") == 0);
        CHECK(message.find(", but sampler.type is '" + other + "'") != std::string::npos);
      }
    }
  }
}

TEST_CASE("a type that cannot serve several objectives is refused at sampler.type") {
  const std::string two =
      "study_name: s\nobjectives: [{metric: a, direction: minimize}, {metric: b, direction: "
      "maximize}]\ntrial: {command: [run]}\nsearch_space:\n  x: {type: float, low: 0, high: 1}\n"
      "  y: {type: float, low: 0, high: 1}\nsampler:\n  type: ";
  for (const std::string type : {"cmaes", "gp"}) {
    CHECK(ErrorOf(two + type + "\n") == "s.yaml:8:9: sampler.type: " + type +
                                            " optimises one objective; this study has 2 (use "
                                            "nsga2 or tpe)");
  }
}

}  // namespace gdsweep
