// The gp and qmc options of the sampler section, through the public parser.
#include <doctest/doctest.h>

#include "sweeper/spec/parser_test_support.h"

namespace gdsweep {
namespace {

using test::ErrorOf;
using test::Parse;

// A study with one float and one categorical parameter and the given sampler
// section (line 7 on) and objective line (line 2).
std::string GpQmcStudy(
    const std::string& sampler,
    const std::string& objective = "objective: {metric: loss, direction: minimize}") {
  return "study_name: s\n" + objective +
         "\n"
         "trial: {command: [run]}\n"
         "search_space:\n"
         "  x: {type: float, low: 0, high: 1}\n"
         "  c: {type: categorical, choices: [a, b]}\n" +
         sampler;
}

}  // namespace

TEST_CASE("gp and qmc options, with their defaults") {
  StudySpec gp = Parse(GpQmcStudy("sampler: {type: gp, seed: 3}\n"));
  CHECK(gp.sampler.type == "gp");
  CHECK(gp.sampler.gp.n_startup_trials == 10);
  CHECK_FALSE(gp.sampler.gp.deterministic_objective);
  gp = Parse(
      GpQmcStudy("sampler: {type: gp, n_startup_trials: 4, deterministic_objective: true}\n"));
  CHECK(gp.sampler.gp.n_startup_trials == 4);
  CHECK(gp.sampler.gp.deterministic_objective);
  CHECK(gp.sampler.tpe.n_startup_trials == 10);  // TPE's own stays untouched

  StudySpec qmc = Parse(GpQmcStudy("sampler: {type: qmc}\n"));
  CHECK(qmc.sampler.qmc.qmc_type == "sobol");
  CHECK(qmc.sampler.qmc.scramble);
  qmc = Parse(GpQmcStudy("sampler: {type: qmc, qmc_type: halton, scramble: false}\n"));
  CHECK(qmc.sampler.qmc.qmc_type == "halton");
  CHECK_FALSE(qmc.sampler.qmc.scramble);
}

TEST_CASE("gp and qmc settings out of range or of the other sampler are refused where they are") {
  CHECK(ErrorOf(GpQmcStudy("sampler: {type: gp, n_startup_trials: -1}\n")) ==
        "s.yaml:7:39: sampler.n_startup_trials: expected a non-negative whole number, got '-1'");
  CHECK(ErrorOf(GpQmcStudy("sampler: {type: qmc, qmc_type: faure}\n"))
            .find("s.yaml:7:32: sampler.qmc_type: ") == 0);
  CHECK(ErrorOf(GpQmcStudy("sampler: {type: qmc, scramble: 2}\n"))
            .find("s.yaml:7:32: sampler.scramble") == 0);
  CHECK(ErrorOf(GpQmcStudy("sampler: {type: tpe, qmc_type: sobol}\n")) ==
        "s.yaml:7:22: sampler.qmc_type: a qmc option, but sampler.type is 'tpe'");
  CHECK(ErrorOf(GpQmcStudy("sampler: {type: qmc, deterministic_objective: true}\n")) ==
        "s.yaml:7:22: sampler.deterministic_objective: a gp option, but sampler.type is 'qmc'");
  CHECK(ErrorOf(GpQmcStudy("sampler: {type: qmc, n_startup_trials: 3}\n")) ==
        "s.yaml:7:22: sampler.n_startup_trials: a TPE option, but sampler.type is 'qmc'");
  CHECK(ErrorOf(GpQmcStudy("sampler: {type: gp, multivariate: true}\n")) ==
        "s.yaml:7:21: sampler.multivariate: a TPE option, but sampler.type is 'gp'");
}

TEST_CASE("gp on a study it cannot serve is refused at sampler.type") {
  CHECK(ErrorOf(GpQmcStudy("sampler: {type: gp}\n",
                           "objectives: [{metric: a, direction: minimize}, {metric: b, direction: "
                           "maximize}]")) ==
        "s.yaml:7:17: sampler.type: gp optimises one objective; this study has 2 (use nsga2 or "
        "tpe)");
  const std::string all_categorical =
      "study_name: s\nobjective: {metric: loss, direction: minimize}\ntrial: {command: [run]}\n"
      "search_space:\n  c: {type: categorical, choices: [a, b]}\nsampler:\n  type: gp\n";
  CHECK(ErrorOf(all_categorical) ==
        "s.yaml:7:9: sampler.type: the gp sampler needs at least one float or int parameter; "
        "every parameter here is categorical: use tpe");
  // qmc serves any study.
  CHECK(Parse(GpQmcStudy("sampler: {type: qmc}\n",
                         "objectives: [{metric: a, direction: minimize}, {metric: b, direction: "
                         "maximize}]"))
            .sampler.type == "qmc");
}

}  // namespace gdsweep
