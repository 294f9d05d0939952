// gdsweep's own ask+tell through the Storage seam, one process, as Optuna's
// ask + suggest + tell loop in bench.py: per trial one Ask (a random point of
// x float [-5, 5], y int [-5, 5], inserted RUNNING) and one FinishTrial
// (COMPLETE, x*x + y). Prints "trials/s median_ms p95_ms" of the pair.
// usage: pg_ask_tell_bench DB N   (DB: a SQLite file or a postgresql:// URL)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "storage/storage.h"

using namespace gdsweep;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DB N\n", argv[0]);
    return 2;
  }
  const int n = std::atoi(argv[2]);
  auto storage = OpenStorage(argv[1]);  // SQLite: synchronous = FULL, as `gdsweep ask/tell`
  if (!storage) {
    std::fprintf(stderr, "%s\n", storage.error().message.c_str());
    return 1;
  }
  StudyRegistration reg;
  reg.name = "bench";
  reg.objectives = {{"loss", Direction::kMinimize}};
  reg.space = {{"x", FloatDistribution{-5, 5, false, std::nullopt}},
               {"y", IntDistribution{-5, 5, false, 1}}};
  auto study = (*storage)->OpenStudy(reg);
  if (!study) {
    std::fprintf(stderr, "%s\n", study.error().message.c_str());
    return 1;
  }
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> ux(-5, 5);
  std::uniform_int_distribution<int> uy(-5, 5);
  TrialHistory history;
  std::vector<double> latency_ms;
  latency_ms.reserve(static_cast<size_t>(n));
  const auto start = Clock::now();
  for (int t = 0; t < n; ++t) {
    const auto t0 = Clock::now();
    AskRequest req;
    req.study_id = study->study_id;
    req.tag = "bench";
    req.worker_id = "bench";
    req.refresh_history = false;  // a random sampler reads no history
    Params params;
    auto asked = (*storage)->Ask(req, history, [&](const TrialHistory&, int64_t) {
      params = {{"x", ux(rng)}, {"y", static_cast<double>(uy(rng))}};
      return Result<std::optional<Params>>(std::optional<Params>(params));
    });
    if (!asked || asked->kind != AskResult::Kind::kTrial) {
      std::fprintf(stderr, "ask: %s\n", asked ? "no trial" : asked.error().message.c_str());
      return 1;
    }
    TrialOutcome done;
    done.values = {params["x"] * params["x"] + params["y"]};
    if (auto s = (*storage)->FinishTrial(asked->trial.trial_id, done); !s) {
      std::fprintf(stderr, "tell: %s\n", s.error().message.c_str());
      return 1;
    }
    latency_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latency_ms.begin(), latency_ms.end());
  const double median = latency_ms[latency_ms.size() / 2];
  const double p95 = latency_ms[static_cast<size_t>(0.95 * double(latency_ms.size() - 1))];
  std::printf("%.1f %.3f %.3f\n", n / seconds, median, p95);
  return 0;
}
