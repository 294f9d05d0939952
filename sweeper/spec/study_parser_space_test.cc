// The search_space and sampler sections, through the public parser.
#include <doctest/doctest.h>

#include "sweeper/spec/parser_test_support.h"

namespace gdsweep {
namespace {

using test::ErrorOf;
using test::Parse;

// A study whose search space is `space` (indented entries) and whose sampler
// section is `sampler` (may be empty). The first parameter is on line 5.
std::string SpaceStudy(const std::string& space, const std::string& sampler = "") {
  return "study_name: s\n"
         "objective: {metric: loss, direction: minimize}\n"
         "trial: {command: [run]}\n"
         "search_space:\n" +
         space + sampler;
}

}  // namespace

TEST_CASE("each distribution type with its options") {
  StudySpec spec = Parse(
      SpaceStudy("  a: {type: float, low: -1, high: 1}\n"
                 "  b: {type: float, low: 0.5, high: 2.0, step: 0.5, log: false}\n"
                 "  c: {type: int, low: -4, high: 8, step: 4}\n"
                 "  d: {type: int, low: 1, high: 1024, log: true}\n"
                 "  e: {type: categorical, choices: [\"1\", 2, 1.0, ~, False, 'true', x]}\n"));
  REQUIRE(spec.space.size() == 5);
  CHECK(spec.space[0].distribution == Distribution{FloatDistribution{-1, 1, false, std::nullopt}});
  CHECK(spec.space[1].distribution == Distribution{FloatDistribution{0.5, 2.0, false, 0.5}});
  CHECK(spec.space[2].distribution == Distribution{IntDistribution{-4, 8, false, 4}});
  CHECK(spec.space[3].distribution == Distribution{IntDistribution{1, 1024, true, 1}});
  const auto& choices = std::get<CategoricalDistribution>(spec.space[4].distribution).choices;
  REQUIRE(choices.size() == 7);
  CHECK(choices[0] == Choice{std::string("1")});
  CHECK(choices[1] == Choice{int64_t{2}});
  CHECK(choices[2] == Choice{1.0});
  CHECK(choices[3] == Choice{});
  CHECK(choices[4] == Choice{false});
  CHECK(choices[5] == Choice{std::string("true")});
  CHECK(choices[6] == Choice{std::string("x")});
}

TEST_CASE("distribution rules are reported at the offending field") {
  CHECK(ErrorOf(SpaceStudy("  lr: {type: float, low: 0.1, high: 0.01}\n")) ==
        "s.yaml:5:26: search_space.lr.low: low (0.1) must be less than high (0.01)");
  CHECK(ErrorOf(SpaceStudy("  lr: {type: float, low: 0, high: 1, log: true}\n")) ==
        "s.yaml:5:43: search_space.lr.log: log scale needs low > 0");
  CHECK(ErrorOf(SpaceStudy("  x: {type: float, low: 0, high: 1, step: 0.3}\n")) ==
        "s.yaml:5:43: search_space.x.step: high - low must be a multiple of step (0.3)");
  CHECK(ErrorOf(SpaceStudy("  n: {type: int, low: 1, high: 8, step: 2, log: true}\n")) ==
        "s.yaml:5:41: search_space.n.step: step cannot be combined with log");
  CHECK(ErrorOf(SpaceStudy("  n: {type: int, low: 1, high: 8.5}\n")) ==
        "s.yaml:5:32: search_space.n.high: expected a whole number, got '8.5'");
  CHECK(ErrorOf(SpaceStudy("  o: {type: categorical, choices: [a, b, a]}\n")) ==
        "s.yaml:5:42: search_space.o.choices[2]: choice 'a' appears twice (first as "
        "search_space.o.choices[0] at s.yaml:5:36)");
  CHECK(ErrorOf(SpaceStudy("  o: {type: categorical, choices: []}\n")) ==
        "s.yaml:5:35: search_space.o.choices: choices must not be empty");
  CHECK(ErrorOf(SpaceStudy("  o: {type: categorical, choices: [[a]]}\n")) ==
        "s.yaml:5:36: search_space.o.choices[0]: expected null, a boolean, a number or a string, "
        "got a list");
  CHECK(ErrorOf(SpaceStudy("  o: {type: flaot, low: 0, high: 1}\n")) ==
        "s.yaml:5:13: search_space.o.type: expected one of float, int, categorical, fixed, got "
        "'flaot'; "
        "did you mean 'float'?");
  CHECK(ErrorOf(SpaceStudy("  o: {type: int, low: 0, high: 1, choices: [1]}\n")) ==
        "s.yaml:5:35: search_space.o.choices: unknown key; expected one of: type, low, high, "
        "step, log, when");
  // A scalar is a fixed parameter (study_parser_conditions_test.cc); a list is neither.
  CHECK(ErrorOf(SpaceStudy("  o: [3]\n")) ==
        "s.yaml:5:6: search_space.o: expected a mapping such as {type: float, low: 0, high: 1}, "
        "or a fixed value, got a list");
  CHECK(ErrorOf(SpaceStudy("  {}\n")) ==
        "s.yaml:5:3: search_space: expected at least one parameter");
}

TEST_CASE("parameter names: letters, digits, _ . -, and no built-in placeholder names") {
  CHECK(
      Parse(SpaceStudy("  model.encoder-depth_2: {type: int, low: 1, high: 3}\n")).space[0].name ==
      "model.encoder-depth_2");
  CHECK(ErrorOf(SpaceStudy("  2lr: {type: int, low: 1, high: 3}\n")) ==
        "s.yaml:5:3: search_space.2lr: a parameter name must start with a letter or '_' and "
        "hold only letters, digits, '_', '.' and '-'");
  CHECK(ErrorOf(SpaceStudy("  trial.number: {type: int, low: 1, high: 3}\n")) ==
        "s.yaml:5:3: search_space.trial.number: 'trial.number' is the name of a built-in "
        "placeholder; choose another");
}

TEST_CASE("grid values are stored in the internal representation") {
  StudySpec spec =
      Parse(SpaceStudy("  lr: {type: float, low: 0.001, high: 0.1, log: true}\n"
                       "  n: {type: int, low: 1, high: 9, step: 2}\n"
                       "  opt: {type: categorical, choices: [sgd, adam, 1, true]}\n",
                       "sampler:\n"
                       "  type: grid\n"
                       "  values: {lr: [0.001, 0.01], opt: [adam, true, 1]}\n"));
  CHECK(spec.sampler.type == "grid");
  CHECK(spec.sampler.grid_values.size() == 2);
  CHECK(spec.sampler.grid_values.at("lr") == std::vector<double>{0.001, 0.01});
  CHECK(spec.sampler.grid_values.at("opt") == std::vector<double>{1, 3, 2});
  CHECK(spec.sampler.grid_values.count("n") == 0);  // its own grid: 1, 3, 5, 7, 9
}

TEST_CASE("a grid must enumerate every parameter with values it can take") {
  const std::string space =
      "  lr: {type: float, low: 0.001, high: 0.1}\n"
      "  n: {type: int, low: 1, high: 9, step: 2}\n"
      "  opt: {type: categorical, choices: [sgd, adam]}\n";
  CHECK(ErrorOf(SpaceStudy(space, "sampler: {type: grid}\n")) ==
        "s.yaml:5:3: search_space.lr: the grid sampler cannot enumerate a continuous float: give "
        "it a step, or list its values under sampler.values");
  auto with_values = [&](const std::string& values) {
    return ErrorOf(SpaceStudy(space, "sampler:\n  type: grid\n  values: " + values + "\n"));
  };
  CHECK(with_values("{lr: [0.01, 0.5]}") ==
        "s.yaml:10:23: sampler.values.lr[1]: 0.5 is outside [0.001, 0.1]");
  CHECK(with_values("{lr: [0.01], n: [4]}") ==
        "s.yaml:10:28: sampler.values.n[0]: 4 is not on the grid of step 2 from 1");
  CHECK(with_values("{lr: [0.01, 0.01]}") ==
        "s.yaml:10:23: sampler.values.lr[1]: value 0.01 appears twice (first as "
        "sampler.values.lr[0] at s.yaml:10:17)");
  CHECK(with_values("{lr: [0.01], opt: [rmsprop]}") ==
        "s.yaml:10:30: sampler.values.opt[0]: 'rmsprop' is not one of the choices of 'opt' "
        "(sgd, adam)");
  CHECK(with_values("{lr: [0.01], nn: [1]}") ==
        "s.yaml:10:24: sampler.values.nn: not a parameter of search_space; did you mean 'n'?");
  CHECK(with_values("{lr: []}") == "s.yaml:10:16: sampler.values.lr: expected at least one value");
  CHECK(with_values("{lr: 0.01}") ==
        "s.yaml:10:16: sampler.values.lr: expected a list, got '0.01'");
  CHECK(ErrorOf(SpaceStudy(space, "sampler: {type: random, values: {lr: [0.01]}}\n")) ==
        "s.yaml:8:25: sampler.values: explicit grid values, but sampler.type is 'random'");
}

TEST_CASE("sampler options: seed, TPE options only for TPE, Optuna's rules") {
  const std::string space = "  x: {type: int, low: 0, high: 3}\n";
  StudySpec random = Parse(SpaceStudy(space, "sampler: {type: random, seed: 0}\n"));
  CHECK(random.sampler.type == "random");
  CHECK(random.sampler.seed == 0u);
  CHECK(ErrorOf(SpaceStudy(space, "sampler: {type: random, n_startup_trials: 3}\n")) ==
        "s.yaml:6:25: sampler.n_startup_trials: a TPE option, but sampler.type is 'random'");
  CHECK(ErrorOf(SpaceStudy(space, "sampler: {group: true}\n")) ==
        "s.yaml:6:18: sampler.group: group needs multivariate: true");
  CHECK(ErrorOf(SpaceStudy(space, "sampler: {seed: -1}\n")) ==
        "s.yaml:6:17: sampler.seed: expected a non-negative whole number, got '-1'");
  CHECK(ErrorOf(SpaceStudy(space, "sampler: {seed: 18446744073709551616}\n")) ==
        "s.yaml:6:17: sampler.seed: '18446744073709551616' does not fit in 64 bits");
  CHECK(ErrorOf(SpaceStudy(space, "sampler: {n_ei_candidates: 0}\n")) ==
        "s.yaml:6:28: sampler.n_ei_candidates: expected a positive whole number, got '0'");
  CHECK(ErrorOf(SpaceStudy(space, "sampler: {prior_weight: 0}\n")) ==
        "s.yaml:6:25: sampler.prior_weight: expected a positive number, got '0'");
  CHECK(ErrorOf(SpaceStudy(space, "sampler: {gamma: {fraction: 1.5}}\n")) ==
        "s.yaml:6:29: sampler.gamma.fraction: expected a number in (0, 1], got '1.5'");
  CHECK(ErrorOf(SpaceStudy(space, "sampler: {gamma: {cap: 0}}\n")) ==
        "s.yaml:6:24: sampler.gamma.cap: expected a positive whole number, got '0'");
  CHECK(ErrorOf(SpaceStudy(space, "sampler: {gamma: {fractoin: 0.2}}\n")) ==
        "s.yaml:6:19: sampler.gamma.fractoin: unknown key; did you mean 'fraction'?");
  CHECK(ErrorOf(SpaceStudy(space, "sampler: {type: randm}\n")) ==
        "s.yaml:6:17: sampler.type: expected one of tpe, random, grid, cmaes, nsga2, qmc, gp, "
        "auto, got 'randm'; did you "
        "mean 'random'?");
}

TEST_CASE("choices the trial would receive as the same text are refused, naming both") {
  auto choices = [](const std::string& list) {
    return ErrorOf(SpaceStudy("  c: {type: categorical, choices: " + list + "}\n"));
  };
  CHECK(choices("[null, \"null\"]") ==
        "s.yaml:5:42: search_space.c.choices[1]: the string \"null\" and null "
        "(search_space.c.choices[0] at s.yaml:5:36) both reach the trial as 'null', so it could "
        "not tell them apart; keep one of them");
  CHECK(choices("[1, '1']") ==
        "s.yaml:5:39: search_space.c.choices[1]: the string \"1\" and the integer 1 "
        "(search_space.c.choices[0] at s.yaml:5:36) both reach the trial as '1', so it could not "
        "tell them apart; keep one of them");
  CHECK(choices("[\"true\", True]").find("the boolean true and the string \"true\"") !=
        std::string::npos);
  CHECK(choices("[~, a, ~]").find("choice 'null' appears twice") != std::string::npos);
  CHECK(choices("[0.0, -0.0]").find("appears twice") != std::string::npos);
  // They reach the trial as "1", "1.0", "01" and "true1": all different.
  CHECK(Parse(SpaceStudy("  c: {type: categorical, choices: [1, 1.0, '01', true1]}\n"))
            .space.size() == 1);
}

TEST_CASE("a categorical's grid values find their choice by type and text") {
  const std::string space = "  c: {type: categorical, choices: [a, 1, 2.5, null]}\n";
  auto spec = Parse(SpaceStudy(space, "sampler: {type: grid, values: {c: [null, 2.5, 1]}}\n"));
  CHECK(spec.sampler.grid_values.at("c") == std::vector<double>{3, 2, 1});
  CHECK(ErrorOf(SpaceStudy(space, "sampler: {type: grid, values: {c: ['1']}}\n")) ==
        "s.yaml:6:36: sampler.values.c[0]: the string \"1\" is not one of the choices of 'c' "
        "(a, 1, 2.5, null)");
}

}  // namespace gdsweep
