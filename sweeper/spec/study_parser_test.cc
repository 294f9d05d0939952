#include "sweeper/spec/study_parser.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "sweeper/spec/yaml_reader.h"
#include "tests/source_dir.h"

namespace gdsweep {
namespace {

// The example of docs/study-file.md, line numbers matter to the tests below.
constexpr const char* kFull = R"(study_name: quickstart
tag: v1
storage: sqlite:///runs/gdsweep.db
objectives:
  - {metric: loss, direction: minimize}
  - {metric: val/accuracy, direction: maximize}
search_space:
  train.lr: {type: float, low: 1.0e-5, high: 0.1, log: true}
  train.val_split: {type: float, low: 0.2, high: 0.35, step: 0.025}
  layers: {type: int, low: 1, high: 8}
  batch: {type: int, low: 16, high: 256, log: true}
  train.optimiser: {type: categorical, choices: [adam, rmsprop, 3, 0.5, true, null, "false"]}
sampler:
  type: tpe
  seed: 18446744073709551615
  n_startup_trials: 5
  n_ei_candidates: 48
  multivariate: true
  group: true
  constant_liar: true
  consider_prior: false
  prior_weight: 2.5
  consider_magic_clip: false
  consider_endpoints: true
  gamma: {fraction: 0.2, cap: 10}
budget:
  n_trials: 50
  parallelism: 4
  timeout: 1h30m
trial:
  command: [python3, train.py, --lr, "{train.lr}", "--run={study.name}-{trial.number}"]
  overrides: hydra
  env: {DATA_DIR: /data, RUN: "{study.name}-{trial.number}", THREADS: 4}
  working_dir: work
  timeout: 10m
  retries: 2
  result: file
backend: local
)";

// A small valid study; tests append or replace sections.
constexpr const char* kMinimal = R"(study_name: s
objective: {metric: loss, direction: minimize}
search_space:
  lr: {type: float, low: 0.001, high: 0.1}
trial:
  command: [python3, train.py, "{lr}"]
)";

std::string TextErrorOf(const std::string& text, const std::vector<SetOverride>& sets = {}) {
  auto r = ParseStudyText(text, "study.yaml", sets);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == Error::Kind::kInvalidInput);
  return r.error().message;
}

StudySpec ParseText(const std::string& text, const std::vector<SetOverride>& sets = {}) {
  auto r = ParseStudyText(text, "study.yaml", sets);
  if (!r.ok()) FAIL(r.error().message);
  return std::move(r).value();
}

}  // namespace

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

