// Study::Open's choice of sampler: the study file's, the default (auto) for a
// new study, the one recorded with a resumed study when the file names none,
// and a warning naming both when the file names another one.
#include "sweeper/study.h"

#include <doctest/doctest.h>

#include <string>
#include <utility>

#include "storage/test_support.h"
#include "sweeper/spec/spec_json.h"
#include "sweeper/spec/study_parser.h"
#include "tracking/captured_logs_test_support.h"

#ifndef GDSWEEP_CHECK_LOGS
#error "the sweeper tests link spdlog, so its log lines can be checked"
#endif

namespace gdsweep {
namespace {

using testing::TempDir;

// Study "s" of one float, with `sampler` as the file's sampler section ("" for none).
StudySpec SpecWith(const std::string& sampler) {
  auto parsed = ParseStudyText(
      "study_name: s\nobjective: {metric: loss, direction: minimize}\ntrial: {command: [run]}\n"
      "search_space:\n  x: {type: float, low: 0, high: 1}\n" +
          sampler,
      "study.yaml");
  REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.error().message));
  return std::move(*parsed);
}

// The sampler type a run of `spec` uses, and the one it records with the study.
std::pair<std::string, std::string> OpenWith(Storage& storage, const StudySpec& spec) {
  auto study = Study::Open(storage, spec, StudyOpenOptions{});
  REQUIRE_MESSAGE(study.ok(), (study.ok() ? "" : study.error().message));
  auto stored = storage.GetStudy("s");
  REQUIRE(stored.ok());
  return {(*study)->spec().sampler.type, SamplerTypeOf(stored->spec_json)};
}

using Types = std::pair<std::string, std::string>;

}  // namespace

TEST_CASE("a new study whose file names no sampler.type gets auto, and logs it") {
  TempDir dir;
  auto storage = testing::OpenOrDie(testing::TestDatabase(dir));
  testing::CapturedLogs logs;
  CHECK(OpenWith(*storage, SpecWith("sampler: {seed: 1}\n")) == Types{"auto", "auto"});
  CHECK(logs.Count("info", "study 's': sampler auto, the default") == 1);
  // Resumed without a type again: auto, recorded, nothing to say.
  CHECK(OpenWith(*storage, SpecWith("")) == Types{"auto", "auto"});
  CHECK(logs.Count("info", "the default") == 1);
  CHECK(logs.Count("info", "keeps the") == 0);
}

TEST_CASE("a study recorded as tpe stays tpe when its file names no sampler.type") {
  // A study created before auto became the default recorded tpe, as one
  // created with `type: tpe` does.
  TempDir dir;
  auto storage = testing::OpenOrDie(testing::TestDatabase(dir));
  CHECK(OpenWith(*storage, SpecWith("sampler: {type: tpe, seed: 1}\n")) == Types{"tpe", "tpe"});
  testing::CapturedLogs logs;
  for (int run = 0; run < 2; ++run) {  // every resume: the recorded one, still recorded
    CHECK(OpenWith(*storage, SpecWith("sampler: {seed: 1}\n")) == Types{"tpe", "tpe"});
  }
  CHECK(logs.Count("info",
                   "study 's': keeps the tpe sampler recorded with it (the study file names no "
                   "sampler.type; a new study gets auto") == 2);
  CHECK(logs.Count("warning", "proposed by the") == 0);
}

TEST_CASE("a study resumed with another sampler.type uses it, with a warning naming both") {
  TempDir dir;
  auto storage = testing::OpenOrDie(testing::TestDatabase(dir));
  CHECK(OpenWith(*storage, SpecWith("")) == Types{"auto", "auto"});
  {
    testing::CapturedLogs logs;
    CHECK(OpenWith(*storage, SpecWith("sampler: {type: tpe}\n")) == Types{"tpe", "tpe"});
    CHECK(logs.Count("warning",
                     "study 's': its trials so far were proposed by the auto sampler; this run "
                     "uses tpe") == 1);
  }
  // TPE's options without a type choose tpe too: no switch back to the default.
  CHECK(OpenWith(*storage, SpecWith("sampler: {n_startup_trials: 3}\n")) == Types{"tpe", "tpe"});
  CHECK(OpenWith(*storage, SpecWith("sampler: {type: gp}\n")) == Types{"gp", "gp"});
  CHECK(OpenWith(*storage, SpecWith("")) == Types{"gp", "gp"});
}

TEST_CASE("SamplerForStudy: the file's choice, else a known recorded type, else the default") {
  SamplerSpec file = SpecWith("sampler: {seed: 5}\n").sampler;
  CHECK(SamplerForStudy(file, "").type == "auto");
  CHECK(SamplerForStudy(file, "not json").type == "auto");
  CHECK(SamplerForStudy(file, R"({"sampler": {"type": "bayes"}})").type == "auto");
  const SamplerSpec kept = SamplerForStudy(file, R"({"sampler": {"type": "cmaes", "seed": 9}})");
  CHECK(kept.type == "cmaes");
  CHECK(kept.seed == 5u);  // the file's seed; the stored one is the study's own
  SamplerSpec given = SpecWith("sampler: {type: random}\n").sampler;
  CHECK(SamplerForStudy(given, R"({"sampler": {"type": "tpe"}})").type == "random");
}

}  // namespace gdsweep
