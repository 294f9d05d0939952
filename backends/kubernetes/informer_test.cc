// The list+watch loop against the fake API server: it lists, then follows
// only the selected objects; it resumes after the server ends a watch; an
// expired resourceVersion (410) makes it list again; refused credentials
// stop it with an error that shows no token.
#include "backends/kubernetes/informer.h"

#include <doctest/doctest.h>

#include <map>
#include <mutex>

#include "backends/kubernetes/fake_cluster_test_support.h"

namespace gdsweep {
namespace {

using namespace std::chrono_literals;
using testing::FakeCluster;

std::string JobJson(const std::string& name, const std::string& study) {
  return R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":")" + name +
         R"(","labels":{"gdsweep.io/study":")" + study +
         R"("}},"spec":{"backoffLimit":0,"template":{"metadata":{"labels":{"gdsweep.io/study":")" +
         study + R"("}},"spec":{"restartPolicy":"Never","containers":[{"name":"t","image":"x",)" +
         R"("command":["true"]}]}}}})";
}

// What the handler saw, safely across threads.
struct Recorder {
  std::mutex mu;
  std::map<std::string, std::string> last;  // name -> last event type
  int syncs = 0;
  std::vector<std::string> fatal;

  InformerHandler Handler() {
    return {[this](const std::vector<KubeObject>& items) {
              std::lock_guard<std::mutex> l(mu);
              ++syncs;
              for (const auto& o : items) last[o.meta().name] = "LISTED";
            },
            [this](WatchEvent::Type type, const KubeObject& o) {
              std::lock_guard<std::mutex> l(mu);
              last[o.meta().name] = type == WatchEvent::Type::kDeleted ? "DELETED" : "SEEN";
            },
            [this](const Error& e) {
              std::lock_guard<std::mutex> l(mu);
              fatal.push_back(e.message);
            }};
  }
  template <typename F>
  bool WaitFor(F f, std::chrono::seconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard<std::mutex> l(mu);
        if (f()) return true;
      }
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
};

struct Api {
  std::unique_ptr<KubeClient> client;
  explicit Api(const FakeCluster& fake, const std::string& token = "")
      : client(std::make_unique<KubeClient>(
            fake.Connection(token), std::make_shared<CredentialSource>(fake.Connection(token)),
            KubeClientOptions{})) {}
};

InformerOptions Options(int watch_timeout = 300) {
  InformerOptions o;
  o.kind = KubeKind::kJob;
  o.namespace_ = "default";
  o.selector = "gdsweep.io/study=mine";
  o.watch_timeout_seconds = watch_timeout;
  o.min_backoff = 50ms;
  return o;
}

TEST_CASE("lists, then sees changes of the selected Jobs only") {
  FakeCluster fake;
  Api api(fake);
  REQUIRE(api.client->CreateJob("default", JobJson("before", "mine")).ok());
  Recorder rec;
  Informer informer(Api(fake).client, Options(), rec.Handler());
  informer.Start();
  REQUIRE(rec.WaitFor([&] { return rec.syncs == 1 && rec.last["before"] == "LISTED"; }));
  REQUIRE(api.client->CreateJob("default", JobJson("after", "mine")).ok());
  REQUIRE(api.client->CreateJob("default", JobJson("other", "theirs")).ok());
  REQUIRE(rec.WaitFor([&] { return rec.last["after"] == "SEEN"; }));
  REQUIRE(api.client->DeleteJob("default", "before").ok());
  REQUIRE(rec.WaitFor([&] { return rec.last["before"] == "DELETED"; }));
  std::lock_guard<std::mutex> l(rec.mu);
  CHECK_FALSE(rec.last.count("other"));
  CHECK(informer.lists() == 1);
}

TEST_CASE("a watch the server ends is resumed from where it was, without a list") {
  FakeCluster fake;
  Api api(fake);
  Recorder rec;
  Informer informer(Api(fake).client, Options(1), rec.Handler());
  informer.Start();
  REQUIRE(rec.WaitFor([&] { return rec.syncs == 1; }));
  std::this_thread::sleep_for(2500ms);  // two watches timed out
  REQUIRE(api.client->CreateJob("default", JobJson("late", "mine")).ok());
  REQUIRE(rec.WaitFor([&] { return rec.last["late"] == "SEEN"; }));
  CHECK(informer.watches() >= 2);
  CHECK(informer.lists() == 1);
}

TEST_CASE("410 Expired after the history is compacted: it lists again and goes on") {
  FakeCluster fake;
  Api api(fake);
  Recorder rec;
  Informer informer(Api(fake).client, Options(1), rec.Handler());
  informer.Start();
  REQUIRE(rec.WaitFor([&] { return rec.syncs == 1; }));
  // Changes the informer does not select move the history on, then the
  // history is dropped: its resourceVersion is now too old.
  REQUIRE(api.client->CreateJob("default", JobJson("other", "theirs")).ok());
  REQUIRE(api.client->CreateJob("default", JobJson("other2", "theirs")).ok());
  fake.Admin("compact", R"({"keep":0})");
  REQUIRE(rec.WaitFor([&] { return rec.syncs >= 2; }));
  CHECK(informer.lists() >= 2);
  REQUIRE(api.client->CreateJob("default", JobJson("after", "mine")).ok());
  REQUIRE(rec.WaitFor([&] { return rec.last["after"] == "SEEN"; }));
}

TEST_CASE("watches cut abruptly under faults are resumed; nothing is missed") {
  FakeCluster fake({"--fault-rate", "0.2", "--fault-codes", "500,reset", "--fault-seed", "3"});
  Api api(fake);
  api.client = std::make_unique<KubeClient>(
      fake.Connection(), std::make_shared<CredentialSource>(fake.Connection()), [] {
        KubeClientOptions o;
        o.retry.initial_backoff = 20ms;
        o.retry.max_attempts = 20;
        return o;
      }());
  Recorder rec;
  Informer informer(Api(fake).client, Options(), rec.Handler());
  informer.Start();
  for (int i = 0; i < 15; ++i) {
    REQUIRE(api.client->CreateJob("default", JobJson("j" + std::to_string(i), "mine")).ok());
  }
  REQUIRE(rec.WaitFor(
      [&] {
        for (int i = 0; i < 15; ++i) {
          if (!rec.last.count("j" + std::to_string(i))) return false;
        }
        return true;
      },
      30s));
  CHECK(informer.watches() + informer.lists() > 2);
}

TEST_CASE("refused credentials stop it with a fatal error that shows no token") {
  FakeCluster fake({"--token", "good"});
  Recorder rec;
  Informer informer(Api(fake, "bad-secret").client, Options(), rec.Handler());
  informer.Start();
  REQUIRE(rec.WaitFor([&] { return !rec.fatal.empty(); }));
  std::lock_guard<std::mutex> l(rec.mu);
  CHECK(rec.fatal[0].find("401") != std::string::npos);
  CHECK(rec.fatal[0].find("bad-secret") == std::string::npos);
  CHECK(rec.syncs == 0);
}

TEST_CASE("Stop ends an idle watch at once") {
  FakeCluster fake;
  Recorder rec;
  auto informer = std::make_unique<Informer>(Api(fake).client, Options(), rec.Handler());
  informer->Start();
  REQUIRE(rec.WaitFor([&] { return rec.syncs == 1; }));
  std::this_thread::sleep_for(200ms);
  const auto start = std::chrono::steady_clock::now();
  informer.reset();
  CHECK(std::chrono::steady_clock::now() - start < 500ms);
}

}  // namespace
}  // namespace gdsweep
