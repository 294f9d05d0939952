// The tracking section: every key and its default, the URI from
// MLFLOW_TRACKING_URI, MLflow's own rules for names and keys, no credentials
// in the URI or in any message, and --set overrides.
#include "sweeper/spec/study_parser_tracking.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <optional>
#include <string>
#include <vector>

#include "sweeper/spec/study_parser.h"

namespace gdsweep {
namespace {

constexpr const char* kTrackingStudy = R"(study_name: digits
objective: {metric: loss, direction: minimize}
search_space:
  lr: {type: float, low: 0.001, high: 0.1}
trial:
  command: [python3, train.py, "{lr}"]
)";

// Sets (or with nullptr unsets) an environment variable for one scope, then
// restores what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = ::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

constexpr const char* kUriVariable = "MLFLOW_TRACKING_URI";

// kTrackingStudy with `section` after it; the section starts at line 7.
std::string WithTracking(const std::string& section) {
  return std::string(kTrackingStudy) + section;
}

StudySpec ParseTracking(const std::string& text, const std::vector<SetOverride>& sets = {}) {
  auto r = ParseStudyText(text, "study.yaml", sets);
  if (!r.ok()) FAIL(r.error().message);
  return std::move(r).value();
}

std::string TrackingErrorOf(const std::string& text, const std::vector<SetOverride>& sets = {}) {
  auto r = ParseStudyText(text, "study.yaml", sets);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == Error::Kind::kInvalidInput);
  return r.error().message;
}

// The spec of `tracking: {uri: URI}`.
TrackingSpec WithUri(const std::string& uri) {
  return *ParseTracking(WithTracking("tracking: {uri: \"" + uri + "\"}\n")).tracking;
}

}  // namespace

