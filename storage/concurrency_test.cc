// Several processes on one file: forked children each open their own
// storage, ask and finish trials against one small budget; and children that
// die in the middle of an Ask leave nothing behind.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <set>

#include "storage/storage.h"
#include "storage/test_support.h"

namespace gdsweep {
namespace {

using testing::Rows;
using testing::TempDir;

// The child's work: ask until the budget is used, fail every fifth fresh
// trial once (queued for retry), complete the rest. Exit code 0 if every call
// succeeded.
[[noreturn]] void Worker(const std::string& path, int id, int64_t budget, int start_fd) {
  char go;
  (void)!read(start_fd, &go, 1);  // returns when the parent closes its end: all start at once
  auto opened = testing::OpenTestStorage(path);
  if (!opened) {
    std::fprintf(stderr, "child %d: open: %s\n", id, opened.error().message.c_str());
    _exit(1);
  }
  auto& s = **opened;
  auto study = s.OpenStudy(testing::SmallStudy());
  if (!study) {
    std::fprintf(stderr, "child %d: open study: %s\n", id, study.error().message.c_str());
    _exit(1);
  }
  TrialHistory h;
  auto req = testing::Request(study->study_id, "race", budget, "w" + std::to_string(id));
  while (true) {
    auto asked = s.Ask(req, h, testing::FixedSample());
    if (!asked) {
      std::fprintf(stderr, "child %d: ask: %s\n", id, asked.error().message.c_str());
      _exit(1);
    }
    if (asked->kind != AskResult::Kind::kTrial) _exit(0);
    const auto& t = asked->trial;
    usleep(2000);  // "runs" the trial, letting the other processes in
    TrialOutcome o;
    if (t.number % 5 == 0 && t.attempt == 1) {
      o.state = TrialState::kFail;
      o.failure_reason = "flaky";
      o.requeue = TrialOutcome::Requeue::kRetry;
    } else {
      o.values = {double(t.number)};
    }
    if (auto f = s.FinishTrial(t.trial_id, o); !f) {
      std::fprintf(stderr, "child %d: finish: %s\n", id, f.error().message.c_str());
      _exit(1);
    }
  }
}

TEST_CASE("processes sharing a file get unique numbers and exactly the budget") {
  TempDir dir;
  const auto path = testing::TestDatabase(dir, "shared");
  constexpr int kProcesses = 8;
  constexpr int64_t kBudget = 60;
  int start[2];
  REQUIRE(pipe(start) == 0);
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {  // no parent connection is open across fork()
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(start[1]);
      Worker(path, i, kBudget, start[0]);
    }
    children.push_back(pid);
  }
  close(start[0]);
  close(start[1]);
  for (pid_t pid : children) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  CHECK(Rows(path, "SELECT count(*) FROM studies") == std::vector<std::string>{"1"});
  CHECK(Rows(path, "SELECT count(*) FROM gdsweep_trials WHERE retry_of IS NULL") ==
        std::vector<std::string>{std::to_string(kBudget)});
  auto numbers = Rows(path, "SELECT number FROM trials ORDER BY number");
  const auto total = numbers.size();
  CHECK(total > size_t(kBudget));  // the retries
  for (size_t i = 0; i < total; ++i) CHECK(numbers[i] == std::to_string(i));
  CHECK(Rows(path, "SELECT state, count(*) FROM trials GROUP BY state ORDER BY state") ==
        std::vector<std::string>{"COMPLETE|" + std::to_string(kBudget),
                                 "FAIL|" + std::to_string(total - size_t(kBudget))});
  // Every failure was retried exactly once, by a trial holding its params.
  CHECK(Rows(path,
             "SELECT count(*) FROM gdsweep_trials f JOIN gdsweep_trials r "
             "ON r.retry_of = f.number WHERE f.failure_reason = 'flaky'") ==
        std::vector<std::string>{std::to_string(total - size_t(kBudget))});
  // The work was shared.
  auto workers = Rows(path, "SELECT count(DISTINCT worker_id) FROM gdsweep_trials");
  REQUIRE(workers.size() == 1);
  CHECK(std::stoi(workers[0]) >= 3);
}

// Forks a child that opens the file and asks with `sample` and `log_path_for`;
// returns its exit status.
int AskInChild(const std::string& path, int64_t study_id, const SampleFn& sample,
               std::function<std::string(int64_t)> log_path_for) {
  pid_t pid = fork();
  if (pid == 0) {
    auto s = testing::OpenTestStorage(path);
    if (!s) _exit(1);
    TrialHistory h;
    auto req = testing::Request(study_id, "x");
    req.log_path_for = std::move(log_path_for);
    auto r = (*s)->Ask(req, h, sample);
    _exit(r.ok() ? 0 : 2);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_CASE("a process that dies inside Ask leaves no partial trial and no lock") {
  TempDir dir;
  const auto path = testing::TestDatabase(dir, "crash");
  int64_t study_id = 0;
  {
    auto s = testing::OpenOrDie(path);
    auto study = s->OpenStudy(testing::SmallStudy());
    REQUIRE(study.ok());
    study_id = study->study_id;
  }
  // Dies while sampling, holding the write lock.
  CHECK(AskInChild(
            path, study_id,
            [](const TrialHistory&, int64_t) -> Result<std::optional<Params>> { _exit(3); },
            nullptr) == 3);
  // Dies after the trial and its params were inserted, before the commit.
  CHECK(AskInChild(path, study_id, testing::FixedSample(),
                   [](int64_t) -> std::string { _exit(4); }) == 4);
  // A sampler that fails returns an error; nothing is written either.
  CHECK(AskInChild(
            path, study_id,
            [](const TrialHistory&, int64_t) -> Result<std::optional<Params>> {
              return Error::Internal("no");
            },
            nullptr) == 2);
  for (const char* table : {"trials", "trial_params", "gdsweep_trials"}) {
    CAPTURE(table);
    CHECK(Rows(path, std::string("SELECT count(*) FROM ") + table) ==
          std::vector<std::string>{"0"});
  }
  CHECK(AskInChild(path, study_id, testing::FixedSample(), nullptr) == 0);
  CHECK(Rows(path, "SELECT number, state FROM trials") == std::vector<std::string>{"0|RUNNING"});
}

}  // namespace
}  // namespace gdsweep
