#include "sweeper/convert/hydra_config.h"

#include <doctest/doctest.h>

#include "sweeper/convert/convert_test_support.h"
#include "sweeper/convert/hydra_expression.h"

namespace gdsweep {
namespace {

using test::Dist;
using test::HasNote;
using test::MustLoad;

const ConvertOptions kApp{{"python3", "sphere.py"}, ""};

TEST_CASE("the Hydra example: range with step=, choice with odd spacing, TPE seed, budget") {
  auto s = MustLoad("hydra/example_conf_config.yaml", kApp);
  CHECK(s.format == ConfigFormat::kHydra);
  CHECK(s.spec.name == "sphere");
  REQUIRE(s.spec.objectives.size() == 1);
  CHECK(s.spec.objectives[0].metric == "value");
  CHECK(s.spec.objectives[0].direction == Direction::kMinimize);
  CHECK(Dist(s.spec, "x") == Distribution{FloatDistribution{-5.5, 5.5, false, 0.5}});
  CHECK(Dist(s.spec, "y") ==
        Distribution{CategoricalDistribution{{int64_t{-5}, int64_t{0}, int64_t{5}}}});
  CHECK(s.spec.sampler.type == "tpe");
  CHECK(s.spec.sampler.seed == uint64_t{123});
  CHECK(s.spec.budget.n_trials == int64_t{20});
  CHECK(s.spec.budget.parallelism == 1);
  CHECK(s.spec.trial.command == std::vector<std::string>{"python3", "sphere.py"});
  CHECK(s.spec.trial.hydra_overrides);
  CHECK(s.spec.storage.empty());
  CHECK(HasNote(s.notes, "hydra.sweeper.max_failure_rate", "not carried over"));
}

TEST_CASE("the Hydra multi-objective example: two directions, nsgaii becomes nsga2") {
  auto s = MustLoad("hydra/example_multi-objective-conf_config.yaml", kApp);
  REQUIRE(s.spec.objectives.size() == 2);
  CHECK(s.spec.objectives[0].metric == "values_0");
  CHECK(s.spec.objectives[1].metric == "values_1");
  CHECK(s.spec.sampler.type == "nsga2");
  CHECK(s.spec.sampler.seed == uint64_t{123});
  for (const auto& n : s.notes) CHECK(n.key != "defaults[1]");  // the same sampler: no note
  CHECK(Dist(s.spec, "x") == Distribution{FloatDistribution{0, 5, false, 0.5}});
  CHECK(Dist(s.spec, "y") == Distribution{FloatDistribution{0, 3, false, 0.5}});
}

TEST_CASE("the Hydra grid test config: string choices, a float range with an integer step") {
  auto s = MustLoad("hydra/tests_conf_test_grid.yaml", kApp);
  CHECK(s.spec.sampler.type == "grid");
  CHECK(Dist(s.spec, "x") == Distribution{CategoricalDistribution{{int64_t{-1}, int64_t{1}}}});
  CHECK(Dist(s.spec, "y") == Distribution{FloatDistribution{-1, 1, false, 1.0}});
  CHECK(Dist(s.spec, "z") ==
        Distribution{CategoricalDistribution{{std::string("foo"), std::string("bar")}}});
  CHECK(HasNote(s.notes, "defaults[1]", "upper bound"));
}

TEST_CASE("a Hydra config without --command is an error naming hydra.sweeper and the flag") {
  auto s = LoadStudy(test::ConfigPath("hydra/example_conf_config.yaml"), {});
  REQUIRE_FALSE(s);
  CHECK(s.error().message.find("example_conf_config.yaml:6:3: hydra.sweeper:") !=
        std::string::npos);
  CHECK(s.error().message.find("--command") != std::string::npos);
}

// A whole Hydra config's conversion (its notes) and the spec it validates to.
struct Converted {
  Conversion conversion;
  StudySpec spec;
};

Result<Converted> ConvertText(const std::string& text) {
  auto root = ReadYaml(text, "h.yaml");
  REQUIRE(root);
  auto c = ConvertHydraConfig(*root, "h.yaml", kApp);
  if (!c) return c.error();
  auto spec = ValidateConversion(*c, "h.yaml");
  if (!spec) return spec.error();
  return Converted{std::move(*c), std::move(*spec)};
}

Result<StudySpec> FromText(const std::string& params, const std::string& extra = "") {
  auto c = ConvertText("hydra:\n  sweeper:\n    " + extra + "params:\n" + params);
  if (!c) return c.error();
  return std::move(c->spec);
}

TEST_CASE("Hydra's sweeps: interval, int and log intervals, casts, bare choices, constants") {
  auto s = FromText(
      "      a: interval(0.1, 1)\n"
      "      b: interval(1, 8)\n"
      "      c: tag(log, interval(1e-5, 1e-1))\n"
      "      d: int(interval(1.0, 10.0))\n"
      "      e: adam,sgd\n"
      "      f: 3\n"
      "      g: range(1, 10, 2)\n"
      "      h: range(0, 5, step=2)\n"
      "      i: choice(true, null, 'x y')\n");
  REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
  CHECK(Dist(*s, "a") == Distribution{FloatDistribution{0.1, 1}});
  CHECK(Dist(*s, "b") == Distribution{IntDistribution{1, 8}});
  CHECK(Dist(*s, "c") == Distribution{FloatDistribution{1e-5, 1e-1, true}});
  CHECK(Dist(*s, "d") == Distribution{IntDistribution{1, 10}});
  CHECK(Dist(*s, "e") ==
        Distribution{CategoricalDistribution{{std::string("adam"), std::string("sgd")}}});
  CHECK(Dist(*s, "f") == Distribution{CategoricalDistribution{{int64_t{3}}}});
  CHECK(Dist(*s, "g") == Distribution{IntDistribution{1, 9, false, 2}});
  // Optuna lowers a stop that is off the grid: 0, 2, 4.
  CHECK(Dist(*s, "h") == Distribution{IntDistribution{0, 4, false, 2}});
  CHECK(Dist(*s, "i") ==
        Distribution{CategoricalDistribution{{true, std::monostate{}, std::string("x y")}}});
}

TEST_CASE("a Hydra syntax error points at its column inside the value") {
  auto s = FromText("      lr: interval(0.1, )\n");
  REQUIRE_FALSE(s);
  CHECK(s.error().message.rfind("h.yaml:4:25: hydra.sweeper.params.lr: expected a value", 0) == 0);
  auto unknown = FromText("      lr: shuffle(range(1, 3))\n");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message.find("h.yaml:4:11: hydra.sweeper.params.lr: 'shuffle(...)'") == 0);
}

TEST_CASE("a gdsweep rule broken by a converted value names the Hydra key") {
  auto s = FromText("      lr: tag(log, interval(-1.0, 1.0))\n");
  REQUIRE_FALSE(s);
  CHECK(s.error().message.find("h.yaml:4:20: search_space.lr.log: log scale needs low > 0") == 0);
  CHECK(s.error().message.find("(hydra.sweeper.params.lr in this Hydra Optuna sweeper config)") !=
        std::string::npos);
}

TEST_CASE("Hydra's older search_space form and unknown sweeper keys") {
  auto c = ConvertText(
      "hydra:\n  sweeper:\n    _target_: hydra_plugins.hydra_optuna_sweeper.optuna_sweeper."
      "OptunaSweeper\n    search_space:\n      lr: {type: float, low: 0.001, high: 0.1, log: "
      "true}\n");
  REQUIRE(c);
  CHECK(Dist(c->spec, "lr") == Distribution{FloatDistribution{0.001, 0.1, true}});
  auto typo =
      ReadYaml("hydra:\n  sweeper:\n    params: {x: 'interval(0,1)'}\n    n_trail: 3\n", "h.yaml");
  auto bad = ConvertHydraConfig(*typo, "h.yaml", kApp);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("h.yaml:4:5: hydra.sweeper.n_trail") == 0);
  CHECK(bad.error().message.find("did you mean 'n_trials'") != std::string::npos);
}

