// gdsweep sync: delivers the tracking reports still waiting in a database's
// outbox (the server was down, or a run ended before it was done) and lists
// what the server refused.
#include <spdlog/spdlog.h>

#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/options.h"
#include "sweeper/worker.h"
#include "tracking/mlflow_tracker.h"

namespace gdsweep::cli {
namespace {

constexpr const char* kSyncUsage =
    "usage: gdsweep sync [--db PATH] [--study NAME] [--tag TAG] [--retry-dead] [--timeout S]\n"
    "Delivers the tracking reports still pending in the database and lists those the\n"
    "server refused. Exit 0 when nothing is left (also when no study is tracked), 1\n"
    "when reports are still pending or were refused, 4 when --study or --tag names no\n"
    "tracked study.";

// One (study, tag) with a target: deliver until done, stopped, or out of time.
Result<DeliveryReport> SyncOne(Storage& storage, const StudyInfo& study, const std::string& tag,
                               const TrackingTarget& target, const std::string& owner,
                               std::chrono::steady_clock::time_point deadline) {
  auto tracker = MakeMlflowTracker(target);
  if (!tracker) return tracker.error();
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto report = (*tracker)->Deliver(storage, study, tag, owner,
                                      std::max(left, std::chrono::milliseconds(1000)));
    if (!report) return report;
    const bool more = report->pending > 0 && !report->stopped_by;
    if (!more || std::chrono::steady_clock::now() >= deadline) {
      (void)storage.ReleaseOutboxLease(study.study_id, tag, owner);
      return report;
    }
    // Another process holds the lease (a running sweep): it delivers them.
    if (report->lease_held_elsewhere) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

// Why nothing matched --study/--tag, plainly.
Error NothingTracked(const std::vector<StudySummary>& studies,
                     const std::vector<std::pair<int64_t, std::string>>& targets,
                     const std::string& want_study, const std::string& want_tag) {
  std::vector<const StudyInfo*> named;
  for (const auto& s : studies) {
    if (want_study.empty() || s.info.name == want_study) named.push_back(&s.info);
  }
  if (!want_study.empty() && named.empty()) {
    std::string names;
    for (const auto& s : studies) names += (names.empty() ? "" : ", ") + s.info.name;
    return Error::NotFound("no study '" + want_study + "' in this database" +
                           (names.empty() ? std::string() : " (studies: " + names + ")"));
  }
  std::string tags;  // the tracked tags of the named studies
  for (const auto& [id, tag] : targets) {
    for (const StudyInfo* s : named) {
      if (s->study_id == id) tags += (tags.empty() ? "" : ", ") + tag;
    }
  }
  if (!want_study.empty() && tags.empty()) return NotTracked(want_study);
  return Error::NotFound(
      "no tracked sweep tag '" + want_tag + "'" +
      (want_study.empty() ? std::string() : " in study '" + want_study + "'") +
      (tags.empty() ? " (no study in this database is tracked)" : " (tracked tags: " + tags + ")"));
}

}  // namespace

int SyncCommand(const Args& args) {
  po::options_description options("Options");
  options.add_options()("db", po::value<std::string>()->default_value(""), DbHelp().c_str())(
      "study", po::value<std::string>()->default_value(""), "only this study")(
      "tag", po::value<std::string>(), "only this sweep tag")(
      "retry-dead", po::bool_switch(), "send the reports the server refused once more")(
      "timeout", po::value<double>()->default_value(120), "give up after this many seconds");
  po::variables_map vm;
  if (auto code = ParseOptions(args, kSyncUsage, options, nullptr, vm)) return *code;

  auto storage = OpenExisting(ResolveDbPath(vm["db"].as<std::string>()), /*writable=*/true);
  if (!storage) return Fail(storage.error());
  auto targets = (*storage)->ListTrackingTargets();
  if (!targets) return Fail(targets.error());
  auto studies = (*storage)->ListStudies();
  if (!studies) return Fail(studies.error());
  const std::string want_study = vm["study"].as<std::string>();
  const std::string owner = "sync:" + ThisWorker(0).worker_id;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(vm["timeout"].as<double>()));

  int64_t left = 0;
  size_t matched = 0;
  for (const auto& [study_id, tag] : *targets) {
    const StudyInfo* study = nullptr;
    for (const auto& s : *studies) {
      if (s.info.study_id == study_id) study = &s.info;
    }
    if (!study || (!want_study.empty() && study->name != want_study)) continue;
    if (vm.count("tag") && vm["tag"].as<std::string>() != tag) continue;
    ++matched;
    auto target = (*storage)->GetTrackingTarget(study_id, tag);
    if (!target) return Fail(target.error());
    if (!*target) continue;
    if (vm["retry-dead"].as<bool>()) {
      auto revived = (*storage)->ReviveOutbox(study_id, tag);
      if (!revived) return Fail(revived.error());
      if (*revived > 0)
        spdlog::info("{}/{}: {} refused report(s) queued again", study->name, tag, *revived);
    }
    auto report = SyncOne(**storage, *study, tag, **target, owner, deadline);
    if (!report) return Fail(report.error());
    std::printf("%s/%s -> %s (experiment '%s'): %lld delivered, %lld pending, %lld refused\n",
                study->name.c_str(), tag.c_str(), (*target)->uri.c_str(),
                (*target)->experiment.c_str(), static_cast<long long>(report->delivered),
                static_cast<long long>(report->pending), static_cast<long long>(report->dead));
    if (report->pending > 0 && report->stopped_by) {
      std::printf("  not delivered: %s\n", report->stopped_by->message.c_str());
    }
    if (report->dead > 0) {
      auto dead = (*storage)->DeadOutbox(study_id, tag);
      if (!dead) return Fail(dead.error());
      for (const auto& m : *dead) {
        std::printf("  refused: trial %lld %s: %s\n", static_cast<long long>(m.trial_number),
                    ToString(m.kind), m.last_error.c_str());
      }
    }
    left += report->pending + report->dead;
  }
  if (matched == 0) {
    // Nothing asked for by name: nothing to deliver is no failure.
    if (want_study.empty() && !vm.count("tag")) {
      std::printf(
          "nothing to sync: no study in this database is tracked (none ran with a "
          "`tracking` section)\n");
      return kExitOk;
    }
    return Fail(NothingTracked(*studies, *targets, want_study,
                               vm.count("tag") ? vm["tag"].as<std::string>() : ""));
  }
  return left == 0 ? kExitOk : kExitFailure;
}

}  // namespace gdsweep::cli
