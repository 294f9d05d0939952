#include "sweeper/spec/placeholders.h"

#include <doctest/doctest.h>

#include <map>

namespace gdsweep {
namespace {

Result<std::string> Expand(const std::string& text) {
  const std::map<std::string, std::string, std::less<>> values = {
      {"train.lr", "0.001"}, {"trial.number", "7"}, {"tag", "v1"}, {"opt", "adam"}};
  return ExpandPlaceholders(text, [&](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  });
}

}  // namespace

TEST_CASE("placeholders are found with their offsets; doubled braces are literal") {
  auto names = PlaceholderNames("--lr={train.lr} {{x}} {tag}-{trial.number}{tag}");
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>{"train.lr", "tag", "trial.number", "tag"});

  PlaceholderScan scan = ScanPlaceholders("a{b}{{c}}{d}");
  CHECK_FALSE(scan.error_offset.has_value());
  REQUIRE(scan.placeholders.size() == 2);
  CHECK(scan.placeholders[0].name == "b");
  CHECK(scan.placeholders[0].offset == 1);
  CHECK(scan.placeholders[1].name == "d");
  CHECK(scan.placeholders[1].offset == 9);

  CHECK(PlaceholderNames("no braces")->empty());
  CHECK(PlaceholderNames("{{}}")->empty());
}

TEST_CASE("unbalanced and empty braces are errors naming the 1-based column") {
  CHECK(PlaceholderNames("ab{cd").error().message ==
        "column 3: unmatched '{' (write '{{' and '}}' for literal braces)");
  CHECK(PlaceholderNames("x}").error().message ==
        "column 2: unmatched '}' (write '{{' and '}}' for literal braces)");
  CHECK(PlaceholderNames("{a{b}}").error().message ==
        "column 1: unmatched '{' (write '{{' and '}}' for literal braces)");
  CHECK(PlaceholderNames("{a}}").error().message ==
        "column 4: unmatched '}' (write '{{' and '}}' for literal braces)");
  CHECK(PlaceholderNames("--x={}").error().message ==
        "column 5: empty placeholder '{}' (write '{{' and '}}' for literal braces)");
  PlaceholderScan scan = ScanPlaceholders("{ok} {bad");
  CHECK(scan.error_offset == 5u);
  CHECK(scan.placeholders.empty());
}

TEST_CASE("expansion replaces placeholders and unescapes braces") {
  CHECK(*Expand("--lr={train.lr}") == "--lr=0.001");
  CHECK(*Expand("run-{tag}-{trial.number}") == "run-v1-7");
  CHECK(*Expand("{{\"opt\": \"{opt}\"}}") == "{\"opt\": \"adam\"}");
  CHECK(*Expand("{{{opt}}}") == "{adam}");
  CHECK(*Expand("plain") == "plain");
  CHECK(*Expand("") == "");
}

TEST_CASE("expansion fails on an unknown placeholder or a bad brace") {
  auto unknown = Expand("--lr={train.lrr}");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().kind == Error::Kind::kInvalidInput);
  CHECK(unknown.error().message == "unknown placeholder '{train.lrr}'");
  CHECK(Expand("{opt").error().message ==
        "column 1: unmatched '{' (write '{{' and '}}' for literal braces)");
}

TEST_CASE("the built-in placeholder names") {
  CHECK(BuiltinPlaceholders().size() == 6);
  CHECK(IsBuiltinPlaceholder("trial.number"));
  CHECK(IsBuiltinPlaceholder("trial.id"));
  CHECK(IsBuiltinPlaceholder("trial.attempt"));
  CHECK(IsBuiltinPlaceholder("trial.dir"));
  CHECK(IsBuiltinPlaceholder("study.name"));
  CHECK(IsBuiltinPlaceholder("tag"));
  CHECK_FALSE(IsBuiltinPlaceholder("trial"));
  CHECK_FALSE(IsBuiltinPlaceholder("train.lr"));
}

}  // namespace gdsweep
