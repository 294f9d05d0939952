#include "sweeper/spec/yaml_reader.h"

#include <doctest/doctest.h>

namespace gdsweep {

TEST_CASE("nodes keep 1-based file positions, kinds and quoting") {
  auto doc = ReadYaml("a: 1\nb: \"x y\"\nc: [p, 'q']\nd:\n  e: ~\n", "f.yaml");
  REQUIRE(doc.ok());
  REQUIRE(doc->IsMapping());
  REQUIRE(doc->entries.size() == 4);
  const YamlEntry& a = doc->entries[0];
  CHECK(a.key == "a");
  CHECK(ToString(a.key_location) == "f.yaml:1:1");
  CHECK(ToString(a.value.location) == "f.yaml:1:4");
  CHECK(a.value.scalar == "1");
  CHECK_FALSE(a.value.quoted);

  const YamlNode& b = doc->Find("b")->value;
  CHECK(b.scalar == "x y");
  CHECK(b.quoted);
  CHECK(b.location.column == 4);
  CHECK(b.text_column == 5);  // after the opening quote

  const YamlNode& c = doc->Find("c")->value;
  REQUIRE(c.IsSequence());
  REQUIRE(c.items.size() == 2);
  CHECK(ToString(c.items[1].location) == "f.yaml:3:8");
  CHECK(c.items[1].quoted);

  const YamlNode& e = doc->Find("d")->value.Find("e")->value;
  CHECK(e.IsNull());
  CHECK(ToString(e.location) == "f.yaml:5:6");
  CHECK(doc->Find("zzz") == nullptr);
}

TEST_CASE("an empty value is located at its key, not at whatever follows") {
  auto doc = ReadYaml("budget:\ntrial: 1\n", "f.yaml");
  REQUIRE(doc.ok());
  const YamlNode& budget = doc->Find("budget")->value;
  CHECK(budget.IsNull());
  CHECK(ToString(budget.location) == "f.yaml:1:1");
}

TEST_CASE("escaped and multi-line scalars have no exact inner column") {
  auto doc = ReadYaml("a: \"x\\ty\"\nb: |\n  line\nc: !!str 5\nd: plain\n", "f.yaml");
  REQUIRE(doc.ok());
  CHECK(doc->Find("a")->value.text_column == 0);
  CHECK(doc->Find("b")->value.text_column == 0);
  CHECK(doc->Find("b")->value.quoted);
  CHECK(doc->Find("c")->value.quoted);  // !!str forces a string
  CHECK(doc->Find("d")->value.text_column == 4);
}

TEST_CASE("syntax errors, duplicate keys, odd keys and extra documents are located") {
  CHECK(ReadYaml("a: [1,\nb: 2", "f.yaml").error().message ==
        "f.yaml:2:1: YAML syntax error: end of sequence flow not found");
  CHECK(ReadYaml("a: 1\nb:\n  c: 1\n  c: 2\n", "f.yaml").error().message ==
        "f.yaml:4:3: duplicate key 'c' (first at line 3)");
  CHECK(ReadYaml("[a]: 1\n", "f.yaml").error().message ==
        "f.yaml:1:1: a mapping key must be a string");
  CHECK(ReadYaml("a: !!int 1\n", "f.yaml").error().message ==
        "f.yaml:1:4: unsupported YAML tag 'tag:yaml.org,2002:int'");
  CHECK(ReadYaml("a: 1\n---\nb: 2\n", "f.yaml").error().message ==
        "f.yaml:3:1: expected one YAML document, found another one here");
}

TEST_CASE("an empty document is null at line 1") {
  for (const char* text : {"", "# only a comment\n"}) {
    auto doc = ReadYaml(text, "f.yaml");
    REQUIRE(doc.ok());
    CHECK(doc->IsNull());
    CHECK(ToString(doc->location) == "f.yaml:1:1");
  }
}

TEST_CASE("a value from outside a file is located at its origin everywhere") {
  auto v = ReadYamlValue("{a: [1, x]}", YamlLocation{"--set k={a: [1, x]}", 0, 0});
  REQUIRE(v.ok());
  REQUIRE(v->IsMapping());
  const YamlNode& x = v->Find("a")->value.items[1];
  CHECK(x.scalar == "x");
  CHECK(ToString(x.location) == "--set k={a: [1, x]}");
  CHECK(x.text_column == 0);
  CHECK(ReadYamlValue("[1,", YamlLocation{"--set k=[1,", 0, 0}).error().message ==
        "--set k=[1,: YAML syntax error: end of sequence flow not found");
}

}  // namespace gdsweep
