// The MLflow client against the fake tracking server (tests/fakes/mlflow):
// experiments, runs, log-batch splitting, non-finite metrics, write-once
// params, search and pagination, metric histories, and every error path
// (404, down, 5xx with retries, 401/403, a URI that is not MLflow).
#include "tracking/mlflow_client.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <set>
#include <thread>

#include "tracking/fake_mlflow_test_support.h"

namespace gdsweep::mlflow {
namespace {

// The error message of a failed result, for test messages.
template <typename R>
std::string Why(const R& r) {
  return r.ok() ? "" : r.error().message;
}

using gdsweep::testing::FakeMlflow;
using gdsweep::testing::FakeMlflowOptions;
using json = nlohmann::json;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kMaxDouble = std::numeric_limits<double>::max();

bool Has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The request bodies the fake recorded for paths ending in `suffix`.
std::vector<json> Bodies(const FakeMlflow& fake, const std::string& suffix, int at_least) {
  std::vector<json> out;
  for (const auto& r : fake.RequestsAfter(suffix, at_least)) {
    const std::string path = r.value("path", "");
    if (path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix) {
      out.push_back(r.value("body", json()));
    }
  }
  return out;
}

// A fresh experiment and a run in it.
struct Fixture {
  FakeMlflow fake;
  Client client{fake.ClientOptions()};
  std::string experiment_id;

  explicit Fixture(FakeMlflowOptions options = {}) : fake(std::move(options)) {
    auto id = client.EnsureExperiment("exp", "");
    REQUIRE_MESSAGE(id.ok(), Why(id));
    experiment_id = *id;
  }

  std::string NewRun(const std::string& name = "", std::vector<Tag> tags = {},
                     int64_t start = 1000) {
    auto run = client.CreateRun(experiment_id, name, start, tags);
    REQUIRE_MESSAGE(run.ok(), Why(run));
    return run->run_id;
  }
};

TEST_CASE("EnsureExperiment creates once, then finds it; CreateExperiment conflicts") {
  FakeMlflow fake;
  Client client(fake.ClientOptions());
  auto missing = client.GetExperimentIdByName("sweeps");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == Error::Kind::kNotFound);
  CHECK(Has(missing.error().message, "Could not find experiment with name 'sweeps'"));

  auto created = client.EnsureExperiment("sweeps", "s3://bucket/sweeps");
  REQUIRE_MESSAGE(created.ok(), Why(created));
  CHECK(*created == "1");
  auto again = client.EnsureExperiment("sweeps", "s3://bucket/sweeps");
  REQUIRE(again.ok());
  CHECK(*again == *created);
  auto by_name = client.GetExperimentIdByName("sweeps");
  REQUIRE(by_name.ok());
  CHECK(*by_name == *created);
  CHECK(fake.WaitForRequests("experiments/create", 1) == 1);

  auto dup = client.CreateExperiment("sweeps", "");
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().kind == Error::Kind::kConflict);
  CHECK(Has(dup.error().message, "RESOURCE_ALREADY_EXISTS"));

  const auto state = fake.State();
  int named = 0;
  for (const auto& e : state["experiments"]) {
    if (e["name"] == "sweeps") {
      ++named;
      CHECK(e["artifact_location"] == "s3://bucket/sweeps");
    }
  }
  CHECK(named == 1);

  SUBCASE("a name with spaces and symbols goes through the query string intact") {
    auto odd = client.EnsureExperiment("my sweeps/α & β?=1", "");
    REQUIRE_MESSAGE(odd.ok(), Why(odd));
    auto found = client.GetExperimentIdByName("my sweeps/α & β?=1");
    REQUIRE(found.ok());
    CHECK(*found == *odd);
  }
}

TEST_CASE("EnsureExperiment gets the experiment when its create conflicts") {
  FakeMlflow fake;
  Client client(fake.ClientOptions());
  SUBCASE("a create whose answer is lost: the retry conflicts, then get") {
    fake.SetFault("reset-after", 1, {"experiments/create"});
    auto id = client.EnsureExperiment("lost", "");
    REQUIRE_MESSAGE(id.ok(), Why(id));
    CHECK(fake.WaitForRequests("experiments/create", 2) == 2);
    CHECK(fake.WaitForRequests("experiments/get-by-name", 2) == 2);
  }
  SUBCASE("processes racing to create it all get the same id") {
    constexpr int kClients = 8;
    std::vector<std::string> ids(kClients);
    std::vector<std::thread> threads;
    for (int i = 0; i < kClients; ++i) {
      threads.emplace_back([&, i] {
        Client c(fake.ClientOptions());
        auto id = c.EnsureExperiment("raced", "");
        ids[i] = id.ok() ? *id : "error: " + id.error().message;
      });
    }
    for (auto& t : threads) t.join();
    for (const auto& id : ids) CHECK(id == ids[0]);
    const auto state = fake.State();
    int named = 0;
    for (const auto& e : state["experiments"]) named += e["name"] == "raced" ? 1 : 0;
    CHECK(named == 1);
  }
}

