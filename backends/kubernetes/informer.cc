#include "backends/kubernetes/informer.h"

#include <spdlog/spdlog.h>

#include <random>

namespace gdsweep {
namespace {

const char* KindName(KubeKind kind) { return kind == KubeKind::kJob ? "Jobs" : "pods"; }

// Refused credentials or permissions: waiting does not help. (An untrusted
// server certificate is kInvalidInput.)
bool IsFatal(const Error& e) {
  return e.kind == Error::Kind::kRemote || e.kind == Error::Kind::kInvalidInput;
}

}  // namespace

Informer::Informer(std::unique_ptr<KubeClient> client, const InformerOptions& options,
                   InformerHandler handler)
    : client_(std::move(client)), options_(options), handler_(std::move(handler)) {}

Informer::~Informer() { Stop(); }

void Informer::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void Informer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  client_->Abort();
  if (thread_.joinable()) thread_.join();
}

void Informer::Sleep(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  wake_.wait_for(lock, d, [&] { return stop_.load(); });
}

std::chrono::milliseconds Informer::NextBackoff() {
  backoff_ =
      backoff_.count() == 0 ? options_.min_backoff : std::min(backoff_ * 2, options_.max_backoff);
  return backoff_;
}

bool Informer::ListAll(std::string& resource_version) {
  while (!stop_) {
    std::vector<KubeObject> items;
    std::string token;
    std::optional<Error> failed;
    do {
      auto page = client_->List(options_.kind, options_.namespace_, options_.selector,
                                options_.page_size, token);
      if (!page) {
        failed = page.error();
        break;
      }
      for (auto& item : page->items) items.push_back(std::move(item));
      token = page->continue_token;
      resource_version = page->resource_version;
    } while (!token.empty() && !stop_);
    ++lists_;
    if (stop_) return false;
    if (!failed) {
      handler_.on_sync(items);
      return true;
    }
    if (IsFatal(*failed)) {
      handler_.on_fatal(*failed);
      return false;
    }
    // 410 on a stale continue token, or a transient failure: list again.
    spdlog::debug("listing {} failed: {}; retrying", KindName(options_.kind), failed->message);
    Sleep(NextBackoff());
  }
  return false;
}

void Informer::Run() {
  std::mt19937 jitter{std::random_device{}()};
  std::string rv;
  bool need_list = true;
  while (!stop_) {
    if (need_list) {
      if (!ListAll(rv)) return;
      need_list = false;
    }
    const int timeout = options_.watch_timeout_seconds +
                        static_cast<int>(jitter() % (options_.watch_timeout_seconds / 10 + 1));
    int events = 0;
    bool expired = false;
    bool error_event = false;
    ++watches_;
    auto end = client_->Watch(options_.kind, options_.namespace_, options_.selector, rv, timeout,
                              [&](const WatchEvent& ev) {
                                if (ev.type == WatchEvent::Type::kError) {
                                  if (ev.status.code == 410) expired = true;
                                  error_event = true;
                                  spdlog::debug("watch of {}: {} ({})", KindName(options_.kind),
                                                ev.status.message, ev.status.code);
                                  return;
                                }
                                ++events;
                                const std::string& v = ev.object.meta().resource_version;
                                if (!v.empty()) rv = v;
                                if (ev.type != WatchEvent::Type::kBookmark) {
                                  handler_.on_event(ev.type, ev.object);
                                }
                              });
    if (stop_) return;
    if (!end) {
      if (IsFatal(end.error())) {
        handler_.on_fatal(end.error());
        return;
      }
      // Cut mid-stream: resume from the last version seen.
      spdlog::debug("watch of {} broke: {}", KindName(options_.kind), end.error().message);
      if (events > 0) backoff_ = std::chrono::milliseconds(0);
      Sleep(NextBackoff());
      continue;
    }
    if (expired || end->status == 410) {
      need_list = true;  // too old: the world must be read again
      continue;
    }
    if (error_event) {  // the server gave up on this watch: read the world again
      need_list = true;
      Sleep(NextBackoff());
      continue;
    }
    if (end->status == 200) {
      backoff_ = std::chrono::milliseconds(0);
      continue;  // the server's timeout: watch on
    }
    // 429, 5xx, 504 ResourceVersionTooLarge, ...: back off, then list again.
    spdlog::debug("watch of {} answered {}", KindName(options_.kind), end->status);
    need_list = end->status == 504 || end->status == 500;
    Sleep(NextBackoff());
  }
}

}  // namespace gdsweep
