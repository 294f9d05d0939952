// Final regret (best value - known optimum) after --trials trials of each
// gdsweep sampler on each problem of bench/tpe/functions.h, --seeds seeds,
// asked and told one after the other through the Sampler seam. JSON lines:
//   {"side":"gdsweep","sampler":S,"problem":P,"seed":K,"regret":R,"ms_per_ask":M}
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/tpe/functions.h"
#include "samplers/sampler.h"

namespace gdsweep::bench {
namespace {

struct Entry {
  std::string label;
  SamplerSpec spec;
};

std::vector<Entry> Samplers() {
  std::vector<Entry> out;
  auto add = [&](const std::string& label, const std::string& type) {
    SamplerSpec s;
    s.type = type;
    out.push_back({label, s});
    return &out.back().spec;
  };
  add("random", "random");
  add("tpe", "tpe");
  add("cmaes", "cmaes");
  add("cmaes_margin", "cmaes")->cmaes.with_margin = true;
  add("cmaes_ipop", "cmaes")->cmaes.restart_strategy = "ipop";
  add("nsga2", "nsga2");
  add("auto", "auto");
  return out;
}

}  // namespace

int Main(int argc, char** argv) {
  int seeds = 30, trials = 100;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--seeds")) seeds = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--trials")) trials = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--samplers")) only = std::string(",") + argv[i + 1] + ",";
  }
  const std::vector<Objective> objectives = {{"value", Direction::kMinimize}};
  for (const Problem& problem : Problems()) {
    for (const Entry& e : Samplers()) {
      if (!only.empty() && only.find("," + e.label + ",") == std::string::npos) continue;
      for (int seed = 0; seed < seeds; ++seed) {
        auto sampler = MakeSampler(e.spec, problem.space, static_cast<uint64_t>(seed));
        if (!sampler) {
          std::fprintf(stderr, "%s: %s\n", e.label.c_str(), sampler.error().message.c_str());
          return 1;
        }
        std::vector<TrialRecord> history;
        double best = INFINITY, ask_ms = 0;
        for (int k = 0; k < trials; ++k) {
          std::map<std::string, std::string> attrs;
          const auto t0 = std::chrono::steady_clock::now();
          auto params = (*sampler)->Sample({problem.space, objectives, history, k, &attrs});
          ask_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                        .count();
          if (!params || !*params) return 1;
          TrialRecord t;
          t.trial_id = k + 1;  // unique, as storage gives them (TPE caches by id)
          t.number = k;
          t.params = **params;
          t.sampler_attrs = std::move(attrs);
          t.state = TrialState::kComplete;
          t.values = {problem.f(t.params)};
          best = std::min(best, t.values[0]);
          history.push_back(std::move(t));
        }
        std::printf(
            "{\"side\":\"gdsweep\",\"sampler\":\"%s\",\"problem\":\"%s\",\"seed\":%d,"
            "\"regret\":%.17g,\"ms_per_ask\":%.4f}\n",
            e.label.c_str(), problem.name.c_str(), seed, best - problem.optimum, ask_ms / trials);
      }
    }
  }
  return 0;
}

}  // namespace gdsweep::bench

int main(int argc, char** argv) { return gdsweep::bench::Main(argc, argv); }