TEST_CASE("CreateRun, GetRun and UpdateRun carry names, tags, statuses and times") {
  Fixture f;
  auto info = f.client.CreateRun(f.experiment_id, "trial-7", 1700000000123,
                                 {{"gdsweep.tag", "sweep-a"}, {"gdsweep.trial", "7"}});
  REQUIRE_MESSAGE(info.ok(), Why(info));
  CHECK(info->run_id.size() == 32);
  CHECK(info->experiment_id == f.experiment_id);
  CHECK(info->run_name == "trial-7");
  CHECK(info->status == "RUNNING");
  CHECK(info->start_time_ms == 1700000000123);
  CHECK_FALSE(info->end_time_ms.has_value());

  auto body = Bodies(f.fake, "runs/create", 1).at(0);
  CHECK(body["start_time"].is_number_integer());

  REQUIRE(f.client.UpdateRun(info->run_id, "FINISHED", 1700000009999).ok());
  auto run = f.client.GetRun(info->run_id);
  REQUIRE_MESSAGE(run.ok(), Why(run));
  CHECK(run->info.run_id == info->run_id);
  CHECK(run->info.status == "FINISHED");
  CHECK(run->info.end_time_ms == 1700000009999);
  CHECK(run->info.start_time_ms == 1700000000123);
  CHECK(run->info.run_name == "trial-7");
  CHECK(run->tags.at("gdsweep.tag") == "sweep-a");
  CHECK(run->tags.at("gdsweep.trial") == "7");
  CHECK(run->tags.at("mlflow.runName") == "trial-7");
  CHECK(run->metrics.empty());
  CHECK(run->params.empty());

  REQUIRE(f.client.SetTag(info->run_id, "note", "it's done").ok());
  REQUIRE(f.client.UpdateRun(info->run_id, "KILLED", std::nullopt).ok());
  run = f.client.GetRun(info->run_id);
  REQUIRE(run.ok());
  CHECK(run->tags.at("note") == "it's done");
  CHECK(run->info.status == "KILLED");
  CHECK(run->info.end_time_ms == 1700000009999);

  auto unnamed = f.client.CreateRun(f.experiment_id, "", 5, {});
  REQUIRE(unnamed.ok());
  CHECK_FALSE(unnamed->run_name.empty());  // the server picks one

  auto bad = f.client.UpdateRun(info->run_id, "DONE", std::nullopt);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().kind == Error::Kind::kInvalidInput);
  CHECK(Has(bad.error().message, "INVALID_PARAMETER_VALUE: "));
}

TEST_CASE("a missing run or experiment is kNotFound") {
  Fixture f;
  auto run = f.client.GetRun("0123456789abcdef0123456789abcdef");
  REQUIRE_FALSE(run.ok());
  CHECK(run.error().kind == Error::Kind::kNotFound);
  CHECK(Has(run.error().message, "Run with id=0123456789abcdef0123456789abcdef not found"));
  auto update = f.client.UpdateRun("0123456789abcdef0123456789abcdef", "FINISHED", 1);
  CHECK(update.error().kind == Error::Kind::kNotFound);
  auto create = f.client.CreateRun("999", "x", 0, {});
  CHECK(create.error().kind == Error::Kind::kNotFound);
}

