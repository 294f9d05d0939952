// Helpers of the study-file parser tests: the error a study text is refused
// with, or the spec it parses to (failing the test on an error). Only for
// tests; thread-compatible.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "sweeper/spec/study_parser.h"

namespace gdsweep::test {

// The message of the input error `text` is refused with.
inline std::string ErrorOf(const std::string& text, const std::string& source = "s.yaml") {
  auto r = ParseStudyText(text, source);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == Error::Kind::kInvalidInput);
  return r.error().message;
}

inline StudySpec Parse(const std::string& text, const std::string& source = "s.yaml") {
  auto r = ParseStudyText(text, source);
  if (!r.ok()) FAIL(r.error().message);
  return std::move(r).value();
}

}  // namespace gdsweep::test
