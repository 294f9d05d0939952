#include "backends/kubernetes/yaml_json.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

namespace gdsweep {
namespace {

using Json = nlohmann::json;

TEST_CASE("YAML to JSON with the core schema; quoted scalars stay strings") {
  auto j = YamlToJson(R"(
a: 1
b: "1"
c: true
d: 'true'
e: ~
f: 1.5e3
g: [x, "y", 3]
h: {k: v}
i: 0x1f
j: yes
k: |
  two
  lines
)",
                      "t.yaml");
  REQUIRE(j.ok());
  CHECK(Json::parse(*j) == Json::parse(R"({"a":1,"b":"1","c":true,"d":"true","e":null,
      "f":1500.0,"g":["x","y",3],"h":{"k":"v"},"i":31,"j":"yes","k":"two\nlines\n"})"));
}

TEST_CASE("YAML errors say where") {
  auto j = YamlToJson("a: [1, 2\nb: 3\n", "kube.yaml");
  REQUIRE_FALSE(j.ok());
  CHECK(j.error().message.rfind("kube.yaml:", 0) == 0);
}

TEST_CASE("JSON to YAML quotes what would change type, and reads back the same") {
  const std::string json = R"js({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"x",
      "labels":{"gdsweep.io/trial":"7"}},"spec":{"backoffLimit":0,"template":{"spec":{
      "containers":[{"name":"t","command":["python3","-c","print('a: b')","1","true","null",""],
      "env":[{"name":"N","value":"3"},{"name":"M","value":"line1\nline2"}],
      "resources":{"limits":{"nvidia.com/gpu":"1"}}}],"volumes":[],"nodeSelector":{}}}},
      "ratio":0.25,"flag":false,"none":null})js";
  auto yaml = JsonToYaml(json);
  REQUIRE(yaml.ok());
  CHECK(yaml->find("kind: Job") != std::string::npos);
  CHECK(yaml->find("gdsweep.io/trial: \"7\"") != std::string::npos);
  CHECK(yaml->find("backoffLimit: 0") != std::string::npos);
  auto back = YamlToJson(*yaml, "rendered");
  REQUIRE(back.ok());
  CHECK(Json::parse(*back) == Json::parse(json));
}

}  // namespace
}  // namespace gdsweep
