// bench/tpe: gdsweep's TPE in process, without storage. Two modes, JSON on
// stdout (report.py prints the tables):
//   tpe_bench quality [--seeds 20] [--trials 100] [--multivariate]
//       best-so-far after 25/50/100 trials on each problem of functions.h,
//       for TPE and for random search, one run per seed;
//   tpe_bench speed [--sizes 100,1000,10000] [--dims 2,10] [--asks 30]
//       wall time per ask+tell (Sample, then appending the finished trial)
//       on a history pre-filled with that many random COMPLETE trials.
// "Random search" is the TPE sampler with n_startup_trials above the budget:
// its startup draws, one seeding.h stream per parameter and trial.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/tpe/functions.h"
#include "samplers/seeding.h"
#include "samplers/tpe/tpe_sampler.h"

namespace gdsweep::bench {
namespace {

const std::vector<Objective> kObjectives = {{"value", Direction::kMinimize}};
const int kCheckpoints[] = {25, 50, 100};

std::vector<int> ParseList(const char* s) {
  std::vector<int> out;
  for (const char* p = s; *p;) {
    out.push_back(std::atoi(p));
    p = std::strchr(p, ',');
    if (!p) break;
    ++p;
  }
  return out;
}

// Best-so-far after each checkpoint of one run.
std::vector<double> Run(const Problem& problem, const TpeOptions& options, uint64_t seed,
                        int trials) {
  auto sampler = MakeTpeSampler(options, problem.space, seed);
  std::vector<TrialRecord> history;
  std::vector<double> out;
  double best = 1e300;
  for (int k = 0; k < trials; ++k) {
    auto params = sampler->Sample({problem.space, kObjectives, history, k});
    if (!params.ok() || !params->has_value()) {
      std::fprintf(stderr, "sample failed\n");
      std::exit(1);
    }
    TrialRecord t;
    t.trial_id = k + 1;
    t.number = k;
    t.state = TrialState::kComplete;
    t.params = std::move(**params);
    t.values = {problem.f(t.params)};
    best = std::min(best, t.values[0]);
    history.push_back(std::move(t));
    for (int c : kCheckpoints) {
      if (k + 1 == c) out.push_back(best);
    }
  }
  return out;
}

int Quality(int seeds, int trials, bool multivariate) {
  TpeOptions tpe;
  tpe.multivariate = multivariate;
  TpeOptions random;
  random.n_startup_trials = trials + 1;
  auto started = std::chrono::steady_clock::now();
  std::printf("{\"kind\": \"quality\", \"impl\": \"gdsweep\", \"multivariate\": %s,\n",
              multivariate ? "true" : "false");
  std::printf(" \"checkpoints\": [25, 50, 100], \"seeds\": %d, \"runs\": {\n", seeds);
  auto problems = Problems();
  for (size_t i = 0; i < problems.size(); ++i) {
    std::printf("  \"%s\": {", problems[i].name.c_str());
    for (int which = 0; which < 2; ++which) {
      std::printf("%s\"%s\": [", which ? ", " : "", which ? "random" : "tpe");
      for (int s = 0; s < seeds; ++s) {
        auto best = Run(problems[i], which ? random : tpe, static_cast<uint64_t>(s), trials);
        std::printf("%s[", s ? ", " : "");
        for (size_t c = 0; c < best.size(); ++c) std::printf("%s%.17g", c ? ", " : "", best[c]);
        std::printf("]");
      }
      std::printf("]");
    }
    std::printf("}%s\n", i + 1 < problems.size() ? "," : "");
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(" }, \"seconds\": %.3f}\n", seconds);
  return 0;
}

double Sphere(const Params& p) {
  double s = 0;
  for (const auto& [name, v] : p) s += v * v;
  return s;
}

int Speed(const std::vector<int>& sizes, const std::vector<int>& dims, int asks,
          bool multivariate) {
  using Clock = std::chrono::steady_clock;
  std::printf("{\"kind\": \"speed\", \"impl\": \"gdsweep\", \"multivariate\": %s, \"rows\": [\n",
              multivariate ? "true" : "false");
  bool first_row = true;
  for (int d : dims) {
    for (int n : sizes) {
      SearchSpace space = Box(d, -5, 5);
      Rng rng(12345);
      std::vector<TrialRecord> history;
      history.reserve(static_cast<size_t>(n + asks + 1));
      for (int k = 0; k < n; ++k) {
        TrialRecord t;
        t.trial_id = k + 1;
        t.number = k;
        t.state = TrialState::kComplete;
        for (const auto& p : space) t.params[p.name] = -5 + 10 * UniformDouble(rng);
        t.values = {Sphere(t.params)};
        history.push_back(std::move(t));
      }
      TpeOptions options;
      options.multivariate = multivariate;
      auto sampler = MakeTpeSampler(options, space, 1);
      std::vector<double> ms;
      for (int a = 0; a <= asks; ++a) {  // ask 0: the cold call that fills the cache
        const int64_t k = static_cast<int64_t>(history.size());
        auto t0 = Clock::now();
        auto params = sampler->Sample({space, kObjectives, history, k});
        TrialRecord t;
        t.trial_id = k + 1;
        t.number = k;
        t.state = TrialState::kComplete;
        t.params = std::move(**params);
        t.values = {Sphere(t.params)};
        history.push_back(std::move(t));
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
      const double cold = ms[0];
      ms.erase(ms.begin());
      std::sort(ms.begin(), ms.end());
      double mean = 0;
      for (double v : ms) mean += v / static_cast<double>(ms.size());
      std::printf(
          "%s  {\"n\": %d, \"dims\": %d, \"asks\": %d, \"ms_median\": %.6f, "
          "\"ms_mean\": %.6f, \"ms_min\": %.6f, \"ms_cold\": %.6f}",
          first_row ? "" : ",\n", n, d, asks, ms[ms.size() / 2], mean, ms[0], cold);
      std::fflush(stdout);
      first_row = false;
    }
  }
  std::printf("\n]}\n");
  return 0;
}

}  // namespace
}  // namespace gdsweep::bench

int main(int argc, char** argv) {
  using namespace gdsweep::bench;
  if (argc < 2) {
    std::fprintf(stderr, "usage: tpe_bench quality|speed [options]\n");
    return 2;
  }
  const std::string mode = argv[1];
  int seeds = 20, trials = 100, asks = 30;
  bool multivariate = false;
  std::vector<int> sizes = {100, 1000, 10000}, dims = {2, 10};
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : "";
    if (a == "--multivariate") {
      multivariate = true;
      continue;
    }
    ++i;  // every other option takes a value
    if (a == "--seeds") {
      seeds = std::atoi(v);
    } else if (a == "--trials") {
      trials = std::atoi(v);
    } else if (a == "--asks") {
      asks = std::atoi(v);
    } else if (a == "--sizes") {
      sizes = ParseList(v);
    } else if (a == "--dims") {
      dims = ParseList(v);
    } else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (mode == "quality") return Quality(seeds, trials, multivariate);
  if (mode == "speed") return Speed(sizes, dims, asks, multivariate);
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
