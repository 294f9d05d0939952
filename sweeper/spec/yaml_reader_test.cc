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

TEST_CASE("text that is not UTF-8 is refused with its place and key path") {
  CHECK(ReadYaml("a:\n  b: [x, \"y\xffz\"]\n", "f.yaml").error().message ==
        "f.yaml:2:12: a.b[1]: the value is not valid UTF-8 (byte \\xFF at offset 1); write the "
        "study file in UTF-8");
  CHECK(ReadYaml("a:\n  k\xc3(: 1\n", "f.yaml").error().message ==
        "f.yaml:2:4: a: a key is not valid UTF-8 (byte \\xC3 at offset 1); write the study file "
        "in UTF-8");
  CHECK(ReadYamlValue("[ok, \"\xfe\"]", YamlLocation{"--set k=...", 0, 0}, "trial.command")
            .error()
            .message ==
        "--set k=...: trial.command[1]: the value is not valid UTF-8 (byte \\xFE at offset 0); "
        "write the study file in UTF-8");
  CHECK(ReadYaml("a: caf\xc3\xa9\n", "f.yaml").ok());
}

TEST_CASE("aliases copy their node, up to a limit that stops an alias bomb") {
  auto doc = ReadYaml("base: &b {type: int, low: 1, high: 3}\nx: *b\ny: *b\n", "f.yaml");
  REQUIRE(doc.ok());
  CHECK(doc->Find("y")->value.Find("high")->value.scalar == "3");
  CHECK(ToString(doc->Find("y")->value.location) == "f.yaml:1:7");  // where it is written

  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) bomb += (k ? ", *a" : "*a") + std::to_string(i - 1);
    bomb += "]\n";
  }
  auto refused = ReadYaml(bomb, "f.yaml");
  REQUIRE_FALSE(refused.ok());
  // a1 to a3 copy 12330 nodes; a4's copies of a3 (11111 nodes each) cross
  // the limit at the eighth.
  CHECK(refused.error().message ==
        "f.yaml:5:45: a4[7]: aliases expand to more than 100000 nodes; write the values out "
        "instead of nesting aliases");

  CHECK(ReadYaml("a: &a [1, *a]\n", "f.yaml").error().message ==
        "f.yaml:1:11: a[1]: an alias cannot refer to a node that contains it");
}

TEST_CASE("a tab in the indentation is called a tab, at its place and key") {
  CHECK(ReadYaml("a:\n  b: 1\n\tc: 2\n", "f.yaml").error().message ==
        "f.yaml:3:1: c: indented with a tab; YAML indents with spaces only");
  // A tab inside a value or a block scalar is text, not indentation.
  CHECK(ReadYaml("a: \"x\ty\"\nb: |\n  \tkept\n", "f.yaml").ok());
}

}  // namespace gdsweep