TEST_CASE("every section of the full example is parsed") {
  StudySpec spec = ParseText(kFull);
  CHECK(spec.source_path == "study.yaml");
  CHECK(spec.name == "quickstart");
  CHECK(spec.tag == "v1");
  CHECK(spec.storage == "sqlite:///runs/gdsweep.db");
  CHECK(spec.objectives == std::vector<Objective>{{"loss", Direction::kMinimize},
                                                  {"val/accuracy", Direction::kMaximize}});

  REQUIRE(spec.space.size() == 5);
  CHECK(spec.space[0] == Parameter{"train.lr", FloatDistribution{1e-5, 0.1, true, std::nullopt}});
  CHECK(spec.space[1] == Parameter{"train.val_split", FloatDistribution{0.2, 0.35, false, 0.025}});
  CHECK(spec.space[2] == Parameter{"layers", IntDistribution{1, 8, false, 1}});
  CHECK(spec.space[3] == Parameter{"batch", IntDistribution{16, 256, true, 1}});
  CHECK(spec.space[4].name == "train.optimiser");
  const auto& choices = std::get<CategoricalDistribution>(spec.space[4].distribution).choices;
  CHECK(choices == std::vector<Choice>{std::string("adam"), std::string("rmsprop"), int64_t{3}, 0.5,
                                       true, std::monostate{}, std::string("false")});

  CHECK(spec.sampler.type == "tpe");
  CHECK(spec.sampler.type_given);
  CHECK(spec.sampler.seed == UINT64_MAX);
  CHECK(spec.sampler.tpe.n_startup_trials == 5);
  CHECK(spec.sampler.tpe.n_ei_candidates == 48);
  CHECK(spec.sampler.tpe.multivariate);
  CHECK(spec.sampler.tpe.group);
  CHECK(spec.sampler.tpe.constant_liar);
  CHECK_FALSE(spec.sampler.tpe.consider_prior);
  CHECK(spec.sampler.tpe.prior_weight == 2.5);
  CHECK_FALSE(spec.sampler.tpe.consider_magic_clip);
  CHECK(spec.sampler.tpe.consider_endpoints);
  CHECK(spec.sampler.tpe.gamma_fraction == 0.2);
  CHECK(spec.sampler.tpe.gamma_cap == 10);
  CHECK(spec.sampler.grid_values.empty());

  CHECK(spec.budget.n_trials == 50);
  CHECK(spec.budget.parallelism == 4);
  CHECK(spec.budget.timeout_seconds == 5400.0);

  CHECK(spec.trial.command == std::vector<std::string>{"python3", "train.py", "--lr", "{train.lr}",
                                                       "--run={study.name}-{trial.number}"});
  CHECK(spec.trial.hydra_overrides);
  CHECK(spec.trial.env == std::map<std::string, std::string>{{"DATA_DIR", "/data"},
                                                             {"RUN", "{study.name}-{trial.number}"},
                                                             {"THREADS", "4"}});
  CHECK(spec.trial.working_dir == "work");
  CHECK(spec.trial.timeout_seconds == 600.0);
  CHECK(spec.trial.retries == 2);
  CHECK(spec.trial.result_source == ResultSource::kFile);
  CHECK(spec.backend == "local");
}

TEST_CASE("a minimal study takes every default") {
  StudySpec spec = ParseText(kMinimal);
  CHECK(spec.name == "s");
  CHECK(spec.tag == "default");
  CHECK(spec.storage.empty());
  CHECK(spec.objectives == std::vector<Objective>{{"loss", Direction::kMinimize}});
  CHECK(spec.space == SearchSpace{{"lr", FloatDistribution{0.001, 0.1, false, std::nullopt}}});
  CHECK(spec.sampler.type == "auto");
  CHECK_FALSE(spec.sampler.type_given);
  CHECK_FALSE(spec.sampler.seed.has_value());
  CHECK(spec.sampler.tpe.n_startup_trials == 10);
  CHECK(spec.sampler.tpe.gamma_cap == 25);
  CHECK_FALSE(spec.budget.n_trials.has_value());
  CHECK(spec.budget.parallelism == 1);
  CHECK_FALSE(spec.budget.timeout_seconds.has_value());
  CHECK_FALSE(spec.trial.hydra_overrides);
  CHECK(spec.trial.env.empty());
  CHECK(spec.trial.working_dir.empty());
  CHECK_FALSE(spec.trial.timeout_seconds.has_value());
  CHECK(spec.trial.retries == 0);
  CHECK(spec.trial.result_source == ResultSource::kStdout);
  CHECK(spec.backend == "local");
}

TEST_CASE("an explicit null means the default") {
  StudySpec spec =
      ParseText(Replace(kMinimal, "high: 0.1}", "high: 0.1, step: null, log: ~}") +
                "  timeout: null\ntag: ~\nsampler: {type: ~, seed: null, values: ~}\nbudget:\n");
  CHECK(spec.space[0].distribution ==
        Distribution{FloatDistribution{0.001, 0.1, false, std::nullopt}});
  CHECK_FALSE(spec.sampler.seed.has_value());
  CHECK(spec.tag == "default");
  CHECK_FALSE(spec.trial.timeout_seconds.has_value());
  CHECK(spec.sampler.type == "auto");
  CHECK_FALSE(spec.sampler.type_given);
  CHECK(spec.budget.parallelism == 1);
}

