// bench/samplers: every gdsweep sampler on the problems of bench/tpe/
// functions.h, in process. Modes (JSON on stdout; run.sh drives them):
//   sampler_bench quality --samplers gp,qmc,tpe,random [--seeds 30]
//                 [--first-seed 0] [--trials 100] [--problems a,b]
//       one JSON line per (sampler, problem, seed): the final regret, the
//       noiseless value of the trial with the best observed value minus the
//       known optimum; any type MakeSampler knows can be listed, and the
//       CMA-ES variants cmaes_margin and cmaes_ipop; seeds first-seed ..
//       first-seed + seeds - 1;
//   sampler_bench spaces
//       each problem's search space (Optuna's distribution JSON), so that
//       optuna_side.py builds the same problems;
//   sampler_bench eval
//       reads "problem seed number v1 .. vk" lines (internal values in space
//       order), prints "observed true" per line: the functions are defined
//       once, here, and the noise of trial `number` of seed `seed` is the
//       same for every implementation;
//   sampler_bench latency --sampler gp [--sizes 200,1000,3000] [--dims 10]
//                 [--asks 10]
//       median and max ms per Sample() after a history of that many random
//       COMPLETE trials, each proposal then completed and added to the history
//       with the attributes the sampler stored (as a study goes on), and the
//       process's peak RSS after each size.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "bench/tpe/functions.h"
#include "samplers/random_sampler.h"
#include "samplers/sampler.h"
#include "samplers/seeding.h"

namespace gdsweep::bench {
namespace {

const std::vector<Objective> kObjectives = {{"value", Direction::kMinimize}};

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::vector<Problem> AllProblems() {
  auto out = Problems();
  for (auto& p : MoreProblems()) out.push_back(std::move(p));
  return out;
}

// A standard normal draw from two uniforms (Box-Muller): portable, unlike
// std::normal_distribution.
double Normal(Rng& rng) {
  const double u1 = std::max(UniformDouble(rng), 1e-300), u2 = UniformDouble(rng);
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
}

// The observed value of trial `number` of a run seeded `seed`.
double Observe(const Problem& p, double truth, uint64_t seed, int64_t number) {
  if (p.noise_sd == 0) return truth;
  Rng rng = MakeRng(seed ^ 0x5eed, number, StreamId(p.name));
  return truth + p.noise_sd * Normal(rng);
}

std::string Get(int argc, char** argv, const char* flag, const char* fallback) {
  for (int i = 2; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], flag) == 0) return argv[i + 1];
  }
  return fallback;
}

// The sampler a --samplers label names: any type MakeSampler knows, or one
// of the CMA-ES variants cmaes_margin (margin for ints and steps) and
// cmaes_ipop (IPOP restarts).
SamplerSpec SpecOf(const std::string& label) {
  SamplerSpec spec;
  spec.type = label;
  if (label == "cmaes_margin") {
    spec.type = "cmaes";
    spec.cmaes.with_margin = true;
  } else if (label == "cmaes_ipop") {
    spec.type = "cmaes";
    spec.cmaes.restart_strategy = "ipop";
  }
  return spec;
}

