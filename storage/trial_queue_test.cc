// The trial queue: points queued as Optuna's enqueue_trial queues them run
// before sampled trials, each claimed by exactly one worker (several
// processes), with missing parameters drawn from the sampler; trials Optuna
// queued are claimed too, and Optuna's optimize runs gdsweep's.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "storage/storage.h"
#include "storage/test_support.h"

namespace gdsweep {
namespace {

using testing::OpenOrDie;
using testing::Request;
using testing::Rows;
using testing::TempDir;

Point P(std::initializer_list<std::pair<const std::string, Choice>> values) {
  return Point(values);
}

EnqueueRequest Queue(int64_t study_id, std::vector<Point> points, const std::string& tag = "t") {
  EnqueueRequest r;
  r.study_id = study_id;
  r.tag = tag;
  r.points = std::move(points);
  return r;
}

// A sampler that marks what it drew: lr 0.5, layers 7, opt sgd.
SampleFn Marked() {
  return [](const TrialHistory&, int64_t) -> Result<std::optional<Params>> {
    return std::optional<Params>(Params{{"lr", 0.5}, {"layers", 7}, {"opt", 1}});
  };
}

SampleFn Nothing() {
  return [](const TrialHistory&, int64_t) -> Result<std::optional<Params>> {
    return std::optional<Params>();
  };
}

// A fresh database at `path` with testing::SmallStudy() (or `reg`) open.
struct QueueTest {
  explicit QueueTest(const StudyRegistration& reg = testing::SmallStudy())
      : path(testing::TestDatabase(dir, "q")), s(OpenOrDie(path)) {
    auto study = s->OpenStudy(reg);
    REQUIRE(study.ok());
    study_id = study->study_id;
  }
  TempDir dir;
  std::string path;
  std::unique_ptr<Storage> s;
  int64_t study_id = 0;
};

TEST_CASE_FIXTURE(QueueTest,
                  "queued points run first, in order, the sampler filling what a point lacks") {
  auto queued =
      s->Enqueue(Queue(study_id, {P({{"lr", 0.01}, {"layers", int64_t{3}}, {"opt", "adam"}}),
                                  P({{"layers", int64_t{2}}})}));
  REQUIRE_MESSAGE(queued.ok(), (queued.ok() ? "" : queued.error().message));
  CHECK(queued->numbers == std::vector<int64_t>{0, 1});
  // Stored as Optuna's enqueue_trial stores them: WAITING, no params, fixed_params.
  CHECK(Rows(path, "SELECT number, state FROM trials ORDER BY number") ==
        std::vector<std::string>{"0|WAITING", "1|WAITING"});
  CHECK(Rows(path, "SELECT count(*) FROM trial_params") == std::vector<std::string>{"0"});
  CHECK(Rows(path,
             "SELECT value_json FROM trial_system_attributes WHERE \"key\" = "
             "'fixed_params' ORDER BY trial_id") ==
        std::vector<std::string>{R"({"layers":3,"lr":0.01,"opt":"adam"})", R"({"layers":2})"});
  // They count toward the tag's budget as Optuna's n_trials counts them.
  CHECK(Rows(path, "SELECT tag, fresh_trials FROM gdsweep_sweeps") ==
        std::vector<std::string>{"t|2"});

  TrialHistory h;
  auto first = s->Ask(Request(study_id, "t", 3), h, Marked());
  REQUIRE(first.ok());
  REQUIRE(first->kind == AskResult::Kind::kTrial);
  CHECK(first->trial.number == 0);
  CHECK(first->trial.params == Params{{"lr", 0.01}, {"layers", 3}, {"opt", 0}});
  auto second = s->Ask(Request(study_id, "t", 3), h, Marked());
  REQUIRE(second.ok());
  CHECK(second->trial.number == 1);
  CHECK(second->trial.params == Params{{"lr", 0.5}, {"layers", 2}, {"opt", 1}});
  CHECK(second->trial.tag == "t");
  auto third = s->Ask(Request(study_id, "t", 3), h, Marked());
  REQUIRE(third.ok());
  CHECK(third->trial.number == 2);  // sampled
  auto done = s->Ask(Request(study_id, "t", 3), h, Marked());
  REQUIRE(done.ok());
  CHECK(done->kind == AskResult::Kind::kBudgetExhausted);
}

TEST_CASE_FIXTURE(QueueTest,
                  "a point outside the space is refused with its key and nothing is queued") {
  auto bad = s->Enqueue(Queue(study_id, {P({{"lr", 0.01}}), P({{"lr", 5.0}})}));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().kind == Error::Kind::kInvalidInput);
  CHECK(bad.error().message.find("point 2: lr: 5.0 is outside") != std::string::npos);
  auto unknown = s->Enqueue(Queue(study_id, {P({{"momentum", 0.9}})}));
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message.find("momentum: not a parameter") != std::string::npos);
  auto choice = s->Enqueue(Queue(study_id, {P({{"opt", "rmsprop"}})}));
  REQUIRE_FALSE(choice.ok());
  CHECK(choice.error().message.find("not one of the choices") != std::string::npos);
  // The first, valid point of the refused request was not kept either.
  CHECK(Rows(path, "SELECT count(*) FROM trials") == std::vector<std::string>{"0"});
  CHECK(Rows(path, "SELECT count(*) FROM gdsweep_sweeps") == std::vector<std::string>{"0"});
}