TEST_CASE("Hydra's optuna sweeper form of objectives: direction with metric or metrics") {
  const std::string base =
      Replace(kMinimal, "objective: {metric: loss, direction: minimize}\n", "");
  StudySpec single = ParseText(base + "direction: maximize\nmetric: accuracy\n");
  CHECK(single.objectives == std::vector<Objective>{{"accuracy", Direction::kMaximize}});
  StudySpec multi = ParseText(base + "direction: [minimize, maximize]\nmetrics: [loss, acc]\n");
  CHECK(multi.objectives ==
        std::vector<Objective>{{"loss", Direction::kMinimize}, {"acc", Direction::kMaximize}});

  CHECK(TextErrorOf(base + "direction: minimize\n") ==
        "study.yaml:6:1: direction: name the metric to optimise with 'metric: NAME' (or "
        "'metrics: [A, B]' for several directions)");
  CHECK(TextErrorOf(base + "direction: [minimize, maximize]\nmetric: loss\n") ==
        "study.yaml:7:9: metric: 1 metric name(s) for 2 direction(s)");
  CHECK(TextErrorOf(base + "direction: [minimize, maximise]\nmetrics: [a, b]\n") ==
        "study.yaml:6:23: direction[1]: expected one of minimize, maximize, got 'maximise'; did "
        "you mean 'maximize'?");
  CHECK(TextErrorOf(base + "metric: loss\n") ==
        "study.yaml:6:1: metric: needs 'direction' beside it");
  CHECK(TextErrorOf(std::string(kMinimal) + "direction: minimize\n") ==
        "study.yaml:7:1: direction: give the objectives once: 'objective' already does");
}

TEST_CASE("objective errors: missing, incomplete, duplicate, badly named") {
  const std::string base =
      Replace(kMinimal, "objective: {metric: loss, direction: minimize}\n", "");
  CHECK(TextErrorOf(base) ==
        "study.yaml:1:1: missing required key 'objective' (or 'objectives' for several)");
  CHECK(TextErrorOf(base + "objectives:\n  - {metric: loss, direction: minimize}\n  - {metric: "
                           "loss, direction: maximize}\n") ==
        "study.yaml:8:14: objectives[1].metric: metric 'loss' appears twice (first at "
        "study.yaml:7:14)");
  CHECK(TextErrorOf(base + "objectives:\n  - {metric: acc}\n") ==
        "study.yaml:7:5: objectives[0]: missing required key 'direction'");
  CHECK(TextErrorOf(base + "objectives: []\n") ==
        "study.yaml:6:13: objectives: expected at least one objective");
  CHECK(TextErrorOf(base + "objective: {metric: 1loss, direction: minimize}\n") ==
        "study.yaml:6:21: objective.metric: a metric name must start with a letter or '_' and "
        "hold only letters, digits, '_', '.', '/' and '-', got '1loss'");
}

TEST_CASE("unknown keys at every level suggest the closest known key") {
  CHECK(TextErrorOf(std::string(kMinimal) + "budget:\n  n_trials: 3\n  paralelism: 4\n") ==
        "study.yaml:9:3: budget.paralelism: unknown key; did you mean 'parallelism'?");
  CHECK(TextErrorOf(Replace(kMinimal, "study_name:", "study_nam:")) ==
        "study.yaml:1:1: study_nam: unknown key; did you mean 'study_name'?");
  CHECK(TextErrorOf(Replace(kMinimal, "high: 0.1", "hihg: 0.1")) ==
        "study.yaml:4:33: search_space.lr.hihg: unknown key; did you mean 'high'?");
  CHECK(TextErrorOf(Replace(kMinimal, "  command:", "  comand:")) ==
        "study.yaml:6:3: trial.comand: unknown key; did you mean 'command'?");
  CHECK(TextErrorOf(std::string(kMinimal) + "sampler: {seeed: 3}\n") ==
        "study.yaml:7:11: sampler.seeed: unknown key; did you mean 'seed'?");
  CHECK(TextErrorOf(std::string(kMinimal) + "mlflow: {}\n") ==
        "study.yaml:7:1: mlflow: unknown key; expected one of: study_name, tag, storage, "
        "objective, objectives, direction, metric, metrics, search_space, sampler, pruner, "
        "budget, "
        "trial, backend, kubernetes, tracking, local, enqueue, constraints");
}

