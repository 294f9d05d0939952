// LineSplitter: cuts a byte stream (a trial's stdout, read in arbitrary
// chunks) into lines without their '\n', keeping at most `max_line_bytes` of
// each line so one huge line cannot exhaust memory. A truncated line is cut at
// a UTF-8 character boundary. Pure, no I/O; not thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gdsweep {

class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line_bytes) : max_(max_line_bytes) {}

  // Appends to `lines` every line that `data` completes.
  void Feed(std::string_view data, std::vector<std::string>& lines);

  // At the end of the stream: appends the last line if it had no '\n'.
  void Finish(std::vector<std::string>& lines);

 private:
  void Append(std::string_view piece);
  void Emit(std::vector<std::string>& lines);

  size_t max_;
  std::string partial_;     // the line being read, at most max_ bytes
  bool truncated_ = false;  // partial_ dropped bytes past max_
  bool pending_ = false;    // a line has started (even if still empty)
};

}  // namespace gdsweep