TEST_CASE("every key of the section") {
  ScopedEnv env(kUriVariable, "http://from-env:5000");
  StudySpec spec = ParseTracking(WithTracking(R"(tracking:
  uri: http://mlflow.example:5000/
  experiment: digits-svc
  artifact_location: s3://bucket/x
  tag_key: hptuning_tag
  objective_source: tracking
)"));
  REQUIRE(spec.tracking);
  const TrackingSpec& t = *spec.tracking;
  CHECK(t.uri == "http://mlflow.example:5000");  // the file wins; trailing '/' dropped
  CHECK(t.experiment == "digits-svc");
  CHECK(t.artifact_location == "s3://bucket/x");
  CHECK(t.tag_key == "hptuning_tag");
  CHECK(t.objective_source == ObjectiveSource::kTracking);
}

TEST_CASE("defaults: the study name, gdsweep.tag, the trial's output") {
  ScopedEnv env(kUriVariable, nullptr);
  const TrackingSpec t = WithUri("https://mlflow.example");
  CHECK(t.uri == "https://mlflow.example");
  CHECK(t.experiment == "digits");
  CHECK(t.artifact_location.empty());
  CHECK(t.tag_key == "gdsweep.tag");
  CHECK(t.objective_source == ObjectiveSource::kOutput);
  CHECK(t == TrackingSpec{"https://mlflow.example", "digits", "", "gdsweep.tag",
                          ObjectiveSource::kOutput});
  CHECK(ParseTracking(WithTracking("tracking: {uri: http://h, objective_source: output}\n"))
            .tracking->objective_source == ObjectiveSource::kOutput);
}

TEST_CASE("no section, or a null one, sends nothing") {
  ScopedEnv env(kUriVariable, "http://from-env:5000");
  CHECK_FALSE(ParseTracking(kTrackingStudy).tracking);
  CHECK_FALSE(ParseTracking(WithTracking("tracking:\n")).tracking);
  CHECK_FALSE(ParseTracking(WithTracking("tracking: {}\n"), {"tracking=null"}).tracking);
}

TEST_CASE("the URI defaults to MLFLOW_TRACKING_URI, read when the file is parsed") {
  SUBCASE("set: tracking: {} is a complete section") {
    ScopedEnv env(kUriVariable, "https://mlflow.example/prefix/");
    StudySpec spec = ParseTracking(WithTracking("tracking: {}\n"));
    REQUIRE(spec.tracking);
    CHECK(spec.tracking->uri == "https://mlflow.example/prefix");
    CHECK(spec.tracking->experiment == "digits");
    CHECK(ParseTracking(WithTracking("tracking: {uri: null}\n")).tracking->uri ==
          "https://mlflow.example/prefix");
  }
  SUBCASE("unset or empty: an error at the tracking key") {
    const std::string expected =
        "study.yaml:7:1: tracking: no tracking server: set tracking.uri or MLFLOW_TRACKING_URI";
    {
      ScopedEnv env(kUriVariable, nullptr);
      CHECK(TrackingErrorOf(WithTracking("tracking: {}\n")) == expected);
      CHECK(TrackingErrorOf(WithTracking("tracking:\n  experiment: x\n")) == expected);
    }
    ScopedEnv env(kUriVariable, "");
    CHECK(TrackingErrorOf(WithTracking("tracking: {}\n")) == expected);
  }
  SUBCASE("a bad value is reported as the variable's") {
    ScopedEnv env(kUriVariable, "file:///tmp/mlruns");
    CHECK(TrackingErrorOf(WithTracking("tracking: {}\n")) ==
          "study.yaml:7:1: tracking: $MLFLOW_TRACKING_URI (used as tracking.uri is not set): "
          "gdsweep talks to an MLflow tracking server over its REST API, so the URI must be "
          "http:// or https:// with a host, got 'file:///tmp/mlruns'; to use that store, serve "
          "it with `mlflow server --backend-store-uri ...` and give the server's address");
  }
  SUBCASE("credentials in the variable are refused and not repeated") {
    ScopedEnv env(kUriVariable, "https://me:hunter2@mlflow.example");
    const std::string e = TrackingErrorOf(WithTracking("tracking: {}\n"));
    CHECK(e.rfind("study.yaml:7:1: tracking: $MLFLOW_TRACKING_URI", 0) == 0);
    CHECK(e.find("credentials do not belong in the URI") != std::string::npos);
    CHECK(e.find("hunter2") == std::string::npos);
  }
}

TEST_CASE("the URI is an http(s) URL with a host") {
  ScopedEnv env(kUriVariable, nullptr);
  CHECK(WithUri("http://127.0.0.1:5000").uri == "http://127.0.0.1:5000");
  CHECK(WithUri("HTTPS://mlflow.example:443/api-proxy//").uri ==
        "https://mlflow.example:443/api-proxy");
  CHECK(WithUri("http://[::1]:5000/").uri == "http://[::1]:5000");
  CHECK(WithUri("http://mlflow_server.internal").uri == "http://mlflow_server.internal");

  const std::string refused =
      "tracking.uri: gdsweep talks to an MLflow tracking server over its REST API, so the URI "
      "must be http:// or https:// with a host, got ";
  const std::string store_hint =
      "; to use that store, serve it with `mlflow server --backend-store-uri ...` and give the "
      "server's address";
  const std::string databricks_hint =
      "; for Databricks, give the workspace's https:// URL and MLFLOW_TRACKING_TOKEN";
  CHECK(TrackingErrorOf(WithTracking("tracking: {uri: file:///tmp/mlruns}\n")) ==
        "study.yaml:7:17: " + refused + "'file:///tmp/mlruns'" + store_hint);
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  uri: databricks\n")) ==
        "study.yaml:8:8: " + refused + "'databricks'" + databricks_hint);
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  uri: databricks://profile\n")) ==
        "study.yaml:8:8: " + refused + "'databricks://profile'" + databricks_hint);
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  uri: sqlite:///mlflow.db\n")) ==
        "study.yaml:8:8: " + refused + "'sqlite:///mlflow.db'" + store_hint);
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  uri: postgresql+psycopg2://db/mlflow\n")) ==
        "study.yaml:8:8: " + refused + "'postgresql+psycopg2://db/mlflow'" + store_hint);
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  uri: ./mlruns\n")) ==
        "study.yaml:8:8: " + refused + "'./mlruns'" + store_hint);
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  uri: localhost:5000\n")) ==
        "study.yaml:8:8: " + refused + "'localhost:5000'; did you mean 'http://localhost:5000'?");
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  uri: http:/mlflow\n")) ==
        "study.yaml:8:8: " + refused + "'http:/mlflow'");
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  uri: \"\"\n")) ==
        "study.yaml:8:8: tracking.uri: must not be empty (leave it out to use "
        "$MLFLOW_TRACKING_URI)");
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  uri: [http://h]\n")) ==
        "study.yaml:8:8: tracking.uri: expected a string, got a list");

  CHECK(TrackingErrorOf(WithTracking("tracking:\n  uri: http:///x\n")) ==
        "study.yaml:8:8: tracking.uri: the URL has no host, got 'http:///x'");
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  uri: http://:5000\n")) ==
        "study.yaml:8:8: tracking.uri: the URL has no host, got 'http://:5000'");
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  uri: http://h:99999\n")) ==
        "study.yaml:8:8: tracking.uri: expected a port from 1 to 65535 after ':', got "
        "'http://h:99999'");
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  uri: http://h:x\n")) ==
        "study.yaml:8:8: tracking.uri: expected a port from 1 to 65535 after ':', got "
        "'http://h:x'");
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  uri: \"http://h st/\"\n")) ==
        "study.yaml:8:8: tracking.uri: must not contain spaces or control characters, got "
        "'http://h st/'");
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  uri: http://[::1\n")) ==
        "study.yaml:8:8: tracking.uri: an IPv6 address needs its closing ']', got 'http://[::1'");
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  uri: http://h/?token=abc\n")) ==
        "study.yaml:8:8: tracking.uri: expected the server's base URL, without a query ('?') or "
        "fragment ('#'): gdsweep appends /api/2.0/mlflow/... to it");
}

