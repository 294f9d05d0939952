// The format of every log line gdsweep writes: "12:00:01 info message", the
// message with its control characters escaped (model/utf8.h EscapeControls),
// so a choice, a failure reason or a trial's output can neither forge a line
// of its own nor send terminal escapes. Call at start-up; not thread-safe.
#pragma once

namespace gdsweep {

struct LogFormatOptions {
  bool color = true;  // the level in colour (on a terminal); off for NO_COLOR
};

// Gives the default logger's sinks the escaped format, coloured or not.
void ApplyLogFormat(const LogFormatOptions& options = {});

// False when $NO_COLOR is set to a non-empty value (https://no-color.org).
bool ColorAllowed();

}  // namespace gdsweep
