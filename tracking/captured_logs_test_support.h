// Tests only: spdlog's default logger captured for a test's lifetime, to check
// the log lines a unit writes. Checked only when the test links spdlog itself
// (its package config defines SPDLOG_FMT_EXTERNAL for its users); then
// GDSWEEP_CHECK_LOGS is defined. Not thread-safe to construct; the capture
// itself is (spdlog's _mt sink).
#pragma once

#if defined(SPDLOG_FMT_EXTERNAL) && !defined(GDSWEEP_CHECK_LOGS)
#define GDSWEEP_CHECK_LOGS 1
#endif
#ifdef GDSWEEP_CHECK_LOGS
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace gdsweep::testing {

class CapturedLogs {
 public:
  CapturedLogs()
      : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000)),
        saved_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("captured", sink_);
    logger->set_level(spdlog::level::info);
    logger->set_pattern("%l %v");
    spdlog::set_default_logger(logger);
  }
  ~CapturedLogs() { spdlog::set_default_logger(saved_); }
  CapturedLogs(const CapturedLogs&) = delete;
  CapturedLogs& operator=(const CapturedLogs&) = delete;

  // Lines of `level` ("warning", "info") holding `text`.
  int Count(const std::string& level, const std::string& text) const {
    int n = 0;
    for (const auto& line : sink_->last_formatted()) {
      n += line.rfind(level + " ", 0) == 0 && line.find(text) != std::string::npos;
    }
    return n;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> saved_;
};

}  // namespace gdsweep::testing
#endif
