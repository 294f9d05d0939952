#include "storage/optuna_codec.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>

namespace gdsweep::storage {
namespace {

TEST_CASE("datetimes are Optuna's local 'YYYY-MM-DD HH:MM:SS.ffffff' and read back") {
  const double t = 1700000000.123456;
  const std::string text = FormatDatetime(t);
  REQUIRE(text.size() == 26);
  CHECK(text[4] == '-');
  CHECK(text[10] == ' ');
  CHECK(text.substr(19) == ".123456");
  // Local time, as Python's datetime.now() that Optuna stores.
  time_t whole = 1700000000;
  std::tm tm{};
  localtime_r(&whole, &tm);
  char expected[32];
  std::strftime(expected, sizeof expected, "%Y-%m-%d %H:%M:%S", &tm);
  CHECK(text.substr(0, 19) == expected);
  auto back = ParseDatetime(text);
  REQUIRE(back.has_value());
  CHECK(std::abs(*back - t) < 1e-6);
  // SQLAlchemy also reads values without a fraction; so do we.
  auto no_fraction = ParseDatetime(text.substr(0, 19));
  REQUIRE(no_fraction.has_value());
  CHECK(*no_fraction == 1700000000.0);
  CHECK(FormatDatetime(1700000000.9999996).substr(17) == "21.000000");  // carries a second
  CHECK_FALSE(ParseDatetime("yesterday").has_value());
}

TEST_CASE("values and intermediate values use Optuna's type tags") {
  CHECK(EncodeValue(1.5) == std::pair<std::optional<double>, const char*>{1.5, "FINITE"});
  CHECK(std::string(EncodeValue(HUGE_VAL).second) == "INF_POS");
  CHECK_FALSE(EncodeValue(HUGE_VAL).first.has_value());
  CHECK(std::string(EncodeValue(-HUGE_VAL).second) == "INF_NEG");
  CHECK(std::string(EncodeIntermediate(std::nan("")).second) == "NAN");
  CHECK_FALSE(EncodeIntermediate(std::nan("")).first.has_value());
  CHECK(DecodeValue(2.0, "FINITE") == 2.0);
  CHECK(DecodeValue(std::nullopt, "INF_POS") == HUGE_VAL);
  CHECK(DecodeValue(std::nullopt, "INF_NEG") == -HUGE_VAL);
  CHECK(std::isnan(*DecodeValue(std::nullopt, "NAN")));
  CHECK_FALSE(DecodeValue(1.0, "WHAT").has_value());
}

TEST_CASE("space and objectives round-trip through their JSON columns") {
  SearchSpace space = {
      {"train.lr", FloatDistribution{1e-4, 1, true, std::nullopt}},
      {"b", FloatDistribution{0, 1, false, 0.25}},
      {"a", IntDistribution{0, 10, false, 2}},
      {"c", CategoricalDistribution{{Choice{}, Choice{true}, Choice{int64_t{3}}, Choice{1.5},
                                     Choice{std::string("x")}}}},
  };
  auto back = SpaceFromJson(SpaceToJson(space));
  REQUIRE(back.ok());
  CHECK(*back == space);  // order kept: it fixes the sampling order
  std::vector<Objective> objectives = {{"loss", Direction::kMinimize},
                                       {"acc", Direction::kMaximize}};
  CHECK(nlohmann::json::parse(ObjectivesToJson(objectives)) ==
        nlohmann::json::parse(R"([{"metric": "loss", "direction": "MINIMIZE"},
                                  {"metric": "acc", "direction": "MAXIMIZE"}])"));
  auto objectives_back = ObjectivesFromJson(ObjectivesToJson(objectives));
  REQUIRE(objectives_back.ok());
  CHECK(*objectives_back == objectives);
  CHECK_FALSE(SpaceFromJson("not json").ok());
  CHECK_FALSE(ObjectivesFromJson(R"([{"metric": "x", "direction": "SIDEWAYS"}])").ok());
}

TEST_CASE("fixed_params holds external values, as enqueue_trial writes them") {
  std::vector<StoredParam> params = {
      {"lr", ToOptunaJson(FloatDistribution{0, 1, false, std::nullopt}), 0.5},
      {"n", ToOptunaJson(IntDistribution{1, 9, false, 1}), 3.0},
      {"opt", ToOptunaJson(CategoricalDistribution{{Choice{std::string("adam")}, Choice{true}}}),
       1.0},
  };
  CHECK(nlohmann::json::parse(FixedParamsJson(params)) ==
        nlohmann::json::parse(R"({"lr": 0.5, "n": 3, "opt": true})"));
  CHECK(AppendToIntList(std::nullopt, 4) == "[4]");
  CHECK(AppendToIntList(std::string("[1,2]"), 4) == "[1,2,4]");
}

TEST_CASE("distributions are described for conflict messages") {
  CHECK(DescribeDistribution(FloatDistribution{0.001, 1, true, std::nullopt}) ==
        "FloatDistribution(low=0.001, high=1.0, log=true, step=None)");
  CHECK(DescribeDistribution(IntDistribution{1, 9, false, 2}) ==
        "IntDistribution(low=1, high=9, log=false, step=2)");
  CHECK(DescribeDistribution(
            CategoricalDistribution{{Choice{std::string("a")}, Choice{}, Choice{false}}}) ==
        "CategoricalDistribution(choices=[a, null, false])");
}

}  // namespace
}  // namespace gdsweep::storage
