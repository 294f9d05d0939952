// gdsweep render STUDY.yaml [--trial N]: print, as YAML, the Kubernetes Job
// of each trial exactly as `gdsweep run` would submit it, without contacting
// any cluster (for review, or for GitOps). The manifest is the same pure
// function of the spec and the trial's launch that the backend uses.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "backends/kubernetes/workload_kind.h"
#include "backends/kubernetes/yaml_json.h"
#include "samplers/sampler.h"
#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/options.h"
#include "sweeper/launch.h"
#include "sweeper/spec/study_parser.h"
#include "sweeper/study.h"

namespace gdsweep::cli {
namespace {

constexpr const char* kRenderUsage =
    "usage: gdsweep render STUDY.yaml [--trial N ...] [--set KEY=VALUE ...] [--tag TAG]\n"
    "                     [--db PATH]\n"
    "Prints the Kubernetes Job of trial N (default 0; repeat --trial for several) as YAML,\n"
    "exactly as `gdsweep run` would submit it, without contacting any cluster. A trial that\n"
    "is in the database is rendered with its stored parameters and attempt; one that is not\n"
    "yet with the parameters the study's sampler would propose from an empty history\n"
    "(reproducible when sampler.seed is set).";

// What the database knows of the study, if anything.
struct Stored {
  std::optional<StudyInfo> study;
  std::vector<TrialRecord> trials;
};

Result<Stored> ReadStored(const std::string& db, const std::string& study_name) {
  Stored stored;
  if (!std::filesystem::exists(db)) return stored;
  auto storage = OpenExisting(db);
  if (!storage) return storage.error();
  auto study = (*storage)->GetStudy(study_name);
  if (!study) {
    if (study.error().kind == Error::Kind::kNotFound) return stored;
    return study.error();
  }
  auto trials = (*storage)->ListTrials(study->study_id, TrialFilter{});
  if (!trials) return trials.error();
  stored.study = *study;
  stored.trials = std::move(*trials);
  return stored;
}

// Trials 0..max(numbers) as they are stored or, when not stored, sampled ahead
// from the history so far (RUNNING, as while a sweep runs).
Result<std::map<int64_t, TrialRecord>> TrialsToRender(const StudySpec& spec, const Stored& stored,
                                                      const std::vector<int64_t>& numbers,
                                                      std::vector<std::string>& notes) {
  std::map<int64_t, TrialRecord> out;
  std::vector<TrialRecord> history = stored.trials;
  const int64_t last = *std::max_element(numbers.begin(), numbers.end());
  std::unique_ptr<Sampler> sampler;
  uint64_t seed = spec.sampler.seed.value_or(stored.study ? stored.study->seed : 0);
  int64_t next_id = 1;
  for (const auto& t : stored.trials) next_id = std::max(next_id, t.trial_id + 1);
  for (int64_t n = 0; n <= last; ++n) {
    auto it = std::find_if(history.begin(), history.end(),
                           [&](const TrialRecord& t) { return t.number == n; });
    if (it == history.end()) {
      if (!sampler) {
        auto made = MakeSampler(spec.sampler, spec.space, seed);
        if (!made) return made.error();
        sampler = std::move(*made);
      }
      std::map<std::string, std::string> attrs;
      auto params = sampler->Sample(SampleRequest{spec.space, spec.objectives, history, n, &attrs});
      if (!params) return params.error();
      if (!*params) return Error::NotFound("the sampler has no trial " + std::to_string(n));
      TrialRecord t;
      t.number = n;
      t.trial_id = next_id++;
      t.params = **params;
      t.sampler_attrs = std::move(attrs);
      t.tag = spec.tag;
      history.push_back(t);
      it = history.end() - 1;
      if (std::find(numbers.begin(), numbers.end(), n) != numbers.end()) {
        notes.push_back("trial " + std::to_string(n) +
                        " is not in the database yet: parameters sampled ahead" +
                        (spec.sampler.seed ? "" : " (set sampler.seed to make them repeatable)") +
                        "; its trial id, and so the hash in the Job's name, is a guess");
      }
    }
    out[n] = *it;
  }
  return out;
}

}  // namespace

int RenderCommand(const Args& args) {
  po::options_description options("Options");
  options.add_options()("study-file", po::value<std::string>()->required(), "the study file")(
      "trial", po::value<std::vector<int64_t>>()->composing(), "a trial number (repeatable)")(
      "set", po::value<std::vector<std::string>>()->composing(), "override a key of the file")(
      "tag", po::value<std::string>(), "the sweep tag")(
      "db", po::value<std::string>()->default_value(""), DbHelp(true).c_str());
  po::positional_options_description positional;
  positional.add("study-file", 1);
  po::variables_map vm;
  if (auto code = ParseOptions(args, kRenderUsage, options, &positional, vm)) return *code;

  std::vector<SetOverride> sets = StudyOverrides(vm);
  auto spec = LoadStudyFile(vm["study-file"].as<std::string>(), sets);
  if (!spec) return Fail(spec.error());
  if (!spec->kubernetes) {
    return Fail(Error::Invalid(spec->source_path +
                               ": render prints Kubernetes Jobs, and this study has no "
                               "kubernetes section"));
  }
  if (spec->kubernetes->image.empty() && spec->kubernetes->job_template_path.empty() &&
      spec->kubernetes->kind != KubernetesSpec::Kind::kCustom) {  // its manifest has the image
    return Fail(Error::Invalid(spec->source_path +
                               ": kubernetes: missing required key 'image' (or give a "
                               "'job_template' file)"));
  }
  std::vector<int64_t> numbers = {0};
  if (vm.count("trial")) numbers = vm["trial"].as<std::vector<int64_t>>();
  for (int64_t n : numbers) {
    if (n < 0) return Fail(Error::Invalid("--trial: expected a trial number (0, 1, ...)"));
  }
  const std::string db = ResolveDbPath(vm["db"].as<std::string>(), spec->storage);
  auto stored = ReadStored(db, spec->name);
  if (!stored) return Fail(stored.error().Wrap(db));
  // The sampler `run` would use: a stored study keeps its own unless the file names one.
  spec->sampler = SamplerForStudy(spec->sampler, stored->study ? stored->study->spec_json : "");
  std::vector<std::string> notes;
  auto trials = TrialsToRender(*spec, *stored, numbers, notes);
  if (!trials) return Fail(trials.error());

  const std::string logs_root = LogsRootFor(db);
  const auto kind = MakeWorkloadKind(*spec->kubernetes);
  bool first = true;
  for (int64_t n : numbers) {
    const TrialRecord& trial = trials->at(n);
    const std::string dir =
        (std::filesystem::path(logs_root) / spec->name / ("trial-" + std::to_string(n))).string();
    auto launch = RenderLaunch(*spec, trial, dir);
    if (!launch) return Fail(launch.error());
    const std::string& ns = spec->kubernetes->namespace_;
    auto json = kind->Render(*launch, ParamsJson(spec->space, trial.params), ns);
    if (!json) return Fail(json.error());
    std::vector<std::string> objects = {*json};
    // Made once the resource exists, owned by it (its uid is not known here).
    for (const auto& c : kind->Companions(*launch, ns, "")) objects.push_back(c.manifest_json);
    for (size_t i = 0; i < objects.size(); ++i) {
      auto yaml = JsonToYaml(objects[i]);
      if (!yaml) return Fail(yaml.error());
      if (!first) std::fputs("---\n", stdout);
      first = false;
      std::printf("# gdsweep render: study %s, trial %lld, attempt %d\n", spec->name.c_str(),
                  static_cast<long long>(n), trial.attempt);
      if (i > 0) std::printf("# made once the trial's resource exists, owned by it\n");
      for (const auto& note : notes) {
        if (i == 0 && note.rfind("trial " + std::to_string(n) + " ", 0) == 0) {
          std::printf("# %s\n", note.c_str());
        }
      }
      std::fputs(yaml->c_str(), stdout);
    }
  }
  return kExitOk;
}

}  // namespace gdsweep::cli
