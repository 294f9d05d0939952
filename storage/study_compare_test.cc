#include "storage/study_compare.h"

#include <doctest/doctest.h>

namespace gdsweep::storage {
namespace {

const Distribution kLr = FloatDistribution{1e-4, 1, true, std::nullopt};
const Distribution kOpt =
    CategoricalDistribution{{Choice{std::string("adam")}, Choice{std::string("sgd")}}};

TEST_CASE("equal specs have no differences") {
  SearchSpace space = {{"lr", kLr}, {"opt", kOpt}};
  CHECK(CompareSpaces(space, space).empty());
  std::vector<Objective> o = {{"loss", Direction::kMinimize}};
  CHECK(CompareObjectives(o, o).empty());
  CHECK(CompareDirections({Direction::kMinimize}, o).empty());
  CHECK(CheckDifferences("s", {}, false).ok());
}

TEST_CASE("bounds, added and removed parameters are changes") {
  SearchSpace stored = {{"lr", kLr}, {"old", IntDistribution{1, 3, false, 1}}};
  SearchSpace file = {{"lr", FloatDistribution{1e-3, 1, true, std::nullopt}},
                      {"new", IntDistribution{1, 3, false, 1}}};
  auto d = CompareSpaces(stored, file);
  CHECK(d.incompatible.empty());
  REQUIRE(d.changes.size() == 3);
  CHECK(d.changes[0] ==
        "search_space.lr: the study has FloatDistribution(low=0.0001, high=1.0, log=true, "
        "step=None), the file FloatDistribution(low=0.001, high=1.0, log=true, step=None)");
  CHECK(d.changes[1] ==
        "search_space: the study has parameter old IntDistribution(low=1, high=3, log=false, "
        "step=1), the file does not");
  CHECK(d.changes[2].rfind("search_space.new: new in the file", 0) == 0);

  auto refused = CheckDifferences("s", d, false);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == Error::Kind::kConflict);
  const std::string& message = refused.error().message;
  CHECK(message.rfind("search_space.lr: the study has ", 0) == 0);
  CHECK(message.find('\n') == std::string::npos);
  // The hint once, at the end.
  const std::string hint = "; pass --allow-changes to record the file's version in study 's'";
  CHECK(message.find("--allow-changes") == message.rfind("--allow-changes"));
  CHECK(message.substr(message.size() - hint.size()) == hint);
  CHECK(CheckDifferences("s", d, true).ok());
}

TEST_CASE("what Optuna refuses to mix stays refused") {
  CHECK_FALSE(OptunaCompatible(kLr, FloatDistribution{1e-4, 1, false, std::nullopt}));
  CHECK_FALSE(OptunaCompatible(kLr, IntDistribution{1, 3, false, 1}));
  CHECK_FALSE(OptunaCompatible(kOpt, CategoricalDistribution{{Choice{std::string("adam")}}}));
  CHECK(OptunaCompatible(kLr, FloatDistribution{1e-5, 2, true, std::nullopt}));
  CHECK(OptunaCompatible(IntDistribution{1, 3, false, 1}, IntDistribution{1, 9, false, 2}));

  auto d = CompareSpaces({{"opt", kOpt}},
                         {{"opt", CategoricalDistribution{{Choice{std::string("adam")}}}}});
  REQUIRE(d.incompatible.size() == 1);
  CHECK_FALSE(CheckDifferences("s", d, true).ok());

  auto more = CompareObjectives({{"loss", Direction::kMinimize}},
                                {{"loss", Direction::kMinimize}, {"acc", Direction::kMaximize}});
  REQUIRE(more.incompatible.size() == 1);
  CHECK(more.incompatible[0].find("number of objectives") != std::string::npos);
}

TEST_CASE("an Optuna study's trial distributions are checked against the file") {
  SearchSpace file = {{"lr", kLr}};
  CHECK(CompareTrialDistributions({{"lr", kLr}}, file).empty());
  auto other =
      CompareTrialDistributions({{"lr", FloatDistribution{1e-4, 2, true, std::nullopt}}}, file);
  REQUIRE(other.changes.size() == 1);
  CHECK(other.changes[0].rfind("search_space.lr: the study's trials have", 0) == 0);
  auto missing = CompareTrialDistributions({{"opt", kOpt}}, file);
  REQUIRE(missing.changes.size() == 1);
  CHECK(missing.changes[0].find("the file does not") != std::string::npos);
  auto flipped = CompareDirections({Direction::kMaximize}, {{"loss", Direction::kMinimize}});
  REQUIRE(flipped.changes.size() == 1);
  CHECK(flipped.changes[0] == "objectives[0]: the study has MAXIMIZE, the file loss MINIMIZE");
}

}  // namespace
}  // namespace gdsweep::storage
