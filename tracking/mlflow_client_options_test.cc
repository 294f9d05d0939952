// The MLflow client's parts that need no server: tracking URIs, options from
// MLflow's environment variables, log-batch splitting and filter quoting.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "tracking/mlflow_client.h"

namespace gdsweep::mlflow {
namespace {

// The error message of a failed result, for test messages.
template <typename R>
std::string OptionsWhy(const R& r) {
  return r.ok() ? "" : r.error().message;
}

// Sets (or, with nullopt, unsets) environment variables, restoring them on exit.
class ScopedEnv {
 public:
  explicit ScopedEnv(const std::map<std::string, std::optional<std::string>>& vars) {
    for (const auto& [name, value] : vars) {
      const char* old = std::getenv(name.c_str());
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
      Set(name, value);
    }
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) Set(name, value);
  }

 private:
  static void Set(const std::string& name, const std::optional<std::string>& value) {
    if (value) {
      ::setenv(name.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
  std::map<std::string, std::optional<std::string>> saved_;
};

const std::map<std::string, std::optional<std::string>> kNoMlflowEnv = {
    {"MLFLOW_TRACKING_TOKEN", std::nullopt},
    {"MLFLOW_TRACKING_USERNAME", std::nullopt},
    {"MLFLOW_TRACKING_PASSWORD", std::nullopt},
    {"MLFLOW_TRACKING_INSECURE_TLS", std::nullopt},
    {"MLFLOW_TRACKING_SERVER_CERT_PATH", std::nullopt},
    {"MLFLOW_TRACKING_CLIENT_CERT_PATH", std::nullopt}};

std::map<std::string, std::optional<std::string>> With(
    std::map<std::string, std::optional<std::string>> changes) {
  auto vars = kNoMlflowEnv;
  for (auto& [k, v] : changes) vars[k] = v;
  return vars;
}

TEST_CASE("OptionsFromEnvironment reads MLflow's variables") {
  SUBCASE("nothing set: no credentials, verified TLS") {
    ScopedEnv env(kNoMlflowEnv);
    auto o = OptionsFromEnvironment("https://mlflow.example.com:5000/prefix/");
    REQUIRE_MESSAGE(o.ok(), OptionsWhy(o));
    CHECK(o->tracking_uri == "https://mlflow.example.com:5000/prefix/");
    CHECK(o->token.empty());
    CHECK(o->username.empty());
    CHECK(o->password.empty());
    CHECK_FALSE(o->insecure_tls);
    CHECK(o->server_cert_path.empty());
  }
  SUBCASE("token and basic credentials") {
    ScopedEnv env(With({{"MLFLOW_TRACKING_TOKEN", "tok"},
                        {"MLFLOW_TRACKING_USERNAME", "ann"},
                        {"MLFLOW_TRACKING_PASSWORD", "pw"}}));
    auto o = OptionsFromEnvironment("http://127.0.0.1:5000");
    REQUIRE(o.ok());
    CHECK(o->token == "tok");
    CHECK(o->username == "ann");
    CHECK(o->password == "pw");
  }
  SUBCASE("insecure TLS: true, 1, TRUE; false and 0 are off; anything else refused") {
    for (const char* yes : {"true", "1", "TRUE", "True"}) {
      ScopedEnv env(With({{"MLFLOW_TRACKING_INSECURE_TLS", yes}}));
      auto o = OptionsFromEnvironment("https://h");
      REQUIRE(o.ok());
      CHECK(o->insecure_tls);
    }
    for (const char* no : {"false", "0", ""}) {
      ScopedEnv env(With({{"MLFLOW_TRACKING_INSECURE_TLS", no}}));
      auto o = OptionsFromEnvironment("https://h");
      REQUIRE(o.ok());
      CHECK_FALSE(o->insecure_tls);
    }
    ScopedEnv env(With({{"MLFLOW_TRACKING_INSECURE_TLS", "yes please"}}));
    auto o = OptionsFromEnvironment("https://h");
    REQUIRE_FALSE(o.ok());
    CHECK(o.error().kind == Error::Kind::kInvalidInput);
    CHECK(o.error().message.find("MLFLOW_TRACKING_INSECURE_TLS") != std::string::npos);
  }
  SUBCASE("a CA bundle that exists; not together with insecure TLS; a missing file refused") {
    const auto ca = std::filesystem::temp_directory_path() / "gdsweep-mlflow-test-ca.pem";
    std::ofstream(ca) << "-----BEGIN CERTIFICATE-----\n";
    {
      ScopedEnv env(With({{"MLFLOW_TRACKING_SERVER_CERT_PATH", ca.string()}}));
      auto o = OptionsFromEnvironment("https://h");
      REQUIRE(o.ok());
      CHECK(o->server_cert_path == ca.string());
    }
    {
      ScopedEnv env(With({{"MLFLOW_TRACKING_SERVER_CERT_PATH", ca.string()},
                          {"MLFLOW_TRACKING_INSECURE_TLS", "true"}}));
      auto o = OptionsFromEnvironment("https://h");
      REQUIRE_FALSE(o.ok());
      CHECK(o.error().kind == Error::Kind::kInvalidInput);
    }
    std::filesystem::remove(ca);
    ScopedEnv env(With({{"MLFLOW_TRACKING_SERVER_CERT_PATH", ca.string()}}));
    auto o = OptionsFromEnvironment("https://h");
    REQUIRE_FALSE(o.ok());
    CHECK(o.error().message.find("no such file") != std::string::npos);
  }
  SUBCASE("a username without a password (or the reverse) is refused, without the password") {
    {
      ScopedEnv env(With({{"MLFLOW_TRACKING_USERNAME", "ann"}}));
      auto o = OptionsFromEnvironment("http://h");
      REQUIRE_FALSE(o.ok());
      CHECK(o.error().message.find("MLFLOW_TRACKING_PASSWORD") != std::string::npos);
    }
    ScopedEnv env(With({{"MLFLOW_TRACKING_PASSWORD", "hunter2-secret"}}));
    auto o = OptionsFromEnvironment("http://h");
    REQUIRE_FALSE(o.ok());
    CHECK(o.error().message.find("hunter2-secret") == std::string::npos);
  }
}

TEST_CASE("tracking URIs that are not MLflow REST servers are refused, saying why") {
  ScopedEnv env(kNoMlflowEnv);
  for (const char* uri :
       {"file:///tmp/mlruns", "file:/tmp/mlruns", "./mlruns", "mlruns", "/abs/mlruns", "databricks",
        "databricks://profile", "sqlite:///mlflow.db", "postgresql://u:dbsecret@db/mlflow", "",
        "http://", "http:/host", "https://:5000", "http://h/x?y=1", "ftp://h"}) {
    CAPTURE(uri);
    auto o = OptionsFromEnvironment(uri);
    REQUIRE_FALSE(o.ok());
    CHECK(o.error().kind == Error::Kind::kInvalidInput);
    CHECK(o.error().message.find("dbsecret") == std::string::npos);
    CHECK(CheckTrackingUri(uri).error().message == o.error().message);
  }
  auto file = OptionsFromEnvironment("file:///tmp/mlruns");
  CHECK(file.error().message.find("REST API") != std::string::npos);
  CHECK(file.error().message.find("tracking server") != std::string::npos);
  for (const char* uri : {"http://127.0.0.1:5000", "HTTPS://mlflow.example.com/",
                          "http://user:pw@host:80/prefix", "http://[::1]:5000"}) {
    CAPTURE(uri);
    CHECK(CheckTrackingUri(uri).ok());
  }
}

TEST_CASE("issue 11.13: a tracking URI without a scheme does not print its password") {
  ScopedEnv env(kNoMlflowEnv);
  for (const char* uri :
       {"alice:PASS-9x@host:5000", "alice:PASS-9x@host:5000/prefix", "alice:PASS-9x@10.0.0.7"}) {
    CAPTURE(uri);
    auto o = OptionsFromEnvironment(uri);
    REQUIRE_FALSE(o.ok());
    CHECK(o.error().kind == Error::Kind::kInvalidInput);
    CHECK(o.error().message.find("PASS-9x") == std::string::npos);
    CHECK(o.error().message.find("has no scheme") != std::string::npos);
    ClientOptions options;
    options.tracking_uri = uri;
    auto id = Client(options).GetExperimentIdByName("x");
    REQUIRE_FALSE(id.ok());
    CHECK(id.error().message.find("PASS-9x") == std::string::npos);
  }
}

TEST_CASE("a client of a bad URI fails every call as invalid input, sending nothing") {
  ClientOptions o;
  o.tracking_uri = "file:///tmp/mlruns";
  Client client(o);
  auto id = client.GetExperimentIdByName("x");
  REQUIRE_FALSE(id.ok());
  CHECK(id.error().kind == Error::Kind::kInvalidInput);
  auto batch = client.LogBatch("r", {{"m", 1, 0, 0}}, {}, {});
  CHECK(batch.error().kind == Error::Kind::kInvalidInput);
}

TEST_CASE("SplitBatch keeps within MLflow's limits in as few parts as possible") {
  std::vector<Metric> metrics;
  for (int i = 0; i < 2500; ++i) metrics.push_back({"m", double(i), 1000 + i, i});
  std::vector<Tag> params, tags;
  for (int i = 0; i < 250; ++i) params.push_back({"p" + std::to_string(i), std::to_string(i)});
  for (int i = 0; i < 150; ++i) tags.push_back({"t" + std::to_string(i), "v"});

  const auto parts = SplitBatch(metrics, params, tags);
  CHECK(parts.size() == 3);  // 2900 items need 3 requests of at most 1000
  std::vector<Metric> all_metrics;
  std::vector<Tag> all_params, all_tags;
  for (const auto& p : parts) {
    CHECK(p.metrics.size() <= 1000);
    CHECK(p.params.size() <= 100);
    CHECK(p.tags.size() <= 100);
    CHECK(p.metrics.size() + p.params.size() + p.tags.size() <= 1000);
    all_metrics.insert(all_metrics.end(), p.metrics.begin(), p.metrics.end());
    all_params.insert(all_params.end(), p.params.begin(), p.params.end());
    all_tags.insert(all_tags.end(), p.tags.begin(), p.tags.end());
  }
  REQUIRE(all_metrics.size() == metrics.size());
  for (size_t i = 0; i < metrics.size(); ++i) CHECK(all_metrics[i].step == metrics[i].step);
  REQUIRE(all_params.size() == params.size());
  for (size_t i = 0; i < params.size(); ++i) CHECK(all_params[i].key == params[i].key);
  CHECK(all_tags.size() == tags.size());

  CHECK(SplitBatch({}, {}, {}).empty());
  CHECK(SplitBatch({}, params, {}).size() == 3);  // 100 params per call
  CHECK(SplitBatch(std::vector<Metric>(1000), {}, {}).size() == 1);
  CHECK(SplitBatch(std::vector<Metric>(1000), {{"p", "v"}}, {}).size() == 2);
  CHECK(SplitBatch(std::vector<Metric>(5), {}, {}, BatchLimits{2, 2, 2, 2}).size() == 3);
  CHECK(SplitBatch(std::vector<Metric>(5), {}, {}, BatchLimits{0, 0, 0, 0}).empty());
}

TEST_CASE("filter keys are backticked and values quoted the way MLflow reads them") {
  CHECK(FilterKey("tags", "gdsweep.tag") == "tags.`gdsweep.tag`");
  CHECK(FilterKey("tags.", "hptuning_tag") == "tags.`hptuning_tag`");
  CHECK(FilterKey("metrics", "val/loss") == "metrics.`val/loss`");
  CHECK(FilterKey("tags", "odd`key") == "tags.\"odd`key\"");

  CHECK(FilterString("sweep-1") == "'sweep-1'");
  CHECK(FilterString("") == "''");
  CHECK(FilterString("it's") == "\"it's\"");  // MLflow has no escapes: switch quotes
  CHECK(FilterString("say \"hi\"") == "'say \"hi\"'");
  CHECK(FilterStringExpressible("a\\b"));
  CHECK(FilterString("a\\b") == "'a\\b'");
  CHECK_FALSE(FilterStringExpressible("it's \"both\""));
  CHECK(FilterString("it's \"both\"") == "");
  CHECK_FALSE(FilterStringExpressible("ends in \\"));
  CHECK(FilterString("ends in \\") == "");
}

}  // namespace
}  // namespace gdsweep::mlflow
