#include "sweeper/model/distribution.h"

#include <doctest/doctest.h>

namespace gdsweep {

TEST_CASE("validation rejects what Optuna rejects, and a step that does not fit") {
  CHECK(Validate(FloatDistribution{0, 1, false, std::nullopt}).ok());
  CHECK_FALSE(Validate(FloatDistribution{1, 1, false, std::nullopt}).ok());
  CHECK_FALSE(Validate(FloatDistribution{0, 1, true, std::nullopt}).ok());
  CHECK_FALSE(Validate(FloatDistribution{0.1, 1, true, 0.1}).ok());
  CHECK_FALSE(Validate(FloatDistribution{0, 1, false, 2.0}).ok());
  CHECK_FALSE(Validate(FloatDistribution{0, 1, false, 0.3}).ok());
  CHECK(Validate(FloatDistribution{0.2, 0.35, false, 0.025}).ok());
  CHECK_FALSE(Validate(IntDistribution{1, 10, false, 4}).ok());
  CHECK(Validate(IntDistribution{1, 9, false, 4}).ok());
  CHECK_FALSE(Validate(IntDistribution{0, 9, true, 1}).ok());
  CHECK_FALSE(Validate(CategoricalDistribution{}).ok());
  CHECK_FALSE(Validate(CategoricalDistribution{{Choice{"a"}, Choice{"a"}}}).ok());
  CHECK(Validate(CategoricalDistribution{{Choice{int64_t{1}}, Choice{true}, Choice{}}}).ok());
}

TEST_CASE("grid points, containment and snapping agree") {
  Distribution f = FloatDistribution{0.2, 0.35, false, 0.025};
  REQUIRE(GridSize(f) == 7);
  for (int64_t i = 0; i < 7; ++i) CHECK(Contains(f, GridValue(f, i)));
  CHECK(GridValue(f, 6) == doctest::Approx(0.35));
  CHECK_FALSE(Contains(f, 0.21));
  CHECK(Snap(f, 0.21) == doctest::Approx(0.2));
  CHECK(Snap(f, 9.0) == doctest::Approx(0.35));

  Distribution i = IntDistribution{1, 9, false, 4};
  CHECK(GridSize(i) == 3);
  CHECK(GridValue(i, 2) == 9);
  CHECK_FALSE(Contains(i, 2));
  CHECK(Snap(i, 6.5) == 5);
  CHECK(Snap(i, 7.5) == 9);
  CHECK_FALSE(GridSize(FloatDistribution{0, 1, false, std::nullopt}).has_value());
}

TEST_CASE("doubles print as Python's repr does") {
  CHECK(FormatDouble(0.0001) == "0.0001");
  CHECK(FormatDouble(1e-5) == "1e-05");
  CHECK(FormatDouble(3.0) == "3.0");
  CHECK(FormatDouble(-2.5) == "-2.5");
  CHECK(FormatDouble(123456.789) == "123456.789");
  CHECK(FormatDouble(1e16) == "1e+16");
  CHECK(FormatDouble(0.1 + 0.2) == "0.30000000000000004");
  CHECK(FormatDouble(0.0) == "0.0");
}

TEST_CASE("values are formatted the way a command line expects") {
  CHECK(FormatValue(FloatDistribution{1e-5, 1, true, std::nullopt}, 1e-4) == "0.0001");
  CHECK(FormatValue(IntDistribution{1, 8, false, 1}, 3.0) == "3");
  Distribution c = CategoricalDistribution{{Choice{"adam"}, Choice{true}, Choice{}, Choice{2.5}}};
  CHECK(FormatValue(c, 0) == "adam");
  CHECK(FormatValue(c, 1) == "true");
  CHECK(FormatValue(c, 2) == "null");
  CHECK(FormatValue(c, 3) == "2.5");
}

TEST_CASE("Optuna JSON round-trips, and Optuna 2 names are read") {
  std::vector<Distribution> all = {
      FloatDistribution{-1, 1, false, std::nullopt}, FloatDistribution{1e-3, 1, true, std::nullopt},
      FloatDistribution{0, 1, false, 0.25}, IntDistribution{1, 10, true, 1},
      CategoricalDistribution{{Choice{"a"}, Choice{int64_t{1}}, Choice{true}, Choice{}, Choice{2.5}}}};
  for (const auto& d : all) {
    auto back = FromOptunaJson(ToOptunaJson(d));
    REQUIRE(back.ok());
    CHECK(*back == d);
  }
  // The exact text Optuna 3.1 stores.
  auto opt = FromOptunaJson(
      R"({"name": "IntDistribution", "attributes": {"log": true, "step": 1, "low": 1, "high": 10}})");
  REQUIRE(opt.ok());
  CHECK(*opt == Distribution{IntDistribution{1, 10, true, 1}});
  auto old = FromOptunaJson(R"({"name": "LogUniformDistribution", "attributes": {"low": 0.001, "high": 1.0}})");
  REQUIRE(old.ok());
  CHECK(*old == Distribution{FloatDistribution{0.001, 1.0, true, std::nullopt}});
  CHECK_FALSE(FromOptunaJson("{}").ok());
}

}  // namespace gdsweep
