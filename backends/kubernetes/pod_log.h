// Reading a trial's output from its pod's log: one follow of one container,
// resumable at a byte offset (a follow that breaks is read again from the
// start and the bytes already seen are skipped, so no line is delivered
// twice), and the cutting of the bytes into lines. Thread-compatible: one
// reader per thread.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "backends/kubernetes/kube_client.h"

namespace gdsweep {

// Cuts a byte stream into lines without '\n' (and a trailing '\r'), keeping
// at most `max_line_bytes` of a line.
class LineFramer {
 public:
  explicit LineFramer(size_t max_line_bytes) : max_(max_line_bytes) {}
  // Appends to `lines` the lines `data` completes.
  void Feed(std::string_view data, std::vector<std::string>& lines);
  // The last line if it had no '\n'.
  void Finish(std::vector<std::string>& lines);

 private:
  size_t max_;
  std::string partial_;
  bool pending_ = false;
};

enum class PodLogEnd {
  kComplete,    // the container ended and its whole log was read
  kNotStarted,  // 400: the container is not running yet (or never will)
  kGone,        // 404: the pod (and its log) is gone
  kBroken,      // the stream broke or the server failed: read again later
  kAborted,     // KubeClient::Abort()
  kRefused,     // 401/403: `error` says why
};

// Follows `container` of `pod` from the start, skipping the first `offset`
// bytes; every later byte goes to `on_bytes` and advances `offset`.
PodLogEnd FollowPodLog(KubeClient& client, const std::string& ns, const std::string& pod,
                       const std::string& container, size_t& offset,
                       const std::function<void(std::string_view)>& on_bytes, std::string* error);

}  // namespace gdsweep