TEST_CASE("credentials in the URI are refused without being repeated") {
  ScopedEnv env(kUriVariable, nullptr);
  const std::string advice =
      "credentials do not belong in the URI, which is stored with the study and passed to every "
      "trial; set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or "
      "MLFLOW_TRACKING_TOKEN, instead";
  CHECK(
      TrackingErrorOf(WithTracking("tracking:\n  uri: https://me:hunter2@mlflow.example:5000\n")) ==
      "study.yaml:8:8: tracking.uri: " + advice);
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  uri: https://me@mlflow.example\n")) ==
        "study.yaml:8:8: tracking.uri: " + advice);
  // A password holding '@' is masked whole.
  CHECK(TrackingErrorOf(WithTracking("tracking: {}\n"),
                        {"tracking.uri=https://me:p@ss@mlflow.example"}) ==
        "--set tracking.uri=https://***@mlflow.example: tracking.uri: " + advice);
  // Other schemes are named without their user info.
  const std::string e =
      TrackingErrorOf(WithTracking("tracking:\n  uri: postgresql://me:hunter2@db/mlflow\n"));
  CHECK(e.find("got 'postgresql://***@db/mlflow'") != std::string::npos);
  CHECK(e.find("hunter2") == std::string::npos);
  // Nor does a later error at a node that an override with credentials created.
  const std::string later =
      TrackingErrorOf(kTrackingStudy, {"tracking.artifact_location=sftp://me:hunter2@host/x"});
  CHECK(later ==
        "--set tracking.artifact_location=sftp://***@host/x: tracking: no tracking server: set "
        "tracking.uri or MLFLOW_TRACKING_URI");
}