int Quality(int argc, char** argv) {
  const auto samplers = Split(Get(argc, argv, "--samplers", "gp,qmc,tpe,random"));
  const int first_seed = std::atoi(Get(argc, argv, "--first-seed", "0").c_str());
  const int seeds = std::atoi(Get(argc, argv, "--seeds", "30").c_str());
  const int trials = std::atoi(Get(argc, argv, "--trials", "100").c_str());
  const auto only = Split(Get(argc, argv, "--problems", ""));
  for (const auto& problem : AllProblems()) {
    if (!only.empty() && std::find(only.begin(), only.end(), problem.name) == only.end()) continue;
    for (const auto& type : samplers) {
      for (int seed = first_seed; seed < first_seed + seeds; ++seed) {
        auto sampler = MakeSampler(SpecOf(type), problem.space, static_cast<uint64_t>(seed));
        if (!sampler) {
          std::fprintf(stderr, "%s: %s\n", type.c_str(), sampler.error().message.c_str());
          return 1;
        }
        std::vector<TrialRecord> history;
        double best_observed = INFINITY, regret = INFINITY;
        const auto start = std::chrono::steady_clock::now();
        for (int k = 0; k < trials; ++k) {
          std::map<std::string, std::string> attrs;  // NSGA-II's generation, CMA-ES's state
          auto params = (*sampler)->Sample({problem.space, kObjectives, history, k, &attrs});
          if (!params.ok() || !params->has_value()) {
            std::fprintf(stderr, "%s on %s: sample failed\n", type.c_str(), problem.name.c_str());
            return 1;
          }
          TrialRecord t;
          t.trial_id = k + 1;
          t.number = k;
          t.state = TrialState::kComplete;
          t.params = std::move(**params);
          t.sampler_attrs = std::move(attrs);
          const double truth = problem.f(t.params);
          const double observed = Observe(problem, truth, static_cast<uint64_t>(seed), k);
          t.values = {observed};
          if (observed < best_observed) {
            best_observed = observed;
            regret = truth - problem.optimum;
          }
          history.push_back(std::move(t));
        }
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf(
            "{\"impl\": \"gdsweep\", \"sampler\": \"%s\", \"problem\": \"%s\", \"seed\": %d, "
            "\"regret\": %.17g, \"seconds\": %.4f}\n",
            type.c_str(), problem.name.c_str(), seed, regret, seconds);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}

int Spaces() {
  std::printf("{");
  bool first_problem = true;
  for (const auto& problem : AllProblems()) {
    std::printf("%s\"%s\": {\"noise_sd\": %.17g, \"optimum\": %.17g, \"params\": [",
                first_problem ? "" : ", ", problem.name.c_str(), problem.noise_sd, problem.optimum);
    first_problem = false;
    for (size_t i = 0; i < problem.space.size(); ++i) {
      std::printf("%s[\"%s\", %s]", i ? ", " : "", problem.space[i].name.c_str(),
                  ToOptunaJson(problem.space[i].distribution).c_str());
    }
    std::printf("]}");
  }
  std::printf("}\n");
  return 0;
}

int Eval() {
  const auto problems = AllProblems();
  for (std::string line; std::getline(std::cin, line);) {
    std::istringstream in(line);
    std::string name;
    uint64_t seed = 0;
    int64_t number = 0;
    in >> name >> seed >> number;
    auto it = std::find_if(problems.begin(), problems.end(),
                           [&](const Problem& p) { return p.name == name; });
    if (it == problems.end()) {
      std::fprintf(stderr, "no problem %s\n", name.c_str());
      return 1;
    }
    Params params;
    for (const auto& p : it->space) in >> params[p.name];
    const double truth = it->f(params);
    std::printf("%.17g %.17g\n", Observe(*it, truth, seed, number), truth);
    std::fflush(stdout);
  }
  return 0;
}

// CPU time of this process: on a loaded machine the wall time of a
// suggestion says more about the other processes than about the sampler.
double CpuMs() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

long PeakRssKb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

int Latency(int argc, char** argv) {
  const std::string type = Get(argc, argv, "--sampler", "gp");
  const int dims = std::atoi(Get(argc, argv, "--dims", "10").c_str());
  const int asks = std::atoi(Get(argc, argv, "--asks", "10").c_str());
  const SearchSpace space = Box(dims, -5, 5);
  std::printf("[");
  bool first = true;
  for (const auto& size_text : Split(Get(argc, argv, "--sizes", "200,1000,3000"))) {
    const int size = std::atoi(size_text.c_str());
    std::vector<TrialRecord> history;
    auto add = [&](int k, Params params, std::map<std::string, std::string> attrs) {
      TrialRecord t;
      t.number = k;
      t.state = TrialState::kComplete;
      t.params = std::move(params);
      t.sampler_attrs = std::move(attrs);
      double v = 0;
      for (const auto& [name, x] : t.params) v += x * x + 3 * std::sin(x);
      t.values = {v};
      history.push_back(std::move(t));
    };
    for (int k = 0; k < size; ++k) {
      Params params;
      for (const auto& p : space) {
        Rng rng = MakeRng(99, k, StreamId(p.name));
        params[p.name] = SampleUniform(p.distribution, rng);
      }
      add(k, std::move(params), {});
    }
    SamplerSpec spec;
    spec.type = type;
    auto sampler = MakeSampler(spec, space, 1);
    if (!sampler) {
      std::fprintf(stderr, "%s\n", sampler.error().message.c_str());
      return 1;
    }
    std::vector<double> ms, cpu_ms;
    for (int a = 0; a < asks; ++a) {
      const auto start = std::chrono::steady_clock::now();
      const double cpu_start = CpuMs();
      std::map<std::string, std::string> attrs;
      auto params = (*sampler)->Sample({space, kObjectives, history, size + a, &attrs});
      cpu_ms.push_back(CpuMs() - cpu_start);
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
      if (!params.ok() || !*params) return 1;
      // The study goes on: the proposal completes before the next ask, with
      // what the sampler stored with it (gp's kernel memory).
      add(size + a, std::move(**params), std::move(attrs));
    }
    std::sort(ms.begin(), ms.end());
    std::sort(cpu_ms.begin(), cpu_ms.end());
    std::printf(
        "%s{\"sampler\": \"%s\", \"trials\": %d, \"dims\": %d, \"median_ms\": %.3f, "
        "\"max_ms\": %.3f, \"median_cpu_ms\": %.3f, \"peak_rss_kb\": %ld}",
        first ? "" : ", ", type.c_str(), size, dims, ms[ms.size() / 2], ms.back(),
        cpu_ms[cpu_ms.size() / 2], PeakRssKb());
    first = false;
    std::fflush(stdout);
  }
  std::printf("]\n");
  return 0;
}

}  // namespace
}  // namespace gdsweep::bench

int main(int argc, char** argv) {
  using namespace gdsweep::bench;
  const std::string mode = argc > 1 ? argv[1] : "";
  // The samplers' log (auto's choices, CMA-ES's warnings) on stderr: stdout is JSON.
  spdlog::set_default_logger(spdlog::stderr_logger_st("sampler_bench"));
  spdlog::set_level(spdlog::level::warn);
  if (mode == "quality") return Quality(argc, argv);
  if (mode == "spaces") return Spaces();
  if (mode == "eval") return Eval();
  if (mode == "latency") return Latency(argc, argv);
  std::fprintf(stderr,
               "usage: sampler_bench quality|spaces|eval|latency [flags] (see the source)\n");
  return 2;
}