TEST_CASE_FIXTURE(QueueTest, "skip_if_exists skips a point a trial has, as Optuna compares them") {
  TrialHistory h;
  auto ran = testing::AskOne(*s, Request(study_id, "t"), h);  // lr 0.01, layers 1, adam
  auto req = Queue(
      study_id,
      {P({{"lr", 0.0100000001}, {"layers", int64_t{1}}, {"opt", "adam"}}),  // the same to 1e-5
       P({{"lr", 0.01}}),    // other keys: not the same
       P({{"lr", 0.01}})});  // the one just queued
  req.skip_if_exists = true;
  auto queued = s->Enqueue(req);
  REQUIRE(queued.ok());
  CHECK(queued->skipped == std::vector<size_t>{0, 2});
  CHECK(queued->numbers == std::vector<int64_t>{1});
  req.skip_if_exists = false;
  auto again = s->Enqueue(req);
  REQUIRE(again.ok());
  CHECK(again->numbers.size() == 3);
}

TEST_CASE_FIXTURE(QueueTest,
                  "the study file's list is queued once per study; an added point is queued") {
  auto req = Queue(study_id, {P({{"lr", 0.01}}), P({{"layers", int64_t{4}}})});
  req.from_study_file = true;
  REQUIRE(s->Enqueue(req).ok());
  TrialHistory h;
  testing::AskOne(*s, Request(study_id, "t"), h);  // the first one ran
  req.points.push_back(P({{"opt", "sgd"}}));
  auto second = s->Enqueue(req);
  REQUIRE(second.ok());
  CHECK(second->skipped == std::vector<size_t>{0, 1});
  CHECK(second->numbers == std::vector<int64_t>{2});
  CHECK(Rows(path, "SELECT number, queued_point FROM gdsweep_trials ORDER BY number") ==
        std::vector<std::string>{R"(0|{"lr":0.01})", R"(1|{"layers":4})", R"(2|{"opt":"sgd"})"});
}

// Inserts what optuna's enqueue_trial writes, with no gdsweep row.
void EnqueueAsOptuna(const std::string& path, int64_t study_id, int64_t number,
                     const std::string& fixed) {
  std::string error;
  auto db = testing::OpenRawDatabase(path, /*read_only=*/false, &error);
  REQUIRE_MESSAGE(db != nullptr, error);
  auto s = db->Exec("INSERT INTO trials (number, study_id, state) VALUES (" +
                    std::to_string(number) + ", " + std::to_string(study_id) +
                    ", 'WAITING'); INSERT INTO trial_system_attributes (trial_id, \"key\", "
                    "value_json) VALUES ((SELECT max(trial_id) FROM trials), 'fixed_params', '" +
                    fixed + "')");
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
}