TEST_CASE("the experiment: not empty, at most 500 characters") {
  ScopedEnv env(kUriVariable, "http://h");
  CHECK(ParseTracking(WithTracking("tracking: {experiment: " + std::string(500, 'e') + "}\n"))
            .tracking->experiment.size() == 500);
  CHECK(ParseTracking(WithTracking("tracking: {experiment: /Users/me@example.com/sweeps}\n"))
            .tracking->experiment == "/Users/me@example.com/sweeps");
  CHECK(ParseTracking(WithTracking("tracking: {experiment: 2024}\n")).tracking->experiment ==
        "2024");
  CHECK(TrackingErrorOf(WithTracking("tracking: {experiment: " + std::string(501, 'e') + "}\n")) ==
        "study.yaml:7:24: tracking.experiment: MLflow allows at most 500 characters, got 501");
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  experiment: ''\n")) ==
        "study.yaml:8:15: tracking.experiment: must not be empty (leave it out to use the study "
        "name)");
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  experiment: {name: x}\n")) ==
        "study.yaml:8:15: tracking.experiment: expected a string, got a mapping");
}

TEST_CASE("the experiment defaults to the study name after --set") {
  ScopedEnv env(kUriVariable, "http://h");
  CHECK(ParseTracking(WithTracking("tracking: {}\n"), {"study_name=other"}).tracking->experiment ==
        "other");
}

TEST_CASE("artifact_location: any store, but not empty and without a password") {
  ScopedEnv env(kUriVariable, "http://h");
  for (const char* location :
       {"s3://bucket/x", "gs://b/p", "mlflow-artifacts:/x", "/shared/artifacts", "sftp://me@h/x"}) {
    CHECK(ParseTracking(
              WithTracking("tracking: {artifact_location: \"" + std::string(location) + "\"}\n"))
              .tracking->artifact_location == location);
  }
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  artifact_location: ''\n")) ==
        "study.yaml:8:22: tracking.artifact_location: must not be empty (leave it out for the "
        "server's default)");
  const std::string e =
      TrackingErrorOf(WithTracking("tracking:\n  artifact_location: sftp://me:hunter2@h/x\n"));
  CHECK(e.rfind("study.yaml:8:22: tracking.artifact_location: a password does not belong here",
                0) == 0);
  CHECK(e.find("hunter2") == std::string::npos);
}

TEST_CASE("tag_key: a valid MLflow tag key") {
  ScopedEnv env(kUriVariable, "http://h");
  auto key = [](const std::string& k) {
    return ParseTracking(WithTracking("tracking: {tag_key: \"" + k + "\"}\n")).tracking->tag_key;
  };
  for (const std::string& k :
       std::vector<std::string>{"hptuning_tag", "gdsweep.tag", "team/sweep", "a b:c-d.e",
                                "ok..x/not..a", std::string(250, 'k')}) {
    CHECK(key(k) == k);
  }
  auto error = [](const std::string& k) {
    return TrackingErrorOf(WithTracking("tracking:\n  tag_key: \"" + k + "\"\n"));
  };
  const std::string at = "study.yaml:8:12: tracking.tag_key: ";
  CHECK(error("") == at + "must not be empty");
  CHECK(error(std::string(251, 'k')) == at + "MLflow allows at most 250 characters, got 251");
  CHECK(error("sweep#1") == at + "MLflow allows only letters, digits, '_', '-', '.', ' ', ':' and "
                                 "'/' in a key, got 'sweep#1'");
  const std::string path_rule =
      "MLflow treats keys as file paths, so a key must not start with '/' or '..', end with '/', "
      "or have an empty, '.' or '..' part between slashes, got ";
  for (const std::string k :
       {"/tag", "tag/", "a//b", "./tag", "a/./b", "a/../b", ".", "..", "..tag"}) {
    CHECK(error(k) == at + path_rule + "'" + k + "'");
  }
  CHECK(error("mlflow.runName") == at + "the mlflow. prefix is reserved for MLflow's own tags");
  CHECK(error("gdsweep.study") == at + "the gdsweep. prefix is reserved for the tags gdsweep sets "
                                       "(except gdsweep.tag, the default)");
}