TEST_CASE("LogBatch splits over MLflow's limits and everything arrives") {
  Fixture f;
  const auto run_id = f.NewRun("big");
  std::vector<Metric> metrics;
  for (int i = 0; i < 2500; ++i) metrics.push_back({"loss", 1.0 / (i + 1), 1000 + i, i});
  std::vector<Tag> params, tags;
  for (int i = 0; i < 250; ++i) params.push_back({"p" + std::to_string(i), std::to_string(i)});
  for (int i = 0; i < 120; ++i) tags.push_back({"t" + std::to_string(i), "v"});
  auto logged = f.client.LogBatch(run_id, metrics, params, tags);
  REQUIRE_MESSAGE(logged.ok(), Why(logged));

  const auto bodies = Bodies(f.fake, "runs/log-batch", 3);
  CHECK(bodies.size() == 3);
  for (const auto& b : bodies) {
    const size_t m = b.value("metrics", json::array()).size();
    const size_t p = b.value("params", json::array()).size();
    const size_t t = b.value("tags", json::array()).size();
    CHECK(m <= 1000);
    CHECK(p <= 100);
    CHECK(t <= 100);
    CHECK(m + p + t <= 1000);
    for (const auto& point : b.value("metrics", json::array())) {
      CHECK(point["timestamp"].is_number_integer());
      CHECK(point["step"].is_number_integer());
    }
  }

  auto run = f.client.GetRun(run_id);
  REQUIRE(run.ok());
  CHECK(run->params.size() == 250);
  CHECK(run->params.at("p249") == "249");
  CHECK(run->tags.size() == 121);                                 // and mlflow.runName
  CHECK(run->metrics.at("loss") == doctest::Approx(1.0 / 2500));  // the greatest step
  auto history = f.client.GetMetricHistory(run_id, "loss");
  REQUIRE_MESSAGE(history.ok(), Why(history));
  REQUIRE(history->size() == 2500);
  CHECK((*history)[0].step == 0);
  CHECK((*history)[2499].step == 2499);
  CHECK((*history)[2499].timestamp_ms == 3499);

  // Sending it all again changes nothing: identical points are stored once,
  // params have the same values.
  REQUIRE(f.client.LogBatch(run_id, metrics, params, tags).ok());
  history = f.client.GetMetricHistory(run_id, "loss");
  REQUIRE(history.ok());
  CHECK(history->size() == 2500);
}

TEST_CASE("a log-batch whose answer is lost is retried, and nothing is stored twice") {
  Fixture f;
  const auto run_id = f.NewRun();
  f.fake.SetFault("reset-after", 1, {"runs/log-batch"});
  REQUIRE(f.client.LogBatch(run_id, {{"acc", 0.5, 10, 1}}, {{"lr", "0.1"}}, {}).ok());
  CHECK(f.fake.WaitForRequests("runs/log-batch", 2) == 2);
  auto history = f.client.GetMetricHistory(run_id, "acc");
  REQUIRE(history.ok());
  CHECK(history->size() == 1);
}

TEST_CASE("non-finite metrics go as \"NaN\"/\"Infinity\" and come back decoded") {
  SUBCASE("a SQL-backed server clamps infinities to the largest double") {
    Fixture f;
    const auto run_id = f.NewRun();
    REQUIRE(f.client
                .LogBatch(run_id, {{"nan", kNaN, 1, 0}, {"inf", kInf, 1, 0}, {"ninf", -kInf, 1, 0}},
                          {}, {})
                .ok());
    const auto body = Bodies(f.fake, "runs/log-batch", 1).at(0);
    std::set<std::string> wire;
    for (const auto& m : body["metrics"]) wire.insert(m["value"].get<std::string>());
    CHECK(wire == std::set<std::string>{"NaN", "Infinity", "-Infinity"});

    auto run = f.client.GetRun(run_id);
    REQUIRE(run.ok());
    CHECK(std::isnan(run->metrics.at("nan")));
    CHECK(run->metrics.at("inf") == kMaxDouble);
    CHECK(run->metrics.at("ninf") == -kMaxDouble);
    auto history = f.client.GetMetricHistory(run_id, "nan");
    REQUIRE(history.ok());
    REQUIRE(history->size() == 1);
    CHECK(std::isnan((*history)[0].value));
  }
  SUBCASE("a server that keeps infinities returns them") {
    Fixture f(FakeMlflowOptions{.flags = {"--keep-infinity"}});
    const auto run_id = f.NewRun();
    REQUIRE(f.client.LogBatch(run_id, {{"inf", kInf, 1, 0}, {"ninf", -kInf, 1, 0}}, {}, {}).ok());
    auto run = f.client.GetRun(run_id);
    REQUIRE(run.ok());
    CHECK(run->metrics.at("inf") == kInf);
    CHECK(run->metrics.at("ninf") == -kInf);
    auto history = f.client.GetMetricHistory(run_id, "ninf");
    REQUIRE(history.ok());
    CHECK(history->at(0).value == -kInf);
  }
}