TEST_CASE("Hydra's QMC, CMA-ES, NSGA-II and GP samplers become qmc, cmaes, nsga2 and gp") {
  const std::string params = "      x: interval(0, 1)\n      y: interval(-1, 1)\n";
  auto sampler = [&](const std::string& body, const std::string& direction = "minimize") {
    return FromText(params, "direction: " + direction + "\n    sampler:\n" + body + "    ");
  };
  auto qmc = sampler(
      "      _target_: optuna.samplers.QMCSampler\n      qmc_type: halton\n"
      "      scramble: false\n      seed: 5\n");
  REQUIRE_MESSAGE(qmc, (qmc ? "" : qmc.error().message));
  CHECK(qmc->sampler.type == "qmc");
  CHECK(qmc->sampler.qmc.qmc_type == "halton");
  CHECK_FALSE(qmc->sampler.qmc.scramble);
  CHECK(qmc->sampler.seed == uint64_t{5});

  auto cmaes = sampler(
      "      _target_: optuna.samplers.CmaEsSampler\n      sigma0: 0.3\n"
      "      restart_strategy: ipop\n      n_startup_trials: 4\n      x0: {x: 0.5, y: 0}\n");
  REQUIRE_MESSAGE(cmaes, (cmaes ? "" : cmaes.error().message));
  CHECK(cmaes->sampler.type == "cmaes");
  CHECK(cmaes->sampler.cmaes.sigma0 == 0.3);
  CHECK(cmaes->sampler.cmaes.restart_strategy == "ipop");
  CHECK(cmaes->sampler.cmaes.n_startup_trials == 4);
  CHECK(cmaes->sampler.cmaes.x0 == std::map<std::string, double>{{"x", 0.5}, {"y", 0}});

  auto nsga2 = sampler(
      "      _target_: optuna.samplers.NSGAIISampler\n      population_size: 8\n"
      "      crossover_prob: 0.7\n",
      "[minimize, maximize]");
  REQUIRE_MESSAGE(nsga2, (nsga2 ? "" : nsga2.error().message));
  CHECK(nsga2->sampler.type == "nsga2");
  CHECK(nsga2->sampler.nsga2.population_size == 8);
  CHECK(nsga2->sampler.nsga2.crossover_prob == 0.7);

  auto gp = sampler("      _target_: optuna.samplers.GPSampler\n      n_startup_trials: 3\n");
  REQUIRE_MESSAGE(gp, (gp ? "" : gp.error().message));
  CHECK(gp->sampler.type == "gp");
  CHECK(gp->sampler.gp.n_startup_trials == 3);
}

