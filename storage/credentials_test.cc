// No stored row carries a credential: text that may quote a server's answer (a
// failure reason, a delivery error) is redacted as it is written.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>

#include "storage/test_support.h"

namespace gdsweep {
namespace {

using testing::OpenOrDie;
using testing::TempDir;

// Every byte of the database and its write-ahead log.
std::string DatabaseBytes(const std::string& path) {
  std::string all;
  for (const std::string& file : {path, path + "-wal"}) {
    std::ifstream in(file, std::ios::binary);
    all.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return all;
}

TEST_CASE(
    "issue 11.13: a failure reason and a delivery error quoting credentials are stored redacted") {
  TempDir dir;
  auto path = dir.File("db.sqlite");
  auto s = OpenOrDie(path);
  const int64_t study_id = testing::OpenTrackedStudy(*s, "x");
  TrialHistory h;
  auto trial = testing::AskOne(*s, testing::Request(study_id, "x"), h);
  // A Kubernetes proxy's answer that became the trial's failure reason.
  REQUIRE(s->FinishTrial(trial.trial_id,
                         testing::Failed("creating Job: 502 from proxy: Authorization: Bearer "
                                         "sa-tok-9f8e7d6c5b4a",
                                         TrialOutcome::Requeue::kNo))
              .ok());
  auto claimed = s->ClaimOutbox(study_id, "x", "w1", 30, 10);
  REQUIRE(claimed.ok());
  REQUIRE_FALSE(claimed->empty());
  OutboxUpdate update;
  update.failed.push_back({claimed->front().id,
                           "refused; echoed {\"Authorization\": \"Basic YWxpY2U6c2VjcmV0LXB3\"}",
                           true});
  REQUIRE(s->SettleOutbox(study_id, "x", update).ok());

  const std::string bytes = DatabaseBytes(path);
  CHECK(bytes.find("sa-tok-9f8e7d6c5b4a") == std::string::npos);
  CHECK(bytes.find("YWxpY2U6c2VjcmV0LXB3") == std::string::npos);
  // What was stored is still there, masked.
  CHECK(testing::Rows(path, "SELECT failure_reason FROM gdsweep_trials") ==
        std::vector<std::string>{"creating Job: 502 from proxy: Authorization: ***"});
  CHECK(testing::Rows(path, "SELECT last_error FROM gdsweep_tracking_outbox WHERE dead = 1") ==
        std::vector<std::string>{"refused; echoed {\"Authorization\": \"***\"}"});
}

}  // namespace
}  // namespace gdsweep
