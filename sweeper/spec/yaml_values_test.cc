#include "sweeper/spec/yaml_values.h"

#include <doctest/doctest.h>

#include <cmath>

namespace gdsweep {
namespace {

// The value of key `v` in a one-line document "v: TEXT".
YamlNode Value(const std::string& text) {
  auto doc = ReadYaml("v: " + text + "\n", "f.yaml");
  REQUIRE(doc.ok());
  return doc->Find("v")->value;
}

}  // namespace

TEST_CASE("plain scalars follow YAML 1.2's core schema; quoted ones are strings") {
  auto choice = [](const std::string& text) { return *ReadScalarValue(Value(text), "v"); };
  CHECK(choice("true") == Choice{true});
  CHECK(choice("False") == Choice{false});
  CHECK(choice("yes") == Choice{std::string("yes")});  // YAML 1.1's booleans are strings
  CHECK(choice("\"true\"") == Choice{std::string("true")});
  CHECK(choice("12") == Choice{int64_t{12}});
  CHECK(choice("-3") == Choice{int64_t{-3}});
  CHECK(choice("0x1F") == Choice{int64_t{31}});
  CHECK(choice("0o17") == Choice{int64_t{15}});
  CHECK(choice("1.5") == Choice{1.5});
  CHECK(choice("1e-3") == Choice{0.001});
  CHECK(choice("1.0e+2") == Choice{100.0});
  CHECK(choice(".5") == Choice{0.5});
  CHECK(choice("'12'") == Choice{std::string("12")});
  CHECK(choice("~") == Choice{});
  CHECK(choice("null") == Choice{});
  CHECK(choice("adam") == Choice{std::string("adam")});
  CHECK(choice("1.2.3") == Choice{std::string("1.2.3")});
  CHECK(std::isinf(std::get<double>(choice("-.inf"))));
  CHECK(ReadScalarValue(Value("99999999999999999999"), "v").error().message ==
        "f.yaml:1:4: v: integer '99999999999999999999' is out of range");
  CHECK(ReadScalarValue(Value("[1]"), "v").error().message ==
        "f.yaml:1:4: v: expected null, a boolean, a number or a string, got a list");
}

TEST_CASE("numbers, whole numbers, booleans and unsigned seeds") {
  CHECK(*ReadNumber(Value("3"), "v") == 3.0);
  CHECK(*ReadNumber(Value("-2.5e1"), "v") == -25.0);
  CHECK(ReadNumber(Value("abc"), "x.low").error().message ==
        "f.yaml:1:4: x.low: expected a number, got 'abc'");
  CHECK(ReadNumber(Value(".nan"), "v").error().message ==
        "f.yaml:1:4: v: expected a finite number, got '.nan'");
  CHECK(ReadNumber(Value("\"1\""), "v").error().message ==
        "f.yaml:1:4: v: expected a number, got the string \"1\"");
  CHECK(*ReadInt(Value("-7"), "v") == -7);
  CHECK(ReadInt(Value("2.0"), "v").error().message ==
        "f.yaml:1:4: v: expected a whole number, got '2.0'");
  CHECK(ReadIntIn(Value("0"), "v", 1, 9, "a digit from 1 to 9").error().message ==
        "f.yaml:1:4: v: expected a digit from 1 to 9, got '0'");
  CHECK(*ReadUint64(Value("18446744073709551615"), "v") == UINT64_MAX);
  CHECK(ReadUint64(Value("18446744073709551616"), "v").error().message ==
        "f.yaml:1:4: v: '18446744073709551616' does not fit in 64 bits");
  CHECK(ReadUint64(Value("-1"), "v").error().message ==
        "f.yaml:1:4: v: expected a non-negative whole number, got '-1'");
  CHECK(*ReadBool(Value("TRUE"), "v") == true);
  CHECK(ReadBool(Value("on"), "v").error().message ==
        "f.yaml:1:4: v: expected true or false, got 'on'");
  CHECK(ReadString(Value("~"), "v").error().message ==
        "f.yaml:1:4: v: expected a string, got null");
  CHECK(*ReadString(Value("0.10"), "v") == "0.10");  // as written
}

TEST_CASE("durations are seconds or h/m/s strings, and positive") {
  CHECK(*ReadDuration(Value("90"), "t") == 90.0);
  CHECK(*ReadDuration(Value("1.5"), "t") == 1.5);
  CHECK(*ReadDuration(Value("90s"), "t") == 90.0);
  CHECK(*ReadDuration(Value("10m"), "t") == 600.0);
  CHECK(*ReadDuration(Value("2h"), "t") == 7200.0);
  CHECK(*ReadDuration(Value("1h30m"), "t") == 5400.0);
  CHECK(*ReadDuration(Value("1h0m5s"), "t") == 3605.0);
  CHECK(*ReadDuration(Value("0.5h"), "t") == 1800.0);
  CHECK(*ReadDuration(Value("\"120\""), "t") == 120.0);
  const std::string expected = "expected a duration such as 90, 90s, 10m, 2h or 1h30m, got ";
  CHECK(ReadDuration(Value("1h10"), "t").error().message ==
        "f.yaml:1:4: t: " + expected + "'1h10'");
  CHECK(ReadDuration(Value("30m1h"), "t").error().message ==
        "f.yaml:1:4: t: " + expected + "'30m1h'");
  CHECK(ReadDuration(Value("soon"), "t").error().message ==
        "f.yaml:1:4: t: " + expected + "'soon'");
  CHECK(ReadDuration(Value("0s"), "t").error().message ==
        "f.yaml:1:4: t: a duration must be positive and finite, got '0s'");
  CHECK(ReadDuration(Value("-5"), "t").error().message ==
        "f.yaml:1:4: t: a duration must be positive and finite, got '-5'");
}

TEST_CASE("unknown keys point at the key and suggest the closest allowed one") {
  auto doc = ReadYaml("budget:\n  n_trials: 3\n  paralelism: 2\n", "f.yaml");
  REQUIRE(doc.ok());
  const YamlNode& budget = doc->Find("budget")->value;
  CHECK(CheckKeys(budget, "budget", {"n_trials", "parallelism", "timeout"}).error().message ==
        "f.yaml:3:3: budget.paralelism: unknown key; did you mean 'parallelism'?");
  CHECK(CheckKeys(budget, "budget", {"n_trials", "timeout"}).error().message ==
        "f.yaml:3:3: budget.paralelism: unknown key; expected one of: n_trials, timeout");
  CHECK(CheckKeys(budget, "budget", {"n_trials", "paralelism"}).ok());
  CHECK(MissingKey(budget, "budget", "timeout").message ==
        "f.yaml:2:3: budget: missing required key 'timeout'");
  CHECK(ReadEnum(Value("rando"), "sampler.type", {"tpe", "random", "grid"}).error().message ==
        "f.yaml:1:4: sampler.type: expected one of tpe, random, grid, got 'rando'; did you mean "
        "'random'?");
}

}  // namespace gdsweep