TEST_CASE("objective_source: output or tracking; tracking wins over trial.result") {
  ScopedEnv env(kUriVariable, "http://h");
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  objective_source: trakcing\n")) ==
        "study.yaml:8:21: tracking.objective_source: expected one of output, tracking, got "
        "'trakcing'; did you mean 'tracking'?");
  StudySpec spec = ParseTracking(std::string(kTrackingStudy) + "  result: file\n" +
                                 "tracking: {objective_source: tracking}\n");
  CHECK(spec.trial.result_source == ResultSource::kFile);
  CHECK(spec.tracking->objective_source == ObjectiveSource::kTracking);
}

TEST_CASE("unknown keys and a section that is not a mapping") {
  ScopedEnv env(kUriVariable, "http://h");
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  url: http://h\n")) ==
        "study.yaml:8:3: tracking.url: unknown key; did you mean 'uri'?");
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  tagkey: t\n")) ==
        "study.yaml:8:3: tracking.tagkey: unknown key; did you mean 'tag_key'?");
  CHECK(TrackingErrorOf(WithTracking("tracking:\n  run_name: x\n")) ==
        "study.yaml:8:3: tracking.run_name: unknown key; expected one of: uri, experiment, "
        "artifact_location, tag_key, objective_source");
  CHECK(TrackingErrorOf(WithTracking("tracking: http://h\n")) ==
        "study.yaml:7:11: tracking: expected a mapping, got 'http://h'");
  CHECK(TrackingErrorOf(WithTracking("trackng: {}\n")) ==
        "study.yaml:7:1: trackng: unknown key; did you mean 'tracking'?");
}

TEST_CASE("objective metrics must be keys MLflow accepts") {
  ScopedEnv env(kUriVariable, "http://h");
  const std::string text = R"(study_name: s
objective: {metric: val//loss, direction: minimize}
search_space:
  lr: {type: float, low: 0.001, high: 0.1}
trial:
  command: [python3, train.py]
)";
  CHECK(ParseTracking(text).objectives[0].metric == "val//loss");  // fine without tracking
  CHECK(TrackingErrorOf(text + "tracking: {}\n") ==
        "study.yaml:7:1: tracking: the objective metric 'val//loss' cannot be logged to MLflow: "
        "MLflow treats keys as file paths, so a key must not start with '/' or '..', end with "
        "'/', or have an empty, '.' or '..' part between slashes, got 'val//loss'");
}

TEST_CASE("--set reaches every key, and its errors name the override") {
  ScopedEnv env(kUriVariable, nullptr);
  StudySpec spec =
      ParseTracking(WithTracking("tracking: {uri: http://file-uri:5000}\n"),
                    {"tracking.uri=https://other.example:8443", "tracking.tag_key=hptuning_tag",
                     "tracking.objective_source=tracking"});
  CHECK(spec.tracking->uri == "https://other.example:8443");
  CHECK(spec.tracking->tag_key == "hptuning_tag");
  CHECK(spec.tracking->objective_source == ObjectiveSource::kTracking);
  // --set creates the section.
  CHECK(ParseTracking(kTrackingStudy, {"tracking.uri=http://h:5000"}).tracking->uri ==
        "http://h:5000");
  CHECK(TrackingErrorOf(kTrackingStudy, {"tracking.uri=file:/tmp/x"})
            .rfind("--set tracking.uri=file:/tmp/x: tracking.uri: gdsweep talks to", 0) == 0);
  CHECK(TrackingErrorOf(kTrackingStudy, {"tracking.uri=http://h", "tracking.tag_key=mlflow.x"}) ==
        "--set tracking.tag_key=mlflow.x: tracking.tag_key: the mlflow. prefix is reserved for "
        "MLflow's own tags");
}

}  // namespace gdsweep
