// StudySpec: a study file after parsing and validation. Plain structs, every
// field with its default; only the parser (sweeper/spec/) sees YAML.
// Everything downstream (engine, samplers, backends, tracker) reads these.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sweeper/model/kubernetes_spec.h"
#include "sweeper/model/point.h"
#include "sweeper/model/pruner_spec.h"
#include "sweeper/model/search_space.h"
#include "sweeper/model/tracking_spec.h"
#include "sweeper/model/trial.h"

namespace gdsweep {

struct Objective {
  std::string metric;  // the name the trial reports ("loss" in "loss=0.3")
  Direction direction = Direction::kMinimize;
  friend bool operator==(const Objective&, const Objective&) = default;
};

// Options of the TPE sampler, with Optuna's names and defaults.
struct TpeOptions {
  int n_startup_trials = 10;
  int n_ei_candidates = 24;
  bool multivariate = false;
  bool group = false;
  bool constant_liar = false;
  bool consider_prior = true;
  double prior_weight = 1.0;
  bool consider_magic_clip = true;
  bool consider_endpoints = false;
  // gamma(n) = min(ceil(gamma_fraction * n), gamma_cap); Optuna: 0.1 and 25.
  double gamma_fraction = 0.1;
  int gamma_cap = 25;
  // Set by the parser when the study names constraints: the split ranks
  // feasible trials first, as Optuna 3.1's constraints_func.
  bool constraints = false;
};

// Options of the CMA-ES sampler, with Optuna's CmaEsSampler names and
// defaults (restart_strategy "bipop" is Optuna 3.2's).
struct CmaEsOptions {
  std::optional<double> sigma0;  // none: a sixth of the box's narrowest side
  int n_startup_trials = 1;      // complete trials before CMA-ES; random until then
  std::string restart_strategy;  // "" (none), "ipop" or "bipop"
  int inc_popsize = 2;           // population multiplier per (large) restart
  std::optional<int> popsize;    // none: 4 + floor(3 ln n)
  bool use_separable_cma = false;
  bool with_margin = false;  // CMA-ES with margin for int and stepped parameters
  // The first mean, internal values by parameter; a missing one: the middle.
  std::map<std::string, double> x0;
};

// Options of the NSGA-II sampler, with Optuna 3.1's NSGAIISampler names and
// defaults.
struct Nsga2Options {
  int population_size = 50;
  std::optional<double> mutation_prob;  // none: 1 / the number of parameters
  // uniform, sbx, blxalpha, spx, undx or vsbx (numeric parameters;
  // categorical ones always cross uniformly).
  std::string crossover = "uniform";
  double crossover_prob = 0.9;
  double swapping_prob = 0.5;  // uniform crossover's per-parameter swap
};

// Options of the Gaussian-process sampler (`type: gp`), as Optuna 4's GPSampler.
struct GpOptions {
  int n_startup_trials = 10;  // quasi-random (scrambled Sobol) trials before the GP
  // True: the objective has no noise; the GP's noise term is fixed at its floor.
  bool deterministic_objective = false;
};

// Options of the quasi-random sampler (`type: qmc`). Optuna's QMCSampler
// defaults to scramble: false; gdsweep scrambles unless told not to, since the
// plain sequences start in a corner and are the same for every seed.
struct QmcOptions {
  std::string qmc_type = "sobol";  // "sobol" or "halton"
  bool scramble = true;            // seeded by the study's seed
};

struct SamplerSpec {
  // "random", "grid", "tpe", "cmaes", "nsga2", "qmc", "gp" or "auto". A study
  // file's default is the parser's (auto), not this one.
  std::string type = "tpe";
  // The study file chose `type`: it names sampler.type, or gives TPE's
  // options without one (tpe, as before auto was the default). When it did
  // not, a resumed study keeps the sampler recorded with it (Study::Open).
  bool type_given = false;
  std::optional<uint64_t> seed;  // none: a fresh random seed, stored with the study
  TpeOptions tpe;
  CmaEsOptions cmaes;
  Nsga2Options nsga2;
  GpOptions gp;
  QmcOptions qmc;
  // grid: explicit values per parameter, in the internal representation;
  // parameters without an entry use their distribution's own grid.
  std::map<std::string, std::vector<double>> grid_values;
};

struct BudgetSpec {
  std::optional<int64_t> n_trials;        // per study and sweep tag; none: until stopped
  int parallelism = 1;                    // trials running at once in this process
  std::optional<double> timeout_seconds;  // wall clock for this `gdsweep run`
};

// Where the objective values of a trial come from.
enum class ResultSource {
  kStdout,  // "name=value" lines on stdout (Katib's StdOut collector)
  kFile,    // a JSON object written to $GDSWEEP_RESULT_FILE
};

// How one trial is run: the command and its surroundings.
struct TrialSpec {
  // argv; entries may hold {param}, {trial.number}, {study.name}, {tag}, ...
  std::vector<std::string> command;
  bool hydra_overrides = false;            // append "name=value" per parameter to argv
  std::map<std::string, std::string> env;  // extra environment, placeholders allowed
  std::string working_dir;                 // empty: the current directory
  std::optional<double> timeout_seconds;   // per attempt
  // A pruned trial's time to end by itself after its prune file appears
  // (local) or its pods are told to stop (Kubernetes), before it is killed.
  double prune_grace_seconds = 10;
  int retries = 0;  // extra attempts after a failure
  ResultSource result_source = ResultSource::kStdout;
  // trial.resources.gpus: devices each local trial gets to itself, from the
  // local section's list (0: none, and CUDA_VISIBLE_DEVICES is empty).
  std::optional<int> gpus;
};

// The `local` section: what the local backend may hand out to trials.
struct LocalSpec {
  // GPU devices as CUDA_VISIBLE_DEVICES names them (indices or UUIDs), in the
  // order they are handed out; empty with gpus_auto: what `nvidia-smi -L`
  // lists when the run starts.
  std::vector<std::string> gpus;
  bool gpus_auto = false;
};

struct StudySpec {
  std::string source_path;  // the study file, for messages
  std::string name;
  std::string tag = "default";        // the sweep tag
  std::string storage;                // database path; empty: ./gdsweep.db
  std::vector<Objective> objectives;  // one or more
  // Metrics the trial reports as constraint values (feasible when all are
  // <= 0), stored as Optuna's "constraints" trial attribute; empty: none.
  std::vector<std::string> constraints;
  SearchSpace space;
  SamplerSpec sampler;
  PrunerSpec pruner;  // the `pruner` section; none: trials run to their end
  BudgetSpec budget;
  TrialSpec trial;
  std::string backend = "local";             // "local" or "kubernetes"
  std::optional<KubernetesSpec> kubernetes;  // the `kubernetes` section, if any
  std::optional<LocalSpec> local;            // the `local` section, if any
  std::optional<TrackingSpec> tracking;      // the `tracking` section; none: nothing is sent
  // The `enqueue` list: points (some parameters, or all) run before sampled
  // trials, each queued once per study (Storage::Enqueue, from_study_file).
  std::vector<Point> enqueue;
};

}  // namespace gdsweep
