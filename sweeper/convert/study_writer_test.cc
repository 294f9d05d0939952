#include "sweeper/convert/study_writer.h"

#include <doctest/doctest.h>

#include <filesystem>

#include "sweeper/convert/convert_test_support.h"
#include "sweeper/convert/detect.h"
#include "sweeper/convert/yaml_build.h"
#include "sweeper/spec/spec_json.h"
#include "sweeper/spec/study_parser.h"

namespace gdsweep {
namespace {

// Everything a converted study holds, compared field by field.
void CheckSame(const StudySpec& a, const StudySpec& b) {
  CHECK(SpecToJson(a) == SpecToJson(b));
  CHECK(a.space == b.space);
  CHECK(a.objectives == b.objectives);
  CHECK(a.sampler.seed == b.sampler.seed);
  CHECK(a.sampler.tpe.multivariate == b.sampler.tpe.multivariate);
  CHECK(a.sampler.tpe.n_startup_trials == b.sampler.tpe.n_startup_trials);
  CHECK(a.sampler.grid_values == b.sampler.grid_values);
  CHECK(a.trial.command == b.trial.command);
  CHECK(a.trial.env == b.trial.env);
  CHECK(a.trial.hydra_overrides == b.trial.hydra_overrides);
  CHECK(a.budget.n_trials == b.budget.n_trials);
  CHECK(a.budget.parallelism == b.budget.parallelism);
  CHECK(a.backend == b.backend);
  CHECK(a.kubernetes == b.kubernetes);
}

TEST_CASE("every real config converts, and its written study file reads back the same") {
  const std::vector<std::pair<std::string, ConvertOptions>> configs = {
      {"hydra/example_conf_config.yaml", {{"python3", "sphere.py"}, ""}},
      {"hydra/example_multi-objective-conf_config.yaml", {{"python3", "mo.py"}, ""}},
      {"hydra/tests_conf_test_grid.yaml", {{"python3", "app.py"}, ""}},
      {"wandb/sweep-bayes.yaml", {}},
      {"wandb/sweep-grid.yaml", {}},
      {"wandb/sweep-local-hyperband.yaml", {}},
      {"wandb/sweep-nested-cli.yaml", {}},
      {"katib/random.yaml", {}},
      {"katib/grid.yaml", {}},
      {"katib/bayesian-optimization.yaml", {}},
      {"katib/optuna-distribution.yaml", {}},
      {"katib/pytorchjob-mnist.yaml", {{}, "local"}},
  };
  for (const auto& [rel, options] : configs) {
    CAPTURE(rel);
    auto c = ConvertConfigFile(test::ConfigPath(rel), options);
    REQUIRE_MESSAGE(c, (c ? "" : c.error().message));
    CHECK(c->format != ConfigFormat::kGdsweep);
    auto spec = ValidateConversion(*c, test::ConfigPath(rel));
    REQUIRE_MESSAGE(spec, (spec ? "" : spec.error().message));
    const std::string text = WriteStudyYaml(c->study, {"header"}, c->notes);
    CAPTURE(text);
    auto back = ParseStudyText(text, "converted.yaml");
    REQUIRE_MESSAGE(back, (back ? "" : back.error().message));
    CheckSame(*spec, *back);
    auto root = ReadYaml(text, "converted.yaml");
    REQUIRE(root);
    CHECK(DetectFormat(*root) == ConfigFormat::kGdsweep);
    // Every warning is in the file as a comment.
    for (const auto& note : c->notes) {
      if (note.level == ConvertNote::Level::kWarning) {
        CHECK_MESSAGE(text.find(note.message) != std::string::npos, note.message);
      }
    }
  }
}

TEST_CASE("strings that would read as something else are quoted; plain ones are not") {
  YamlLocation at;
  CHECK(YamlScalarText(StringNode("adam", at)) == "adam");
  CHECK(YamlScalarText(StringNode("true", at)) == "\"true\"");
  CHECK(YamlScalarText(StringNode("1e-5", at)) == "\"1e-5\"");
  CHECK(YamlScalarText(StringNode("--lr={lr}", at)) == "\"--lr={lr}\"");
  CHECK(YamlScalarText(StringNode("a \"b\"\n", at)) == "\"a \\\"b\\\"\\n\"");
  CHECK(YamlScalarText(PlainNode("0.5", at)) == "0.5");
  CHECK(YamlScalarText(FloatNode(1.0, at)) == "1.0");
}

}  // namespace
}  // namespace gdsweep