TEST_CASE("missing required keys name the mapping that lacks them") {
  CHECK(TextErrorOf(Replace(kMinimal, "study_name: s\n", "")) ==
        "study.yaml:1:1: missing required key 'study_name'");
  CHECK(TextErrorOf(Replace(kMinimal, "type: float, ", "")) ==
        "study.yaml:4:7: search_space.lr: missing required key 'type'");
  CHECK(TextErrorOf(Replace(kMinimal, ", high: 0.1", "")) ==
        "study.yaml:4:7: search_space.lr: missing required key 'high'");
  CHECK(TextErrorOf(
            Replace(kMinimal, "  command: [python3, train.py, \"{lr}\"]\n", "  retries: 1\n")) ==
        "study.yaml:6:3: trial: missing required key 'command'");
  CHECK(TextErrorOf(Replace(kMinimal, "search_space:\n  lr: {type: float, low: 0.001, high: 0.1}\n",
                            "")) == "study.yaml:1:1: missing required key 'search_space'");
  CHECK(TextErrorOf("") ==
        "study.yaml:1:1: the study file is empty; it needs at least study_name, objective, "
        "search_space and trial");
  CHECK(TextErrorOf("- a\n") ==
        "study.yaml:1:1: a study file is a mapping of keys (study_name, objective, "
        "search_space, trial, ...), got a list");
}

TEST_CASE("bad values are reported at the value with its key path") {
  CHECK(TextErrorOf(Replace(kMinimal, "low: 0.001", "low: abc")) ==
        "study.yaml:4:26: search_space.lr.low: expected a number, got 'abc'");
  CHECK(TextErrorOf(Replace(kMinimal, "study_name: s", "study_name: my study")) ==
        "study.yaml:1:13: study_name: expected letters, digits, '.', '_' and '-' only, got 'my "
        "study'");
  CHECK(TextErrorOf(std::string(kMinimal) + "tag: " + std::string(64, 't') + "\n") ==
        "study.yaml:7:6: tag: at most 63 characters, got 64");
  CHECK(TextErrorOf(std::string(kMinimal) + "storage: mysql://db/x\n") ==
        "study.yaml:7:10: storage: expected a database file path, sqlite:///PATH or "
        "postgresql://..., got 'mysql://db/x'");
  CHECK(TextErrorOf(std::string(kMinimal) + "budget: {parallelism: 0}\n") ==
        "study.yaml:7:23: budget.parallelism: expected a whole number from 1 to 1024, got '0'");
  CHECK(TextErrorOf(std::string(kMinimal) + "budget: {timeout: 1h10}\n") ==
        "study.yaml:7:19: budget.timeout: expected a duration such as 90, 90s, 10m, 2h or 1h30m, "
        "got '1h10'");
  CHECK(TextErrorOf(std::string(kMinimal) + "  retries: -1\n") ==
        "study.yaml:7:12: trial.retries: expected a non-negative whole number, got '-1'");
  CHECK(TextErrorOf(std::string(kMinimal) + "  result: json\n") ==
        "study.yaml:7:11: trial.result: expected one of stdout, file, got 'json'");
  CHECK(TextErrorOf(std::string(kMinimal) + "backend: kubernetes\n") ==
        "study.yaml:7:10: backend: 'kubernetes' needs a kubernetes section with at least "
        "kubernetes.image (or kubernetes.job_template)");
}

