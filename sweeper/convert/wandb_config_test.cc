#include "sweeper/convert/wandb_config.h"

#include <doctest/doctest.h>

#include <cmath>

#include "sweeper/convert/convert_test_support.h"

namespace gdsweep {
namespace {

using test::Dist;
using test::HasNote;
using test::MustLoad;

CategoricalDistribution Choices(std::vector<Choice> c) { return CategoricalDistribution{c}; }

TEST_CASE("the W&B bayes example: TPE with a warning, constants and lists, the default command") {
  auto s = MustLoad("wandb/sweep-bayes.yaml");
  CHECK(s.format == ConfigFormat::kWandb);
  CHECK(s.spec.name == "sweep-bayes");
  CHECK(s.spec.sampler.type == "tpe");
  CHECK(HasNote(s.notes, "method", "Gaussian process"));
  REQUIRE(s.spec.objectives.size() == 1);
  CHECK(s.spec.objectives[0].metric == "loss_metric");
  CHECK(s.spec.objectives[0].direction == Direction::kMinimize);
  CHECK(Dist(s.spec, "epochs") == Distribution{Choices({int64_t{5}})});
  CHECK(Dist(s.spec, "sleep") == Distribution{Choices({0.5})});
  CHECK(Dist(s.spec, "base") == Distribution{Choices({int64_t{10}, int64_t{15}, int64_t{20}})});
  CHECK(Dist(s.spec, "direction") == Distribution{Choices({int64_t{-1}, 0.1, int64_t{1}})});
  CHECK(s.spec.trial.command == std::vector<std::string>{"python3", "train.py", "--epochs={epochs}",
                                                         "--variance={variance}", "--sleep={sleep}",
                                                         "--base={base}", "--increment={increment}",
                                                         "--direction={direction}"});
  CHECK_FALSE(s.spec.budget.n_trials);
  CHECK(s.spec.pruner.type == PrunerType::kNone);
  CHECK(HasNote(s.notes, "metric.name", "wandb.log"));
}

TEST_CASE("the W&B grid example is a grid over its 27 combinations") {
  auto s = MustLoad("wandb/sweep-grid.yaml");
  CHECK(s.spec.sampler.type == "grid");
  int64_t combos = 1;
  for (const auto& p : s.spec.space) combos *= *GridSize(p.distribution);
  CHECK(combos == 27);
}

TEST_CASE("W&B hyperband (max_iter, s, eta) becomes the hyperband pruner, said in a warning") {
  auto s = MustLoad("wandb/sweep-local-hyperband.yaml");
  CHECK(s.spec.pruner.type == PrunerType::kHyperband);
  CHECK(s.spec.pruner.hyperband.min_resource == 1);  // 10 / 3^2, rounded down
  CHECK(s.spec.pruner.hyperband.max_resource == int64_t{10});
  CHECK(s.spec.pruner.hyperband.reduction_factor == 3);
  CHECK(HasNote(s.notes, "early_terminate", "HyperbandPruner"));
  CHECK(HasNote(s.notes, "controller", "gdsweep is the controller", ConvertNote::Level::kInfo));
  CHECK(s.spec.trial.command[1] == "train-local.py");
}

TEST_CASE("W&B nested parameters become dotted names, with a warning") {
  auto s = MustLoad("wandb/sweep-nested-cli.yaml");
  std::vector<std::string> names;
  for (const auto& p : s.spec.space) names.push_back(p.name);
  CHECK(names == std::vector<std::string>{"batch_size", "optimizer.lr", "optimizer.nadam.beta"});
  CHECK(HasNote(s.notes, "parameters.optimizer", "--optimizer={...}"));
  CHECK(s.spec.trial.command.back() == "--optimizer.nadam.beta={optimizer.nadam.beta}");
}

Result<LoadedStudy> FromWandb(const std::string& text) {
  auto root = ReadYaml(text, "w.yaml");
  REQUIRE(root);
  auto c = ConvertWandbConfig(*root, "w.yaml", {});
  if (!c) return c.error();
  auto spec = ValidateConversion(*c, "w.yaml");
  if (!spec) return spec.error();
  return LoadedStudy{*spec, c->format, c->notes};
}

const std::string kWandbHead = "program: t.py\nmethod: random\nmetric: {name: loss}\n";

TEST_CASE("W&B distributions: int/float by the bounds, log_uniform's exponents, quantised") {
  auto s = FromWandb(kWandbHead +
                     "parameters:\n"
                     "  a: {min: 1, max: 8}\n"
                     "  b: {min: 0, max: 1.0}\n"
                     "  c: {distribution: log_uniform_values, min: 1e-5, max: 0.1}\n"
                     "  d: {distribution: log_uniform, min: -2, max: 0}\n"
                     "  e: {distribution: q_uniform, min: 0, max: 1, q: 0.25}\n"
                     "  f: {distribution: q_uniform, min: 1, max: 20, q: 4}\n"
                     "  g: {distribution: inv_log_uniform_values, min: 0.01, max: 1}\n"
                     "  h: {distribution: normal, mu: 1, sigma: 2}\n"
                     "  i: {values: [a, b], probabilities: [0.9, 0.1]}\n");
  REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
  const StudySpec& spec = s->spec;
  CHECK(Dist(spec, "a") == Distribution{IntDistribution{1, 8}});
  CHECK(Dist(spec, "b") == Distribution{FloatDistribution{0, 1}});
  CHECK(Dist(spec, "c") == Distribution{FloatDistribution{1e-5, 0.1, true}});
  const auto& d = std::get<FloatDistribution>(Dist(spec, "d"));
  CHECK(d.log);
  CHECK(d.low == doctest::Approx(std::exp(-2.0)));
  CHECK(d.high == doctest::Approx(1.0));
  CHECK(Dist(spec, "e") == Distribution{FloatDistribution{0, 1, false, 0.25}});
  CHECK(Dist(spec, "f") == Distribution{IntDistribution{4, 20, false, 4}});
  CHECK(Dist(spec, "g") == Distribution{FloatDistribution{0.01, 1, true}});
  CHECK(Dist(spec, "h") == Distribution{FloatDistribution{-5, 7}});
  CHECK(HasNote(s->notes, "parameters.h", "mu ± 3 sigma"));
  CHECK(HasNote(s->notes, "parameters.i.probabilities", "not carried over"));
}

TEST_CASE("W&B command macros: args forms, args_json_file, unknown macros and errors") {
  auto s = FromWandb(kWandbHead +
                     "parameters: {x: {values: [1, 2]}}\n"
                     "command:\n  - ${env}\n  - ${interpreter}\n  - ${program}\n"
                     "  - --cfg=${args_json_file}\n  - ${args_no_hyphens}\n  - '{literal}'\n");
  REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
  CHECK(s->spec.trial.command == std::vector<std::string>{"python3", "t.py",
                                                          "--cfg={trial.dir}/params.json", "x={x}",
                                                          "{{literal}}"});
  auto json = FromWandb(kWandbHead + "parameters: {x: {values: [1]}}\ncommand: ['${args_json}']\n");
  REQUIRE_FALSE(json);
  CHECK(json.error().message.find("w.yaml:5:11: command[0]: ${args_json}") == 0);
  auto envvar =
      FromWandb(kWandbHead + "parameters: {x: {values: [1]}}\ncommand: [t, '--k=${envvar:KEY}']\n");
  REQUIRE_FALSE(envvar);
  CHECK(envvar.error().message.find("command[1]: ${envvar:KEY} has no equivalent") !=
        std::string::npos);
}

TEST_CASE("W&B errors name the key: a misspelt metric key, bad bounds, an unknown method") {
  auto typo = FromWandb(
      "program: t.py\nmethod: grid\nmetric: {name: loss, gaol: minimize}\n"
      "parameters: {x: {values: [1]}}\n");
  REQUIRE_FALSE(typo);
  CHECK(typo.error().message.find("w.yaml:3:22: metric.gaol") == 0);
  CHECK(typo.error().message.find("did you mean 'goal'") != std::string::npos);
  auto bounds = FromWandb(kWandbHead + "parameters: {x: {min: 5.0, max: 1.0}}\n");
  REQUIRE_FALSE(bounds);
  CHECK(bounds.error().message.find("w.yaml:4:23: search_space.x.low: low (5.0) must be less") ==
        0);
  CHECK(bounds.error().message.find("(parameters.x.min in this W&B sweep config)") !=
        std::string::npos);
  auto method = FromWandb(
      "program: t.py\nmethod: custom\nmetric: {name: loss}\n"
      "parameters: {x: {values: [1]}}\n");
  REQUIRE_FALSE(method);
  CHECK(method.error().message.find("w.yaml:2:9: method") == 0);
  auto grid = FromWandb(
      "program: t.py\nmethod: grid\nmetric: {name: loss}\n"
      "parameters: {x: {min: 0.0, max: 1.0}}\n");
  REQUIRE_FALSE(grid);
  CHECK(grid.error().message.find("continuous float") != std::string::npos);
}

TEST_CASE("W&B numbers follow YAML 1.2: an unquoted 1e-5 is a number, a quoted one is not") {
  auto s = FromWandb(kWandbHead +
                     "parameters: {lr: {distribution: log_uniform_values, min: 1e-5, "
                     "max: 1e-1}}\n");
  REQUIRE(s);
  CHECK(Dist(s->spec, "lr") == Distribution{FloatDistribution{1e-5, 1e-1, true}});
  auto quoted = FromWandb(kWandbHead + "parameters: {lr: {min: '1e-5', max: 0.1}}\n");
  REQUIRE_FALSE(quoted);
  CHECK(quoted.error().message.find("parameters.lr.min: expected a number") != std::string::npos);
}

}  // namespace
}  // namespace gdsweep
