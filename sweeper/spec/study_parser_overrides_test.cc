#include "sweeper/spec/study_parser_overrides.h"

#include <doctest/doctest.h>

#include "sweeper/spec/study_parser.h"

namespace gdsweep {
namespace {

constexpr const char* kOverridesStudy = R"(study_name: s
objective: {metric: loss, direction: minimize}
search_space:
  train.lr: {type: float, low: 0.001, high: 0.1}
  layers: {type: int, low: 1, high: 4}
budget:
  n_trials: 10
trial:
  command: [python3, train.py, "{train.lr}"]
)";

StudySpec ParseWithSets(const std::vector<SetOverride>& sets) {
  auto r = ParseStudyText(kOverridesStudy, "study.yaml", sets);
  if (!r.ok()) FAIL(r.error().message);
  return std::move(r).value();
}

std::string SetsErrorOf(const std::vector<SetOverride>& sets) {
  auto r = ParseStudyText(kOverridesStudy, "study.yaml", sets);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == Error::Kind::kInvalidInput);
  return r.error().message;
}

}  // namespace

TEST_CASE("--set wins over the file, and the last --set wins") {
  StudySpec spec = ParseWithSets({"budget.n_trials=5", "study_name=other", "tag=t1", "tag=t2"});
  CHECK(spec.budget.n_trials == 5);
  CHECK(spec.name == "other");
  CHECK(spec.tag == "t2");
}

TEST_CASE("--set creates missing sections and keys") {
  StudySpec spec = ParseWithSets(
      {"budget.parallelism=3", "sampler.seed=7", "trial.env.RUN=\"r-{tag}\"", "trial.timeout=2m"});
  CHECK(spec.budget.parallelism == 3);
  CHECK(spec.budget.n_trials == 10);  // the file's sibling key is kept
  CHECK(spec.sampler.seed == 7u);
  CHECK(spec.trial.env.at("RUN") == "r-{tag}");
  CHECK(spec.trial.timeout_seconds == 120.0);
}

TEST_CASE("--set values are YAML: numbers, lists and flow mappings") {
  StudySpec spec = ParseWithSets({"sampler.type=grid", "sampler.values.train.lr=[0.001, 0.01]",
                                  "search_space.model.depth={type: int, low: 2, high: 6, step: 2}",
                                  "trial.command=[python3, train.py]"});
  CHECK(spec.sampler.grid_values.at("train.lr") == std::vector<double>{0.001, 0.01});
  REQUIRE(spec.space.size() == 3);
  CHECK(spec.space[2] == Parameter{"model.depth", IntDistribution{2, 6, false, 2}});
  CHECK(spec.trial.command == std::vector<std::string>{"python3", "train.py"});
}

TEST_CASE("--set reaches parameters whose names hold dots") {
  StudySpec spec =
      ParseWithSets({"search_space.train.lr.high=0.5", "search_space.train.lr.log=true"});
  CHECK(spec.space[0] == Parameter{"train.lr", FloatDistribution{0.001, 0.5, true, std::nullopt}});
  CHECK(spec.space.size() == 2);
}

TEST_CASE("the longest existing key wins; a new key takes one segment") {
  auto root = ReadYaml("a: {b: 1}\na.b: {c: 2}\n", "f.yaml");
  REQUIRE(root.ok());
  REQUIRE(ApplyOverride(*root, "a.b.c=3").ok());
  CHECK(root->Find("a.b")->value.Find("c")->value.scalar == "3");
  CHECK(root->Find("a")->value.Find("b")->value.scalar == "1");

  REQUIRE(ApplyOverride(*root, "x.y.z=4").ok());
  const YamlNode& x = root->Find("x")->value;
  REQUIRE(x.IsMapping());
  const YamlNode& z = x.Find("y")->value.Find("z")->value;
  CHECK(z.scalar == "4");
  CHECK(ToString(z.location) == "--set x.y.z=4");
}

TEST_CASE("errors in a --set value name the override") {
  CHECK(SetsErrorOf({"budget.n_trials=abc"}) ==
        "--set budget.n_trials=abc: budget.n_trials: expected a positive whole number, got "
        "'abc'");
  CHECK(SetsErrorOf({"search_space.train.lr.low=x"}) ==
        "--set search_space.train.lr.low=x: search_space.train.lr.low: expected a number, got "
        "'x'");
  CHECK(SetsErrorOf({"budget.paralelism=2"}) ==
        "--set budget.paralelism=2: budget.paralelism: unknown key; did you mean 'parallelism'?");
  CHECK(SetsErrorOf({"trial.command=[python3, \"{train.lrr}\"]"}) ==
        "--set trial.command=[python3, \"{train.lrr}\"]: trial.command[1]: unknown placeholder "
        "'{train.lrr}'; did you mean 'train.lr'?");
  CHECK(SetsErrorOf({"budget.timeout=[1,"}) ==
        "--set budget.timeout=[1,: YAML syntax error: end of sequence flow not found");
  CHECK(SetsErrorOf({"budget"}) ==
        "--set budget: expected KEY.PATH=VALUE, e.g. --set budget.n_trials=20");
  CHECK(SetsErrorOf({"=3"}) == "--set =3: expected KEY.PATH=VALUE, e.g. --set budget.n_trials=20");
  CHECK(SetsErrorOf({"budget..x=1"}) ==
        "--set budget..x=1: 'budget..x' has an empty key between dots");
  CHECK(SetsErrorOf({"trial.command.x=1"}) ==
        "--set trial.command.x=1: trial.command: is a list, not a mapping, so it has no key 'x'");
}

TEST_CASE("an override made by a flag is named as the flag, not as --set") {
  const std::string message = SetsErrorOf({{"budget.parallelism=0", "--parallelism 0"}});
  CHECK(message.rfind("--parallelism 0: budget.parallelism: ", 0) == 0);
  CHECK(message.find("--set") == std::string::npos);
}

TEST_CASE("errors in the file still point at the file when overrides are given") {
  auto r = ParseStudyText(std::string(kOverridesStudy) + "backend: locl\n", "study.yaml",
                          {"budget.n_trials=3"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message ==
        "study.yaml:10:10: backend: expected one of local, kubernetes, got 'locl'; did you mean "
        "'local'?");
}

}  // namespace gdsweep