TEST_CASE("params are write-once: the same value again is fine, another is refused") {
  Fixture f;
  const auto run_id = f.NewRun();
  REQUIRE(f.client.LogBatch(run_id, {}, {{"lr", "0.1"}, {"layers", "3"}}, {}).ok());
  REQUIRE(f.client.LogBatch(run_id, {}, {{"lr", "0.1"}}, {}).ok());
  auto changed = f.client.LogBatch(run_id, {}, {{"lr", "0.2"}}, {});
  REQUIRE_FALSE(changed.ok());
  CHECK(changed.error().kind == Error::Kind::kInvalidInput);
  CHECK(Has(changed.error().message,
            "INVALID_PARAMETER_VALUE: Changing param values is not "
            "allowed"));
  auto run = f.client.GetRun(run_id);
  REQUIRE(run.ok());
  CHECK(run->params.at("lr") == "0.1");

  const int before = f.fake.WaitForRequests("runs/log-batch", 3);
  REQUIRE(f.client.LogBatch(run_id, {}, {{"seed", "1"}, {"seed", "1"}}, {}).ok());
  auto twice = f.client.LogBatch(run_id, {}, {{"opt", "sgd"}, {"opt", "adam"}}, {});
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().kind == Error::Kind::kInvalidInput);
  CHECK(f.fake.WaitForRequests("runs/log-batch", before + 1) ==
        before + 1);  // the refused one never left
}

// Five runs of two sweeps, with losses and start times in a known order.
std::vector<std::string> SeedSweeps(Fixture& f, const std::string& tag_key) {
  std::vector<std::string> ids;
  const double losses[] = {0.5, 0.1, 0.9, 0.3, 0.7};
  for (int i = 0; i < 5; ++i) {
    const std::string sweep = i % 2 == 0 ? "sweep a" : "it's b";
    const auto id = f.NewRun("trial-" + std::to_string(i), {{tag_key, sweep}}, 1000 + i);
    REQUIRE(f.client.LogBatch(id, {{"val/loss", losses[i], 1, 0}}, {}, {}).ok());
    ids.push_back(id);
  }
  return ids;
}

TEST_CASE("SearchRuns filters on a backticked tag key and orders by a metric") {
  Fixture f;
  const auto ids = SeedSweeps(f, "gdsweep.tag");
  const std::string filter = FilterKey("tags", "gdsweep.tag") + " = " + FilterString("sweep a");
  auto page = f.client.SearchRuns({f.experiment_id}, filter,
                                  {FilterKey("metrics", "val/loss") + " ASC"}, 0, "");
  REQUIRE_MESSAGE(page.ok(), Why(page));
  REQUIRE(page->runs.size() == 3);  // runs 0, 2, 4 with losses 0.5, 0.9, 0.7
  CHECK(page->runs[0].info.run_id == ids[0]);
  CHECK(page->runs[1].info.run_id == ids[4]);
  CHECK(page->runs[2].info.run_id == ids[2]);
  CHECK(page->runs[0].metrics.at("val/loss") == 0.5);
  CHECK(page->runs[0].tags.at("gdsweep.tag") == "sweep a");
  CHECK(page->next_page_token.empty());

  SUBCASE("a value with a single quote, and hptuning_tag") {
    Fixture g;
    const auto other = SeedSweeps(g, "hptuning_tag");
    auto b = g.client.SearchRuns({g.experiment_id},
                                 FilterKey("tags", "hptuning_tag") + " = " + FilterString("it's b"),
                                 {"metrics.`val/loss` DESC"}, 0, "");
    REQUIRE_MESSAGE(b.ok(), Why(b));
    REQUIRE(b->runs.size() == 2);
    CHECK(b->runs[0].info.run_id == other[3]);  // 0.3 before 0.1
    CHECK(b->runs[1].info.run_id == other[1]);
  }
  SUBCASE("a filter MLflow cannot parse is invalid input with the server's words") {
    auto bad = f.client.SearchRuns({f.experiment_id}, "tags.a = 'x' OR tags.b = 'y'", {}, 0, "");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().kind == Error::Kind::kInvalidInput);
    CHECK(Has(bad.error().message, "AND only"));
  }
}