TEST_CASE("Hydra's CMA-ES over two directions becomes TPE, with a warning naming the key") {
  auto c = ConvertText(
      "hydra:\n  sweeper:\n    direction: [minimize, minimize]\n    sampler:\n"
      "      _target_: optuna.samplers.CmaEsSampler\n      sigma0: 0.3\n"
      "    params:\n      x: interval(0, 1)\n      y: interval(0, 1)\n");
  REQUIRE_MESSAGE(c, (c ? "" : c.error().message));
  CHECK(c->spec.sampler.type == "tpe");
  const auto& notes = c->conversion.notes;
  CHECK(HasNote(notes, "hydra.sweeper.sampler._target_", "optimises one objective"));
  CHECK(HasNote(notes, "hydra.sweeper.sampler.sigma0", "not carried over"));
}

TEST_CASE("ParseHydraExpression: keywords, quotes, nesting and offsets") {
  auto e = ParseHydraExpression("range(-5.5, 5.5, step=0.5)");
  REQUIRE(e);
  CHECK(e->kind == HydraExpr::Kind::kCall);
  REQUIRE(e->args.size() == 3);
  CHECK(e->args[2].first == "step");
  CHECK(std::get<double>(e->args[2].second.value) == 0.5);
  auto q = ParseHydraExpression("choice(\"a,b\", 'c')");
  REQUIRE(q);
  CHECK(std::get<std::string>(q->args[0].second.value) == "a,b");
  auto bad = ParseHydraExpression("choice(1, 2");
  REQUIRE_FALSE(bad);
  CHECK(SplitHydraError(bad.error().message).first == 11);
}

}  // namespace
}  // namespace gdsweep
