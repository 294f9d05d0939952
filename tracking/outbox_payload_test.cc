// The outbox payloads as storage writes them (storage/outbox_writer.cc), read back.
#include "tracking/outbox_payload.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

namespace gdsweep {
namespace {

TEST_CASE("run_started: params as text, retry_of optional") {
  auto p =
      ParseRunStarted(R"({"number": 4, "attempt": 2, "retry_of": 1, "start_time": 1700000000.125,)"
                      R"( "params": {"lr": "0.001", "opt": "adam"}})");
  REQUIRE(p.ok());
  CHECK(p->number == 4);
  CHECK(p->attempt == 2);
  CHECK(p->retry_of == 1);
  CHECK(p->start_time == 1700000000.125);
  CHECK(p->params == std::map<std::string, std::string>{{"lr", "0.001"}, {"opt", "adam"}});
  auto fresh = ParseRunStarted(R"({"number": 0, "attempt": 1, "start_time": 1, "params": {}})");
  REQUIRE(fresh.ok());
  CHECK_FALSE(fresh->retry_of.has_value());
}

TEST_CASE("intermediate and run_finished: non-finite numbers as strings") {
  auto i =
      ParseIntermediate(R"({"time": 12.5, "points": [[0, "NaN"], [3, "Infinity"], [7, 0.5]]})");
  REQUIRE(i.ok());
  CHECK(i->time == 12.5);
  REQUIRE(i->points.size() == 3);
  CHECK(std::isnan(i->points.at(0)));
  CHECK(i->points.at(3) == std::numeric_limits<double>::infinity());
  CHECK(i->points.at(7) == 0.5);

  auto f = ParseRunFinished(
      R"({"state": "COMPLETE", "values": ["-Infinity", 2], "end_time": 20, "reason": "",)"
      R"( "interrupted": false, "points": []})");
  REQUIRE(f.ok());
  CHECK(f->state == TrialState::kComplete);
  CHECK(f->values == std::vector<double>{-std::numeric_limits<double>::infinity(), 2});
  CHECK(f->end_time == 20);
  CHECK_FALSE(f->interrupted);
  CHECK(f->points.empty());

  auto killed = ParseRunFinished(
      R"({"state": "FAIL", "values": [], "end_time": 3, "reason": "interrupted", "interrupted": true})");
  REQUIRE(killed.ok());
  CHECK(killed->state == TrialState::kFail);
  CHECK(killed->interrupted);
  CHECK(killed->reason == "interrupted");
}

TEST_CASE("a malformed payload is invalid input naming what is wrong") {
  auto missing = ParseRunStarted(R"({"number": 1, "attempt": 1, "params": {}})");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == Error::Kind::kInvalidInput);
  CHECK(missing.error().message.find("start_time") != std::string::npos);
  auto number =
      ParseRunStarted(R"({"number": 1, "attempt": 1, "start_time": 0, "params": {"lr": 0.1}})");
  REQUIRE_FALSE(number.ok());
  CHECK(number.error().message.find("params.lr") != std::string::npos);
  auto state = ParseRunFinished(R"({"state": "RUNNING", "end_time": 1})");
  REQUIRE_FALSE(state.ok());
  CHECK(state.error().message.find("RUNNING") != std::string::npos);
  auto point = ParseIntermediate(R"({"time": 1, "points": [[1, "nan"]]})");
  REQUIRE_FALSE(point.ok());
  CHECK_FALSE(ParseIntermediate("not json").ok());
  CHECK_FALSE(ParseIntermediate("[1, 2]").ok());
}

}  // namespace
}  // namespace gdsweep
