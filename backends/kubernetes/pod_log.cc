#include "backends/kubernetes/pod_log.h"

namespace gdsweep {

void LineFramer::Feed(std::string_view data, std::vector<std::string>& lines) {
  while (!data.empty()) {
    const size_t nl = data.find('\n');
    const std::string_view piece = data.substr(0, nl);
    if (partial_.size() < max_) partial_.append(piece.substr(0, max_ - partial_.size()));
    pending_ = true;
    if (nl == std::string_view::npos) return;
    if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
    lines.push_back(std::move(partial_));
    partial_.clear();
    pending_ = false;
    data.remove_prefix(nl + 1);
  }
}

void LineFramer::Finish(std::vector<std::string>& lines) {
  if (!pending_) return;
  if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
  lines.push_back(std::move(partial_));
  partial_.clear();
  pending_ = false;
}

PodLogEnd FollowPodLog(KubeClient& client, const std::string& ns, const std::string& pod,
                       const std::string& container, size_t& offset,
                       const std::function<void(std::string_view)>& on_bytes, std::string* error) {
  size_t seen = 0;
  auto end = client.StreamLog(ns, pod, container, true, [&](std::string_view data) {
    const size_t before = seen;
    seen += data.size();
    if (seen <= offset) return;
    data.remove_prefix(offset > before ? offset - before : 0);
    offset = seen;
    on_bytes(data);
  });
  if (!end) {
    if (error) *error = end.error().message;
    if (end.error().kind == Error::Kind::kInterrupted) return PodLogEnd::kAborted;
    if (end.error().kind == Error::Kind::kRemote) return PodLogEnd::kRefused;
    return PodLogEnd::kBroken;
  }
  if (error && end->error) *error = end->error->message;
  if (end->status == 200) return PodLogEnd::kComplete;
  if (end->status == 400) return PodLogEnd::kNotStarted;
  if (end->status == 404) return PodLogEnd::kGone;
  return PodLogEnd::kBroken;
}

}  // namespace gdsweep
