// The enqueue section: points of some or all parameters, with the values as
// written; every key a parameter and every value inside its distribution,
// errors at FILE:LINE:COLUMN naming the key.
#include "sweeper/spec/study_parser_enqueue.h"

#include <doctest/doctest.h>

#include <string>

#include "sweeper/spec/parser_test_support.h"

namespace gdsweep {
namespace {

constexpr const char* kEnqueueStudy = R"(study_name: digits
objective: {metric: loss, direction: minimize}
search_space:
  lr: {type: float, low: 0.001, high: 0.1, log: true}
  layers: {type: int, low: 1, high: 8, step: 1}
  opt: {type: categorical, choices: [sgd, adam, 3]}
trial:
  command: [python3, train.py]
)";

// The error of kEnqueueStudy with `section` appended.
std::string EnqueueErrorOf(const std::string& section) {
  return test::ErrorOf(std::string(kEnqueueStudy) + section, "study.yaml");
}

TEST_CASE("enqueue points keep their values as written; partial points are allowed") {
  const StudySpec spec = test::Parse(std::string(kEnqueueStudy) + R"(enqueue:
  - {lr: 0.01, layers: 3, opt: adam}
  - {opt: 3}
  - {lr: 0.1}
)",
                                     "study.yaml");
  REQUIRE(spec.enqueue.size() == 3);
  CHECK(spec.enqueue[0] ==
        Point{{"lr", 0.01}, {"layers", int64_t{3}}, {"opt", std::string("adam")}});
  CHECK(spec.enqueue[1] == Point{{"opt", int64_t{3}}});
  CHECK(spec.enqueue[2] == Point{{"lr", 0.1}});
  CHECK(test::Parse(kEnqueueStudy, "study.yaml").enqueue.empty());
}

TEST_CASE("an enqueue point outside the space is an error at its place") {
  CHECK(EnqueueErrorOf("enqueue:\n  - {lr: 0.5}\n") ==
        "study.yaml:10:10: enqueue[0].lr: 0.5 is outside [0.001, 0.1]");
  CHECK(EnqueueErrorOf("enqueue:\n  - {layers: 2.5}\n") ==
        "study.yaml:10:14: enqueue[0].layers: 2.5 is outside [1, 8] (not a whole number)");
  CHECK(EnqueueErrorOf("enqueue:\n  - {opt: rmsprop}\n") ==
        "study.yaml:10:11: enqueue[0].opt: 'rmsprop' is not one of the choices [sgd, adam, 3]");
  CHECK(EnqueueErrorOf("enqueue:\n  - {lr: 0.01}\n  - {layer: 2}\n")
            .find("study.yaml:11:6: enqueue[1].layer: unknown key; did you mean 'layers'?") == 0);
  CHECK(EnqueueErrorOf("enqueue:\n  - {lr: abc}\n").find("enqueue[0].lr: expected a number") !=
        std::string::npos);
  CHECK(EnqueueErrorOf("enqueue: {lr: 0.01}\n").find("study.yaml:9:10: enqueue:") == 0);
  CHECK(EnqueueErrorOf("enqueue:\n  - {}\n") ==
        "study.yaml:10:5: enqueue[0]: a point needs at least one parameter value");
  CHECK(EnqueueErrorOf("enqueue:\n  - {lr: 0.01}\n  - {lr: 0.01}\n") ==
        "study.yaml:11:5: enqueue[1]: the same point as enqueue[0] (each point runs once)");
}

}  // namespace
}  // namespace gdsweep
