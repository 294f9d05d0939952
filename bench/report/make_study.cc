// Writes a study of N trials x P parameters (and 3 workers, intermediate
// values on every tenth trial, 5% failures) into a fresh database through the
// Storage seam, for bench/report/run.sh to time `gdsweep report` on.
// usage: report_bench_study DB [N=10000] [P=10]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "storage/storage.h"

using namespace gdsweep;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DB [N] [P]\n", argv[0]);
    return 2;
  }
  const int n = argc > 2 ? std::atoi(argv[2]) : 10000;
  const int p = argc > 3 ? std::atoi(argv[3]) : 10;
  SqliteOptions options;
  options.path = argv[1];
  options.synchronous_full = false;
  auto storage = OpenSqliteStorage(options);
  if (!storage) {
    std::fprintf(stderr, "%s\n", storage.error().message.c_str());
    return 1;
  }
  StudyRegistration reg;
  reg.name = "bench";
  reg.objectives = {{"loss", Direction::kMinimize}};
  for (int i = 0; i < p; ++i) {
    Distribution d = FloatDistribution{1e-5, 1.0, i % 3 == 0};
    if (i % 3 == 1) d = IntDistribution{1, 64};
    if (i % 3 == 2)
      d = CategoricalDistribution{{std::string("a"), std::string("b"), std::string("c")}};
    reg.space.push_back({"p" + std::to_string(i), d});
  }
  auto study = (*storage)->OpenStudy(reg);
  if (!study) {
    std::fprintf(stderr, "%s\n", study.error().message.c_str());
    return 1;
  }
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0, 1);
  TrialHistory history;
  std::vector<std::pair<int64_t, TrialOutcome>> pending;
  for (int t = 0; t <= n; ++t) {
    AskRequest req;
    req.study_id = study->study_id;
    req.tag = "bench";
    req.worker_id = "worker-" + std::to_string(t % 3);
    req.n_trials = n;
    req.refresh_history = false;
    req.finish_first = std::move(pending);
    pending.clear();
    Params params;
    auto asked = (*storage)->Ask(req, history, [&](const TrialHistory&, int64_t) {
      params.clear();
      for (const auto& prm : reg.space) {
        double v = 0;
        if (const auto* f = std::get_if<FloatDistribution>(&prm.distribution)) {
          v = f->log ? std::exp(std::log(f->low) + u(rng) * (std::log(f->high) - std::log(f->low)))
                     : f->low + u(rng) * (f->high - f->low);
        } else if (const auto* i = std::get_if<IntDistribution>(&prm.distribution)) {
          v = static_cast<double>(i->low + static_cast<int64_t>(u(rng) * (i->high - i->low + 1)));
          v = std::min<double>(v, static_cast<double>(i->high));
        } else {
          v = std::floor(u(rng) * 3);
        }
        params[prm.name] = v;
      }
      return Result<std::optional<Params>>(std::optional<Params>(params));
    });
    if (!asked) {
      std::fprintf(stderr, "%s\n", asked.error().message.c_str());
      return 1;
    }
    if (asked->kind != AskResult::Kind::kTrial) break;
    TrialOutcome outcome;
    if (u(rng) < 0.05) {
      outcome.state = TrialState::kFail;
      outcome.failure_reason = "exit code 1";
    } else {
      const double loss = std::pow(std::log10(params["p0"]) + 2, 2) + 0.01 * params["p1"];
      outcome.values = {loss};
      if (t % 10 == 0) {
        for (int step = 1; step <= 5; ++step) outcome.intermediate[step] = loss + 1.0 / step;
      }
    }
    pending.emplace_back(asked->trial.trial_id, std::move(outcome));
  }
  if (auto s = (*storage)->Sync(); !s) return 1;
  std::printf("%d trials x %d params in %s\n", n, p, argv[1]);
  return 0;
}
