#include "sweeper/log_format.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <memory>

#include "sweeper/model/utf8.h"

namespace gdsweep {
namespace {

// %*: the message, escaped.
class EscapedMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string text =
        EscapeControls(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<EscapedMessage>();
  }
};

}  // namespace

void ApplyLogFormat(const LogFormatOptions& options) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<EscapedMessage>('*');
  // %^..%$ marks the coloured range; without colour the level is plain.
  formatter->set_pattern(options.color ? "%H:%M:%S %^%l%$ %*" : "%H:%M:%S %l %*");
  spdlog::default_logger()->set_formatter(std::move(formatter));
}

bool ColorAllowed() {
  const char* no_color = std::getenv("NO_COLOR");
  return no_color == nullptr || *no_color == '\0';
}

}  // namespace gdsweep
