// Conditional and fixed parameters and constraints, through the public parser.
#include <doctest/doctest.h>

#include "sweeper/spec/parser_test_support.h"

namespace gdsweep {
namespace {

using test::ErrorOf;
using test::Parse;

// A study whose search space is `space` (indented entries); the first
// parameter is on line 5. `extra` is appended (top-level keys).
std::string ConditionsStudy(const std::string& space, const std::string& extra = "") {
  return "study_name: s\n"
         "objective: {metric: loss, direction: minimize}\n"
         "trial: {command: [run, \"--opt={opt}\"]}\n"
         "search_space:\n" +
         space + extra;
}

const std::string kOpt = "  opt: {type: categorical, choices: [sgd, adam, rmsprop]}\n";

}  // namespace

TEST_CASE("when: one value, a list of values, several parents, in internal values") {
  StudySpec spec = Parse(
      ConditionsStudy(kOpt + "  momentum: {type: float, low: 0, high: 0.9, when: {opt: sgd}}\n"
                             "  eps: {type: float, low: 0, high: 1, when: {opt: [adam, rmsprop]}}\n"
                             "  layers: {type: int, low: 1, high: 4}\n"
                             "  wide: {type: categorical, choices: [true, false], "
                             "when: {opt: sgd, layers: [3, 4]}}\n"));
  REQUIRE(spec.space.size() == 5);
  CHECK(spec.space[1].when == std::vector<Condition>{{"opt", {0}}});
  CHECK(spec.space[2].when == std::vector<Condition>{{"opt", {1, 2}}});
  CHECK(spec.space[4].when == std::vector<Condition>{{"opt", {0}}, {"layers", {3, 4}}});
  CHECK(spec.space[3].when.empty());
}

TEST_CASE("a parameter is moved after the parameters it depends on; nesting allowed") {
  StudySpec spec = Parse(ConditionsStudy(
      "  dampening: {type: int, low: 0, high: 2, when: {nesterov: false}}\n"
      "  nesterov: {type: categorical, choices: [true, false], when: {opt: sgd}}\n" +
      kOpt + "  lr: {type: float, low: 0.1, high: 1}\n"));
  std::vector<std::string> names;
  for (const auto& p : spec.space) names.push_back(p.name);
  CHECK(names == std::vector<std::string>{"opt", "nesterov", "dampening", "lr"});
  CHECK(spec.space[2].when == std::vector<Condition>{{"nesterov", {1}}});
}

TEST_CASE("when: unknown parameters, impossible values, cycles are refused where written") {
  CHECK(
      ErrorOf(ConditionsStudy(kOpt + "  m: {type: float, low: 0, high: 1, when: {optt: sgd}}\n")) ==
      "s.yaml:6:44: search_space.m.when.optt: not a parameter of search_space; did you mean "
      "'opt'?");
  CHECK(
      ErrorOf(ConditionsStudy(kOpt + "  m: {type: float, low: 0, high: 1, when: {opt: sdg}}\n")) ==
      "s.yaml:6:49: search_space.m.when.opt: 'sdg' is never a value of 'opt' (its choices: "
      "sgd, adam, rmsprop), so the condition could never hold");
  CHECK(ErrorOf(ConditionsStudy(
            kOpt + "  m: {type: float, low: 0, high: 1, when: {opt: [sgd, nadam]}}\n")) ==
        "s.yaml:6:55: search_space.m.when.opt[1]: 'nadam' is never a value of 'opt' (its "
        "choices: sgd, adam, rmsprop), so the condition could never hold");
  CHECK(ErrorOf(ConditionsStudy("  n: {type: int, low: 1, high: 4}\n"
                                "  m: {type: float, low: 0, high: 1, when: {n: 7}}\n")) ==
        "s.yaml:6:47: search_space.m.when.n: 7 is never a value of 'n', so the condition could "
        "never hold");
  CHECK(ErrorOf(ConditionsStudy("  x: {type: float, low: 0, high: 1}\n"
                                "  m: {type: float, low: 0, high: 1, when: {x: 0.5}}\n"))
            .find("s.yaml:6:47: search_space.m.when.x: 'x' is a continuous float") == 0);
  CHECK(ErrorOf(ConditionsStudy("  a: {type: int, low: 0, high: 1, when: {b: 1}}\n"
                                "  b: {type: int, low: 0, high: 1, when: {a: 1}}\n")) ==
        "s.yaml:5:35: search_space.a.when: conditions form a cycle: a -> b -> a");
  CHECK(ErrorOf(ConditionsStudy("  a: {type: int, low: 0, high: 1, when: {a: 1}}\n")) ==
        "s.yaml:5:42: search_space.a.when.a: a parameter cannot depend on itself");
  // nesterov needs opt = sgd; m needs nesterov and opt = adam: never.
  CHECK(ErrorOf(ConditionsStudy(
            kOpt + "  nesterov: {type: categorical, choices: [true, false], when: {opt: sgd}}\n"
                   "  m: {type: float, low: 0, high: 1, when: {nesterov: true, opt: adam}}\n")) ==
        "s.yaml:7:37: search_space.m.when: these conditions can never all hold: through the "
        "conditions of the parameters they name, they need 'opt' to take values that exclude "
        "each other");
  CHECK(
      ErrorOf(ConditionsStudy(kOpt + "  m: {type: float, low: 0, high: 1, when: sgd}\n"))
          .find("s.yaml:6:43: search_space.m.when: expected a mapping of parameter to value(s)") ==
      0);
}

TEST_CASE("fixed parameters: type fixed or a plain scalar, as single-valued distributions") {
  StudySpec spec =
      Parse(ConditionsStudy(kOpt + "  lr: {type: fixed, value: 0.1}\n"
                                   "  layers: 3\n"
                                   "  act: relu\n"
                                   "  bias: {type: fixed, value: true, when: {opt: sgd}}\n"));
  REQUIRE(spec.space.size() == 5);
  CHECK(spec.space[1].fixed);
  CHECK(spec.space[1].distribution ==
        Distribution{FloatDistribution{0.1, 0.1, false, std::nullopt}});
  CHECK(spec.space[2].distribution == Distribution{IntDistribution{3, 3, false, 1}});
  CHECK(spec.space[3].distribution ==
        Distribution{CategoricalDistribution{{Choice{std::string("relu")}}}});
  CHECK(spec.space[4].distribution == Distribution{CategoricalDistribution{{Choice{true}}}});
  CHECK(spec.space[4].when == std::vector<Condition>{{"opt", {0}}});
  CHECK_FALSE(spec.space[0].fixed);
  CHECK(ErrorOf(ConditionsStudy("  lr: {type: fixed}\n")) ==
        "s.yaml:5:7: search_space.lr: missing required key 'value'");
  CHECK(ErrorOf(ConditionsStudy("  lr: {type: fixed, value: 1, low: 0}\n"))
            .find("s.yaml:5:31: search_space.lr.low") == 0);
}

TEST_CASE("a conditional parameter cannot name the program; other entries may") {
  CHECK(ErrorOf("study_name: s\n"
                "objective: {metric: loss, direction: minimize}\n"
                "trial: {command: [\"{prog}\"]}\n"
                "search_space:\n" +
                kOpt + "  prog: {type: categorical, choices: [a, b], when: {opt: sgd}}\n")
            .find("s.yaml:3:20: trial.command[0]: 'prog' is a conditional parameter") == 0);
}

TEST_CASE("constraints: metric names, not objectives, not twice; TPE told") {
  StudySpec spec = Parse(ConditionsStudy(kOpt, "constraints: [c0, mem/gb]\n"));
  CHECK(spec.constraints == std::vector<std::string>{"c0", "mem/gb"});
  CHECK(spec.sampler.tpe.constraints);
  CHECK(Parse(ConditionsStudy(kOpt, "constraints: c0\n")).constraints ==
        std::vector<std::string>{"c0"});
  CHECK_FALSE(Parse(ConditionsStudy(kOpt)).sampler.tpe.constraints);
  CHECK(ErrorOf(ConditionsStudy(kOpt, "constraints: [c0, loss]\n")) ==
        "s.yaml:6:19: constraints[1]: 'loss' is an objective; a constraint is another metric");
  CHECK(ErrorOf(ConditionsStudy(kOpt, "constraints: [c0, c0]\n")) ==
        "s.yaml:6:19: constraints[1]: constraint 'c0' appears twice");
  CHECK(ErrorOf(ConditionsStudy(kOpt, "constraints: [\"c 0\"]\n"))
            .find("s.yaml:6:15: constraints[0]: a metric name") == 0);
}

}  // namespace gdsweep