TEST_CASE("the command is a list of strings, never a shell line") {
  const std::string no_command =
      Replace(kMinimal, "  command: [python3, train.py, \"{lr}\"]\n", "");
  CHECK(TextErrorOf(no_command + "  command: python3 train.py --lr {lr}\n") ==
        "study.yaml:6:12: trial.command: expected a list of strings: the command runs without a "
        "shell, so write each argument separately, e.g. [python3, train.py, --lr, \"{lr}\"]");
  CHECK(TextErrorOf(no_command + "  command: []\n") ==
        "study.yaml:6:12: trial.command: the command must not be empty");
  CHECK(TextErrorOf(no_command + "  command: [\"\", x]\n") ==
        "study.yaml:6:13: trial.command[0]: the program name must not be empty");
  CHECK(TextErrorOf(no_command + "  command: [python3, ~]\n") ==
        "study.yaml:6:22: trial.command[1]: expected a string, got null");
  CHECK(TextErrorOf(no_command + "  command: [python3, train.py, {x}]\n") ==
        "study.yaml:6:32: trial.command[2]: expected a string, got a mapping; write the "
        "placeholder in quotes: \"{x}\"");
  CHECK(TextErrorOf(no_command + "  command: [python3, train.py, {a: b}]\n") ==
        "study.yaml:6:32: trial.command[2]: expected a string, got a mapping");
  CHECK(ParseText(no_command + "  command: [python3, 3, true]\n").trial.command ==
        std::vector<std::string>{"python3", "3", "true"});
}

TEST_CASE("placeholders must name a parameter or a built-in, at their exact column") {
  CHECK(TextErrorOf(Replace(kMinimal, "\"{lr}\"", "\"--lr={lrr}\"")) ==
        "study.yaml:6:38: trial.command[2]: unknown placeholder '{lrr}'; did you mean 'lr'?");
  CHECK(TextErrorOf(Replace(kMinimal, "\"{lr}\"", "\"{trial.numbr}\"")) ==
        "study.yaml:6:33: trial.command[2]: unknown placeholder '{trial.numbr}'; did you mean "
        "'trial.number'?");
  CHECK(TextErrorOf(Replace(kMinimal, "\"{lr}\"", "\"{zzzzzz}\"")) ==
        "study.yaml:6:33: trial.command[2]: unknown placeholder '{zzzzzz}'; a placeholder is a "
        "parameter name or one of trial.number, trial.id, trial.attempt, trial.dir, study.name, "
        "tag ('{{' and '}}' are literal braces)");
  CHECK(TextErrorOf(Replace(kMinimal, "\"{lr}\"", "\"--cfg={\\\"a\\\": 1}\"")) ==
        "study.yaml:6:32: trial.command[2]: unknown placeholder '{\"a\": 1}'; a placeholder is a "
        "parameter name or one of trial.number, trial.id, trial.attempt, trial.dir, study.name, "
        "tag ('{{' and '}}' are literal braces)");
  CHECK(TextErrorOf(Replace(kMinimal, "\"{lr}\"", "\"x}\"")) ==
        "study.yaml:6:34: trial.command[2]: unmatched '}' (write '{{' and '}}' for literal "
        "braces)");
  CHECK(TextErrorOf(std::string(kMinimal) + "  env: {RUN: 'r-{trial.nmber}'}\n") ==
        "study.yaml:7:17: trial.env.RUN: unknown placeholder '{trial.nmber}'; did you mean "
        "'trial.number'?");
  StudySpec ok =
      ParseText(std::string(kMinimal) +
                "  env: {A: '{{literal}}', B: '{trial.id}/{trial.attempt}/{trial.dir}/{tag}'}\n");
  CHECK(ok.trial.env.at("A") == "{{literal}}");  // kept as written; expanded per trial
}

TEST_CASE("environment names are POSIX names outside the GDSWEEP_ prefix") {
  CHECK(TextErrorOf(std::string(kMinimal) + "  env: {1X: a}\n") ==
        "study.yaml:7:9: trial.env.1X: not a valid environment variable name (letters, digits "
        "and '_', not starting with a digit)");
  CHECK(TextErrorOf(std::string(kMinimal) + "  env: {GDSWEEP_DB: a}\n") ==
        "study.yaml:7:9: trial.env.GDSWEEP_DB: the GDSWEEP_ prefix is reserved for the "
        "variables gdsweep sets");
  CHECK(TextErrorOf(std::string(kMinimal) + "  working_dir: runs/{trial.number}\n") ==
        "study.yaml:7:16: trial.working_dir: placeholders are not expanded in the working "
        "directory");
}