TEST_CASE("pagination: pages of SearchRuns, and SearchAllRuns following the tokens") {
  Fixture f;
  const auto ids = SeedSweeps(f, "gdsweep.tag");  // newest first: 4, 3, 2, 1, 0
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = f.client.SearchRuns({f.experiment_id}, "", {}, 2, token);
    REQUIRE_MESSAGE(page.ok(), Why(page));
    for (const auto& r : page->runs) seen.push_back(r.info.run_id);
    token = page->next_page_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  CHECK(pages == 3);
  CHECK(seen == std::vector<std::string>{ids[4], ids[3], ids[2], ids[1], ids[0]});

  auto options = f.fake.ClientOptions();
  options.search_page_size = 2;
  Client small_pages(options);
  auto all = small_pages.SearchAllRuns({f.experiment_id}, "", {"attributes.start_time ASC"}, 0);
  REQUIRE_MESSAGE(all.ok(), Why(all));
  REQUIRE(all->size() == 5);
  for (int i = 0; i < 5; ++i) CHECK((*all)[i].info.run_id == ids[i]);

  auto three = small_pages.SearchAllRuns({f.experiment_id}, "", {}, 3);
  REQUIRE(three.ok());
  CHECK(three->size() == 3);

  // Four runs on pages of two end on a page boundary: the server sends a
  // token whose page is empty.
  auto four =
      small_pages.SearchAllRuns({f.experiment_id}, "attributes.run_name != 'trial-0'", {}, 0);
  REQUIRE(four.ok());
  CHECK(four->size() == 4);

  auto none = f.client.SearchAllRuns({f.experiment_id}, "tags.`gdsweep.tag` = 'nope'", {}, 0);
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("GetMetricHistory returns every point in order across pages") {
  Fixture f;
  const auto run_id = f.NewRun();
  std::vector<Metric> points;
  for (int i = 9; i >= 0; --i) points.push_back({"acc", i * 0.1, 100 + i, i});
  REQUIRE(f.client.LogBatch(run_id, points, {}, {}).ok());
  auto options = f.fake.ClientOptions();
  options.history_page_size = 3;
  Client small_pages(options);
  auto history = small_pages.GetMetricHistory(run_id, "acc");
  REQUIRE_MESSAGE(history.ok(), Why(history));
  REQUIRE(history->size() == 10);
  for (int i = 0; i < 10; ++i) {
    CHECK((*history)[i].key == "acc");
    CHECK((*history)[i].step == i);
    CHECK((*history)[i].timestamp_ms == 100 + i);
    CHECK((*history)[i].value == doctest::Approx(i * 0.1));
  }
  CHECK(f.fake.WaitForRequests("metrics/get-history", 4) == 4);
  auto unknown = f.client.GetMetricHistory(run_id, "nothing");
  REQUIRE(unknown.ok());
  CHECK(unknown->empty());
}

TEST_CASE("a server that is down is kIo naming the URI, and works once it is back") {
  Fixture f;
  const auto run_id = f.NewRun();
  f.fake.SetFault("down");
  auto run = f.client.GetRun(run_id);
  REQUIRE_FALSE(run.ok());
  CHECK(run.error().kind == Error::Kind::kIo);
  CHECK(Has(run.error().message, "MLflow tracking server " + f.fake.Url()));
  CHECK(Has(run.error().message, "after 4 attempts"));
  auto logged = f.client.LogBatch(run_id, {{"m", 1, 1, 0}}, {}, {});
  CHECK(logged.error().kind == Error::Kind::kIo);
  f.fake.ClearFault();
  run = f.client.GetRun(run_id);
  REQUIRE_MESSAGE(run.ok(), Why(run));
  CHECK(f.client.LogBatch(run_id, {{"m", 1, 1, 0}}, {}, {}).ok());
}

TEST_CASE("transient 5xx and 429 are retried; what outlasts the retries is kIo") {
  Fixture f;
  const auto run_id = f.NewRun();
  SUBCASE("503 twice, then success") {
    f.fake.SetFault("503", 2);
    auto run = f.client.GetRun(run_id);
    REQUIRE_MESSAGE(run.ok(), Why(run));
    int faulted = 0;
    for (const auto& r : f.fake.RequestsAfter("runs/get", 3))
      faulted += r.value("fault", "") == "503" ? 1 : 0;
    CHECK(faulted == 2);
  }
  SUBCASE("500 on every attempt") {
    f.fake.SetFault("500");
    auto run = f.client.GetRun(run_id);
    REQUIRE_FALSE(run.ok());
    CHECK(run.error().kind == Error::Kind::kIo);
    CHECK(Has(run.error().message, "HTTP 500 INTERNAL_ERROR"));
    CHECK(Has(run.error().message, f.fake.Url()));
  }
  SUBCASE("429 with Retry-After, once") {
    f.fake.SetFault("429", 1);
    CHECK(f.client.SetTag(run_id, "k", "v").ok());
  }
  SUBCASE("connections reset") {
    f.fake.SetFault("reset", 2);
    CHECK(f.client.SetTag(run_id, "k", "v").ok());
  }
  SUBCASE("a stalled server times out as kIo") {
    auto options = f.fake.ClientOptions();
    options.request_timeout = std::chrono::milliseconds(300);
    options.retry.max_attempts = 1;
    Client impatient(options);
    f.fake.SetFault({{"mode", "stall"}, {"stall_seconds", 3}});
    auto run = impatient.GetRun(run_id);
    f.fake.ClearFault();
    REQUIRE_FALSE(run.ok());
    CHECK(run.error().kind == Error::Kind::kIo);
    CHECK(Has(run.error().message, "GET runs/get"));
    CHECK_FALSE(Has(run.error().message, "attempts"));
  }
}

TEST_CASE("Abort from another thread ends a stalled call as kInterrupted") {
  Fixture f;
  const auto run_id = f.NewRun();
  f.fake.SetFault({{"mode", "stall"}, {"stall_seconds", 10}});
  const auto started = std::chrono::steady_clock::now();
  std::thread aborter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    f.client.Abort();
  });
  auto run = f.client.GetRun(run_id);
  aborter.join();
  f.fake.ClearFault();
  REQUIRE_FALSE(run.ok());
  CHECK(run.error().kind == Error::Kind::kInterrupted);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  CHECK(f.client.SetTag(run_id, "k", "v").error().kind == Error::Kind::kInterrupted);
}