TEST_CASE_FIXTURE(
    QueueTest,
    "regression: a trial Optuna enqueued (no gdsweep tag) is claimed, not left waiting forever") {
  EnqueueAsOptuna(path, study_id, 0, R"({"lr": 5.0})");  // outside the space
  EnqueueAsOptuna(path, study_id, 1, R"({"opt": "sgd", "extra": 1})");
  TrialHistory h;
  auto r = s->Ask(Request(study_id, "other-tag"), h, Marked());
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  REQUIRE(r->kind == AskResult::Kind::kTrial);
  CHECK(r->trial.number == 1);
  CHECK(r->trial.tag == "other-tag");
  CHECK(r->trial.params == Params{{"lr", 0.5}, {"layers", 7}, {"opt", 1}});
  CHECK(Rows(path,
             "SELECT t.number, t.state, g.tag, g.failure_reason FROM trials t JOIN "
             "gdsweep_trials g USING (trial_id) WHERE t.number = 0") ==
        std::vector<std::string>{"0|FAIL|other-tag|queued value of lr does not fit the search "
                                 "space: 5.0 is outside [0.0001, 1.0]"});
  CHECK(Rows(path, "SELECT fresh_trials FROM gdsweep_sweeps WHERE tag = 'other-tag'") ==
        std::vector<std::string>{"2"});
}

TEST_CASE_FIXTURE(QueueTest,
                  "a partial point waits while the sampler has nothing to fill it with") {
  REQUIRE(s->Enqueue(Queue(study_id, {P({{"lr", 0.01}})})).ok());
  TrialHistory h;
  auto r = s->Ask(Request(study_id, "t"), h, Nothing());
  REQUIRE(r.ok());
  CHECK(r->kind == AskResult::Kind::kSamplerExhausted);
  CHECK(Rows(path, "SELECT state FROM trials") == std::vector<std::string>{"WAITING"});
}

// opt: adam (0), sgd (1); momentum only when opt is sgd.
StudyRegistration ConditionalStudy() {
  StudyRegistration reg = testing::SmallStudy();
  reg.space = {
      {"opt", CategoricalDistribution{{Choice{std::string("adam")}, Choice{std::string("sgd")}}}},
      {"momentum", FloatDistribution{0.0, 1.0, false, std::nullopt}, {{"opt", {1}}}},
      {"lr", FloatDistribution{1e-4, 1.0, true, std::nullopt}},
  };
  return reg;
}

TEST_CASE(
    "a partial point in a conditional space: the sampler is asked around its values, a value its "
    "own values make inactive is dropped") {
  QueueTest q(ConditionalStudy());
  REQUIRE(q.s->Enqueue(Queue(q.study_id, {P({{"opt", "sgd"}}),
                                          P({{"opt", "adam"}, {"momentum", 0.9}, {"lr", 0.1}})}))
              .ok());
  std::vector<Params> asked_around;
  AskRequest req = Request(q.study_id, "t");
  req.sample_given = [&](const TrialHistory&, int64_t,
                         const Params& given) -> Result<std::optional<Params>> {
    asked_around.push_back(given);
    Params p = given;
    p.emplace("lr", 0.5);
    if (p.at("opt") == 1) p.emplace("momentum", 0.25);
    return std::optional<Params>(p);
  };
  TrialHistory h;
  auto sgd = q.s->Ask(req, h, Nothing());
  REQUIRE_MESSAGE(sgd.ok(), (sgd.ok() ? "" : sgd.error().message));
  CHECK(sgd->trial.params == Params{{"opt", 1}, {"momentum", 0.25}, {"lr", 0.5}});
  // Complete but for an inactive momentum: nothing to ask, momentum not stored.
  auto adam = q.s->Ask(req, h, Nothing());
  REQUIRE(adam.ok());
  CHECK(adam->trial.params == Params{{"opt", 0}, {"lr", 0.1}});
  CHECK(asked_around == std::vector<Params>{{{"opt", 1}}});
  CHECK(Rows(q.path, "SELECT count(*) FROM trial_params WHERE param_name = 'momentum'") ==
        std::vector<std::string>{"1"});
}

