#include "sweeper/log_format.h"

#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

namespace gdsweep {

TEST_CASE("a choice with a newline cannot forge a log line: control characters are escaped") {
  auto previous = spdlog::default_logger();
  std::ostringstream text;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(text);
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("escaped", sink));
  ApplyLogFormat({.color = false});
  spdlog::warn("trial 3 FAIL: {} [{}]", "boom\r\033[31mred", "word=a\nFAKE LINE");
  spdlog::set_default_logger(previous);
  const std::string out = text.str();
  CHECK(out.find("warning trial 3 FAIL: boom\\x0D\\x1B[31mred [word=a\\x0AFAKE LINE]\n") !=
        std::string::npos);
  CHECK(out.find('\n') == out.size() - 1);  // one line
  CHECK(out.find('\033') == std::string::npos);
}

TEST_CASE("NO_COLOR set to anything but empty turns colour off") {
  const char* saved = std::getenv("NO_COLOR");
  const std::string keep = saved ? saved : "";
  ::setenv("NO_COLOR", "1", 1);
  CHECK_FALSE(ColorAllowed());
  ::setenv("NO_COLOR", "", 1);
  CHECK(ColorAllowed());
  ::unsetenv("NO_COLOR");
  CHECK(ColorAllowed());
  if (saved) ::setenv("NO_COLOR", keep.c_str(), 1);
}

}  // namespace gdsweep