TEST_CASE("refused credentials are kIo saying so, naming the variables, never the secret") {
  SUBCASE("HTTP Basic") {
    FakeMlflow fake(FakeMlflowOptions{.username = "ann", .password = "right-password-42"});
    auto options = fake.ClientOptions();
    CHECK(Client(options).EnsureExperiment("e", "").ok());

    options.username.clear();
    options.password.clear();
    auto none = Client(options).EnsureExperiment("e", "");
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().kind == Error::Kind::kIo);
    CHECK(Has(none.error().message, "authentication failed (HTTP 401"));
    CHECK(Has(none.error().message, "no credentials were sent"));
    CHECK(Has(none.error().message, "MLFLOW_TRACKING_USERNAME"));

    options.username = "ann";
    options.password = "wrong-password-17";
    auto wrong = Client(options).EnsureExperiment("e", "");
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().kind == Error::Kind::kIo);
    CHECK(Has(wrong.error().message, "authentication failed"));
    CHECK(Has(wrong.error().message, "MLFLOW_TRACKING_PASSWORD"));
    CHECK_FALSE(Has(wrong.error().message, "wrong-password-17"));
    CHECK_FALSE(Has(wrong.error().message, "right-password-42"));

    // Credentials in the URI itself are not shown either.
    options.username.clear();
    options.password.clear();
    options.tracking_uri = "http://ann:right-password-42@127.0.0.1:" + std::to_string(fake.port());
    Client in_uri(options);
    auto with_uri_credentials = in_uri.EnsureExperiment("e", "");
    CHECK_MESSAGE(with_uri_credentials.ok(), Why(with_uri_credentials));
    CHECK_FALSE(Has(in_uri.RunUrl("1", "abc"), "right-password-42"));
    options.tracking_uri = "http://ann:wrong-password-17@127.0.0.1:" + std::to_string(fake.port());
    auto wrong_in_uri = Client(options).EnsureExperiment("e", "");
    REQUIRE_FALSE(wrong_in_uri.ok());
    CHECK(Has(wrong_in_uri.error().message, "credentials in the tracking URI were refused"));
    CHECK_FALSE(Has(wrong_in_uri.error().message, "wrong-password-17"));
    fake.SetFault("down");
    auto down = in_uri.EnsureExperiment("e", "");
    REQUIRE_FALSE(down.ok());
    CHECK_FALSE(Has(down.error().message, "right-password-42"));
    CHECK(Has(down.error().message, "127.0.0.1"));
  }
  SUBCASE("bearer token") {
    FakeMlflow fake(FakeMlflowOptions{.token = "right-token-abc"});
    auto options = fake.ClientOptions();
    CHECK(Client(options).EnsureExperiment("e", "").ok());

    options.token.clear();
    auto none = Client(options).EnsureExperiment("e", "");
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().kind == Error::Kind::kIo);
    CHECK(Has(none.error().message, "authentication failed (HTTP 401: UNAUTHENTICATED"));

    options.token = "wrong-token-xyz";
    auto wrong = Client(options).EnsureExperiment("e", "");
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().kind == Error::Kind::kIo);
    CHECK(Has(wrong.error().message, "authentication failed (HTTP 403: PERMISSION_DENIED"));
    CHECK(Has(wrong.error().message, "MLFLOW_TRACKING_TOKEN was refused"));
    CHECK_FALSE(Has(wrong.error().message, "wrong-token-xyz"));
    CHECK_FALSE(Has(wrong.error().message, "right-token-abc"));
    for (const auto& r : fake.Requests()) CHECK_FALSE(Has(r.dump(), "wrong-token-xyz"));

    // A username alone does not make Basic: the token is sent, as by MLflow.
    options = fake.ClientOptions();
    options.username = "ann";
    CHECK(Client(options).EnsureExperiment("e", "").ok());
    const auto requests = fake.RequestsAfter("experiments/get-by-name", 4);
    REQUIRE_FALSE(requests.empty());
    CHECK(requests.back().value("auth", "") == "bearer");
  }
}