TEST_CASE("each queued point is claimed by exactly one of several processes") {
  TempDir dir;
  const auto path = testing::TestDatabase(dir, "race");
  constexpr int kPoints = 40, kProcesses = 4;
  {
    auto s = OpenOrDie(path);
    auto study = s->OpenStudy(testing::SmallStudy());
    REQUIRE(study.ok());
    std::vector<Point> points;
    for (int i = 0; i < kPoints; ++i) {  // whole points: the sampler proposes nothing
      points.push_back(P({{"lr", 0.01}, {"layers", int64_t{1 + i % 8}}, {"opt", "sgd"}}));
    }
    REQUIRE(s->Enqueue(Queue(study->study_id, points)).ok());
  }
  std::vector<pid_t> children;
  std::vector<int> pipes;
  for (int p = 0; p < kProcesses; ++p) {  // no connection is open across fork()
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      auto s = OpenOrDie(path);
      auto study = s->GetStudy("s");
      if (!study) _exit(2);
      TrialHistory h;
      std::string claimed;
      while (true) {
        auto r = s->Ask(Request(study->study_id, "t", std::nullopt, "w" + std::to_string(p)), h,
                        Nothing());
        if (!r) _exit(3);
        if (r->kind != AskResult::Kind::kTrial) break;
        claimed += std::to_string(r->trial.number) + "\n";
      }
      if (write(fds[1], claimed.data(), claimed.size()) != ssize_t(claimed.size())) _exit(4);
      _exit(0);
    }
    close(fds[1]);
    children.push_back(pid);
    pipes.push_back(fds[0]);
  }
  std::vector<int64_t> all;
  for (size_t i = 0; i < children.size(); ++i) {
    std::string out;
    char buf[512];
    ssize_t n;
    while ((n = read(pipes[i], buf, sizeof buf)) > 0) out.append(buf, size_t(n));
    close(pipes[i]);
    int status = 0;
    waitpid(children[i], &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    size_t start = 0;
    while (start < out.size()) {
      size_t end = out.find('\n', start);
      all.push_back(std::stoll(out.substr(start, end - start)));
      start = end + 1;
    }
  }
  std::sort(all.begin(), all.end());
  std::vector<int64_t> expected(kPoints);
  for (int i = 0; i < kPoints; ++i) expected[size_t(i)] = i;
  CHECK(all == expected);  // every point once, none twice
  CHECK(Rows(path, "SELECT count(*) FROM trials WHERE state = 'RUNNING'") ==
        std::vector<std::string>{std::to_string(kPoints)});
}

TEST_CASE("Optuna runs the points gdsweep queued, and gdsweep those Optuna queued") {
  if (!testing::HavePythonOptuna()) {
    MESSAGE("skipped: " << GDSWEEP_PYTHON << " cannot import optuna");
    return;
  }
  TempDir dir;
  const auto path = testing::TestDatabase(dir, "interop");
  int64_t study_id = 0;
  {
    auto s = OpenOrDie(path);
    auto study = s->OpenStudy(testing::SmallStudy());
    REQUIRE(study.ok());
    study_id = study->study_id;
    REQUIRE(s->Enqueue(Queue(study_id, {P({{"lr", 0.02}, {"layers", int64_t{5}}, {"opt", "sgd"}}),
                                        P({{"opt", "adam"}})}))
                .ok());
  }
  auto ran = testing::RunInterop("queue_interop.py", {"optimize", path, "s", "2"});
  REQUIRE_MESSAGE(ran.status == 0, ran.out);
  auto j = nlohmann::json::parse(ran.out);
  REQUIRE(j.size() == 2);
  CHECK(j[0]["number"] == 0);
  CHECK(j[0]["params"] == nlohmann::json({{"lr", 0.02}, {"layers", 5}, {"opt", "sgd"}}));
  CHECK(j[1]["number"] == 1);
  CHECK(j[1]["params"]["opt"] == "adam");

  auto queued = testing::RunInterop("queue_interop.py",
                                    {"enqueue", path, "s", R"({"lr": 0.003, "opt": "sgd"})"});
  REQUIRE_MESSAGE(queued.status == 0, queued.out);
  auto s = OpenOrDie(path);
  TrialHistory h;
  auto r = s->Ask(Request(study_id, "t"), h, Marked());
  REQUIRE(r.ok());
  REQUIRE(r->kind == AskResult::Kind::kTrial);
  CHECK(r->trial.number == 2);
  CHECK(r->trial.params == Params{{"lr", 0.003}, {"layers", 7}, {"opt", 1}});
  REQUIRE(s->FinishTrial(r->trial.trial_id, testing::Complete(0.25)).ok());
  CHECK(Rows(path, "SELECT state FROM trials WHERE number = 2") ==
        std::vector<std::string>{"COMPLETE"});
}

}  // namespace
}  // namespace gdsweep
