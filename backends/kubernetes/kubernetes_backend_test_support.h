// Tests only: driving a KubernetesBackend against the fake cluster as the
// engine does (RunAll releases each exit, as the engine does once the result
// is durable), quick retry settings, and launches of Python one-liners. Not
// thread-safe.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backends/kubernetes/fake_cluster_test_support.h"
#include "backends/kubernetes/job_manifest.h"
#include "backends/kubernetes/kubernetes_backend.h"

namespace gdsweep::testing {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Seen {
  std::vector<std::string> lines;
  std::optional<BackendEvent> exit;
  int exits = 0;
  bool output_after_exit = false;
};

// Waits until `backend` has nothing running (or `limit` passes). With
// `release`, each exit is released at once, as the engine does once the
// result is durable.
inline std::map<int64_t, Seen> RunAll(Backend& backend, std::chrono::seconds limit = 60s,
                                      bool release = true) {
  std::map<int64_t, Seen> seen;
  const auto deadline = Clock::now() + limit;
  while (backend.Running() > 0 && Clock::now() < deadline) {
    auto events = backend.Wait(200ms);
    REQUIRE_MESSAGE(events.ok(), events.error().message);
    for (const auto& ev : *events) {
      Seen& s = seen[ev.trial_id];
      if (ev.kind == BackendEvent::Kind::kOutput) {
        s.lines.push_back(ev.line);
        if (s.exits) s.output_after_exit = true;
      } else {
        s.exit = ev;
        ++s.exits;
        if (release) backend.Release(ev.trial_id);
      }
    }
  }
  CHECK(backend.Running() == 0);
  return seen;
}

// Consumes `backend`'s events until `stop` holds for one of trial `trial_id`'s
// events (or `limit` passes) and returns that event; the others are dropped.
template <typename Stop>
std::optional<BackendEvent> WaitForEvent(Backend& backend, int64_t trial_id, Stop stop,
                                         std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    auto events = backend.Wait(200ms);
    REQUIRE_MESSAGE(events.ok(), events.error().message);
    for (const auto& ev : *events) {
      if (ev.trial_id == trial_id && stop(ev)) return ev;
    }
  }
  return std::nullopt;
}

// Waits until trial `trial_id` prints `line`; true when it did. The line comes
// from the pod's log, so the backend has seen the pod by then.
inline bool WaitForLine(Backend& backend, int64_t trial_id, const std::string& line,
                        std::chrono::seconds limit = 30s) {
  return WaitForEvent(
             backend, trial_id,
             [&](const BackendEvent& ev) {
               return ev.kind == BackendEvent::Kind::kOutput && ev.line == line;
             },
             limit)
      .has_value();
}

inline KubernetesBackendOptions FastOptions() {
  KubernetesBackendOptions o;
  o.client.retry.initial_backoff = 50ms;
  o.client.retry.max_backoff = 2000ms;
  o.client.retry.max_attempts = 10;
  o.pod_report_wait = 500ms;
  return o;
}

inline KubernetesSpec Spec() {
  KubernetesSpec s;
  s.image = "python:3.11";
  s.image_pull_timeout_seconds = 1;
  return s;
}

inline TrialLaunch Py(int64_t id, const std::string& code, const std::string& study = "kb") {
  TrialLaunch l;
  l.trial_id = id;
  l.trial_number = id;
  l.study_name = study;
  l.tag = "t";
  l.argv = {"python3", "-c", code};
  l.env = {{"GDSWEEP_TRIAL_NUMBER", std::to_string(id)}};
  return l;
}

inline std::string JobOf(const TrialLaunch& l) {
  return JobName(l.study_name, l.trial_number, l.trial_id, l.run);
}

inline bool JobExists(const FakeCluster& fake, const TrialLaunch& l) {
  HttpClient http(HttpClientOptions{});
  HttpRequest req;
  req.url = fake.Url() + "/apis/batch/v1/namespaces/default/jobs/" + JobOf(l);
  return http.Send(req)->status == 200;
}

inline std::unique_ptr<KubernetesBackend> Make(const FakeCluster& fake,
                                               KubernetesSpec spec = Spec(),
                                               const std::string& token = "") {
  return std::make_unique<KubernetesBackend>(spec, fake.Connection(token), "default",
                                             FastOptions());
}

// A trial whose Job the API refused: its kExited event (unless a watch met
// the refusal first and Wait() reported that before it), then the error
// Wait() returns.
inline std::pair<std::optional<BackendEvent>, Error> StartFailure(Backend& b, int64_t id) {
  std::optional<BackendEvent> exit;
  const auto deadline = Clock::now() + 30s;
  while (Clock::now() < deadline) {
    auto events = b.Wait(200ms);
    if (!events) return {exit, events.error()};
    for (const auto& ev : *events) {
      if (ev.kind == BackendEvent::Kind::kExited && ev.trial_id == id) {
        CHECK(ev.exit_code != 0);
        CHECK_FALSE(ev.interrupted);
        exit = ev;
      }
    }
  }
  FAIL("Wait() reported no error");
  return {exit, Error{}};
}

}  // namespace gdsweep::testing