// Regression: with MLFLOW_TRACKING_TOKEN and MLFLOW_TRACKING_USERNAME/PASSWORD
// all set, gdsweep sent Bearer; MLflow's client sends Basic (username and
// password win), so a server with basic auth refused gdsweep alone.
TEST_CASE("username and password win over a token, as in MLflow's client") {
  FakeMlflow fake(FakeMlflowOptions{.username = "ann", .password = "right-password-42"});
  auto options = fake.ClientOptions();
  options.token = "some-token-xyz";
  Client client(options);
  auto id = client.EnsureExperiment("e", "");
  REQUIRE_MESSAGE(id.ok(), Why(id));
  const auto requests = fake.Requests();
  REQUIRE_FALSE(requests.empty());
  for (const auto& r : requests) {
    CHECK(r.value("auth", "") == "basic");
    CHECK_FALSE(Has(r.dump(), "some-token-xyz"));
    CHECK_FALSE(Has(r.dump(), "right-password-42"));
  }
  options.password = "wrong-password-17";
  auto wrong = Client(options).EnsureExperiment("e", "");
  REQUIRE_FALSE(wrong.ok());
  CHECK(Has(wrong.error().message, "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD"));
  CHECK_FALSE(Has(wrong.error().message, "some-token-xyz"));
  CHECK_FALSE(Has(wrong.error().message, "wrong-password-17"));
}

TEST_CASE("a URI that does not lead to MLflow's API is invalid input saying so") {
  FakeMlflow fake;
  auto options = fake.ClientOptions();
  options.tracking_uri = fake.Url() + "/not-mlflow/";
  Client client(options);
  auto id = client.EnsureExperiment("e", "");
  REQUIRE_FALSE(id.ok());
  CHECK(id.error().kind == Error::Kind::kInvalidInput);
  CHECK(Has(id.error().message, "does not look like an MLflow tracking server"));
  CHECK(Has(id.error().message, "HTTP 404"));
  CHECK(fake.WaitForRequests("experiments/get-by-name", 1) == 1);  // not retried
}

TEST_CASE("the tracking URI loses its trailing slash; RunUrl points at MLflow's UI") {
  FakeMlflow fake;
  auto options = fake.ClientOptions();
  options.tracking_uri = fake.Url() + "/";
  Client client(options);
  CHECK(client.tracking_uri() == fake.Url());
  CHECK(client.RunUrl("3", "abc") == fake.Url() + "/#/experiments/3/runs/abc");
  CHECK(client.EnsureExperiment("e", "").ok());
  Client moved = std::move(client);
  CHECK(moved.GetExperimentIdByName("e").ok());
}

}  // namespace
}  // namespace gdsweep::mlflow
