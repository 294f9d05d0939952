// The cmaes and nsga2 sampler options, through the public parser.
#include <doctest/doctest.h>

#include "sweeper/spec/parser_test_support.h"

namespace gdsweep {
namespace {

using test::ErrorOf;
using test::Parse;

// A study with two numeric parameters and a categorical (lines 5-7), then
// `sampler` on line 8 (9 with two objectives, whose lines replace the one).
std::string EvoStudy(
    const std::string& sampler,
    const std::string& objective = "objective: {metric: loss, direction: minimize}\n") {
  return "study_name: s\n" + objective +
         "trial: {command: [run]}\n"
         "search_space:\n"
         "  x: {type: float, low: -1, high: 1}\n"
         "  n: {type: int, low: 1, high: 64, log: true}\n"
         "  c: {type: categorical, choices: [a, b]}\n" +
         sampler;
}

}  // namespace

TEST_CASE("cmaes options with Optuna's names, each checked where it is written") {
  StudySpec spec = Parse(
      EvoStudy("sampler: {type: cmaes, sigma0: 0.3, n_startup_trials: 5, restart_strategy: bipop, "
               "inc_popsize: 3, popsize: 12, with_margin: true, x0: {x: 0.5, n: 8}}\n"));
  const CmaEsOptions& c = spec.sampler.cmaes;
  CHECK(spec.sampler.type == "cmaes");
  CHECK(c.sigma0 == 0.3);
  CHECK(c.n_startup_trials == 5);
  CHECK(c.restart_strategy == "bipop");
  CHECK(c.inc_popsize == 3);
  CHECK(c.popsize == 12);
  CHECK(c.with_margin);
  CHECK_FALSE(c.use_separable_cma);
  CHECK(c.x0 == std::map<std::string, double>{{"x", 0.5}, {"n", 8}});
  CHECK(Parse(EvoStudy("sampler: {type: cmaes, restart_strategy: none}\n"))
            .sampler.cmaes.restart_strategy.empty());

  CHECK(ErrorOf(EvoStudy("sampler: {type: cmaes, sigma0: 0}\n")) ==
        "s.yaml:8:32: sampler.sigma0: expected a positive number, got '0'");
  CHECK(ErrorOf(EvoStudy("sampler: {type: cmaes, popsize: 1}\n")) ==
        "s.yaml:8:33: sampler.popsize: expected a whole number of at least 2, got '1'");
  CHECK(ErrorOf(EvoStudy("sampler: {type: cmaes, restart_strategy: ipopp}\n")) ==
        "s.yaml:8:42: sampler.restart_strategy: expected one of none, ipop, bipop, got "
        "'ipopp'; did you mean 'ipop'?");
  CHECK(ErrorOf(EvoStudy("sampler: {type: cmaes, x0: {x: 2}}\n")) ==
        "s.yaml:8:32: sampler.x0.x: x0 2.0 is outside [-1.0, 1.0]");
  CHECK(ErrorOf(EvoStudy("sampler: {type: cmaes, x0: {c: 1}}\n")) ==
        "s.yaml:8:29: sampler.x0.c: x0 is for numeric parameters with more than one value; 'c' "
        "is not one");
  CHECK(ErrorOf(EvoStudy("sampler: {type: cmaes, x0: {y: 1}}\n")) ==
        "s.yaml:8:29: sampler.x0.y: not a parameter of search_space");
  CHECK(ErrorOf(EvoStudy("sampler: {type: cmaes, use_separable_cma: true, with_margin: true}\n")) ==
        "s.yaml:8:62: sampler.with_margin: with_margin cannot be combined with "
        "use_separable_cma (as in Optuna)");
  CHECK(ErrorOf(EvoStudy("sampler: {type: cmaes, multivariate: true}\n")) ==
        "s.yaml:8:24: sampler.multivariate: a TPE option, but sampler.type is 'cmaes'");
  CHECK(ErrorOf(EvoStudy("sampler: {type: tpe, sigma0: 1}\n")) ==
        "s.yaml:8:22: sampler.sigma0: a cmaes option, but sampler.type is 'tpe'");
}

TEST_CASE("cmaes on several objectives is refused; on too small a space it is random search") {
  const std::string two = "metrics: [a, b]\ndirection: [minimize, maximize]\n";
  CHECK(ErrorOf(EvoStudy("sampler: {type: cmaes}\n", two)) ==
        "s.yaml:9:17: sampler.type: cmaes optimises one objective; this study has 2 (use nsga2 "
        "or tpe)");
  // As Optuna: accepted, with a warning, and every parameter drawn at random.
  auto one = ParseStudyText(
      "study_name: s\nobjective: {metric: loss, direction: minimize}\ntrial: {command: [run]}\n"
      "search_space:\n  x: {type: float, low: 0, high: 1}\n"
      "  c: {type: categorical, choices: [a, b]}\nsampler: {type: cmaes}\n",
      "s.yaml");
  CHECK(one.ok());
}

TEST_CASE("nsga2 options with Optuna 3.1's names and ranges") {
  const std::string two = "metrics: [a, b]\ndirection: [minimize, maximize]\n";
  StudySpec spec = Parse(
      EvoStudy("sampler: {type: nsga2, population_size: 20, mutation_prob: 0.1, crossover: sbx, "
               "crossover_prob: 0.8, swapping_prob: 0.4}\n",
               two));
  const Nsga2Options& n = spec.sampler.nsga2;
  CHECK(n.population_size == 20);
  CHECK(n.mutation_prob == 0.1);
  CHECK(n.crossover == "sbx");
  CHECK(n.crossover_prob == 0.8);
  CHECK(n.swapping_prob == 0.4);
  CHECK(ErrorOf(EvoStudy("sampler: {type: nsga2, population_size: 1}\n", two)) ==
        "s.yaml:9:41: sampler.population_size: expected a whole number of at least 2, got '1'");
  CHECK(ErrorOf(EvoStudy("sampler: {type: nsga2, population_size: 2, crossover: undx}\n", two)) ==
        "s.yaml:9:41: sampler.population_size: crossover undx takes 3 parents: population_size "
        "must be at least 3");
  CHECK(ErrorOf(EvoStudy("sampler: {type: nsga2, crossover_prob: 1.5}\n", two)) ==
        "s.yaml:9:40: sampler.crossover_prob: expected a probability in [0, 1], got '1.5'");
  CHECK(ErrorOf(EvoStudy("sampler: {type: nsga2, crossover: sbxx}\n", two)) ==
        "s.yaml:9:35: sampler.crossover: expected one of uniform, sbx, blxalpha, spx, undx, "
        "vsbx, got 'sbxx'; did you mean 'sbx'?");
  CHECK(ErrorOf(EvoStudy("sampler: {type: auto, population_size: 10}\n", two)) ==
        "s.yaml:9:23: sampler.population_size: an nsga2 option, but sampler.type is 'auto'");
  // One objective is allowed, as Optuna allows it.
  CHECK(Parse(EvoStudy("sampler: {type: nsga2}\n")).sampler.type == "nsga2");
}

TEST_CASE("cmaes, nsga2, gp and qmc refuse conditional parameters; auto takes them") {
  const std::string conditional =
      "study_name: s\nobjective: {metric: loss, direction: minimize}\ntrial: {command: [run]}\n"
      "search_space:\n  opt: {type: categorical, choices: [sgd, adam]}\n"
      "  momentum: {type: float, low: 0, high: 1, when: {opt: sgd}}\n"
      "  x: {type: float, low: 0, high: 1}\n";
  for (const std::string type : {"cmaes", "nsga2", "gp", "qmc"}) {
    CAPTURE(type);
    CHECK(ErrorOf(conditional + "sampler: {type: " + type + "}\n") ==
          "s.yaml:8:17: sampler.type: " + type +
              " proposes every parameter of a fixed space; this one has conditional parameters "
              "(when:): use tpe, random or grid");
  }
  CHECK(Parse(conditional + "sampler: {type: auto}\n").sampler.type == "auto");
}

}  // namespace gdsweep