TEST_CASE("a study file is read from disk and named in messages by its path") {
  const auto path = std::filesystem::temp_directory_path() / "gdsweep_study_parser_test.yaml";
  {
    std::ofstream out(path);
    out << Replace(kMinimal, "low: 0.001", "low: x");
  }
  auto r = ParseStudyFile(path.string());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message ==
        path.string() + ":4:26: search_space.lr.low: expected a number, got 'x'");
  {
    std::ofstream out(path);
    out << kMinimal;
  }
  auto ok = ParseStudyFile(path.string(), {"tag=t2"});
  REQUIRE(ok.ok());
  CHECK(ok->source_path == path.string());
  CHECK(ok->tag == "t2");
  std::filesystem::remove(path);

  auto missing = ParseStudyFile("/nonexistent/study.yaml");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == Error::Kind::kInvalidInput);
  CHECK(missing.error().message ==
        "/nonexistent/study.yaml: cannot read the study file: No such file or directory");
}

TEST_CASE("a directory or an oversized file is refused before it is parsed") {
  const auto dir = std::filesystem::temp_directory_path() / "gdsweep_study_parser_test_dir";
  std::filesystem::create_directories(dir);
  auto as_dir = ParseStudyFile(dir.string());
  REQUIRE_FALSE(as_dir.ok());
  CHECK(as_dir.error().message == dir.string() + ": is a directory, not a study file");

  const auto big = dir / "big.yaml";
  {
    std::ofstream out(big);
    out << kMinimal << "# " << std::string(kMaxYamlFileBytes, 'x') << "\n";
  }
  auto too_big = ParseStudyFile(big.string());
  REQUIRE_FALSE(too_big.ok());
  CHECK(too_big.error().message ==
        big.string() +
            ": the study file is larger than 1 MiB (1048576 bytes), the most gdsweep reads");
  {
    std::ofstream out(big);  // exactly at the limit is fine
    std::string text = kMinimal;
    out << text << "#" << std::string(kMaxYamlFileBytes - text.size() - 2, 'x') << "\n";
  }
  CHECK(std::filesystem::file_size(big) == kMaxYamlFileBytes);
  CHECK(ParseStudyFile(big.string()).ok());
  std::filesystem::remove_all(dir);
}

TEST_CASE("a key path is located in the study file, whatever form its section takes") {
  const auto path = std::filesystem::temp_directory_path() / "gdsweep_locate_test.yaml";
  {
    std::ofstream out(path);
    out << "study_name: s\nobjectives:\n  - {metric: loss, direction: minimize}\n"
           "search_space:\n  train.lr: {type: float, low: 0.001, high: 0.1}\n"
           "trial: {command: [a]}\n";
  }
  const std::string p = path.string();
  CHECK(LocateInStudyFile(p, "search_space.train.lr") == p + ":5:3");
  CHECK(LocateInStudyFile(p, "search_space.gone") == p + ":4:1");
  CHECK(LocateInStudyFile(p, "objectives[0]") == p + ":3:5");
  CHECK(LocateInStudyFile(p, "objectives") == p + ":2:1");
  {
    std::ofstream out(path);
    out << "direction: minimize\nmetric: loss\n";
  }
  CHECK(LocateInStudyFile(p, "objectives[0]") == p + ":1:1");
  std::filesystem::remove(path);
  CHECK(LocateInStudyFile(p, "search_space") == p);
}

TEST_CASE("the shipped examples parse") {
  const auto examples = testing::SourceDir() / "examples";
  REQUIRE(std::filesystem::exists(examples));
  int parsed = 0;
  for (const auto& dir : std::filesystem::directory_iterator(examples)) {
    const auto study = dir.path() / "study.yaml";
    if (!std::filesystem::exists(study)) continue;
    auto r = ParseStudyFile(study.string());
    CHECK_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    ++parsed;
  }
  CHECK(parsed > 0);
}

}  // namespace gdsweep
