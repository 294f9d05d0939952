// Informer: keeps a caller up to date with the label-selected Jobs (or Pods)
// of a namespace through ONE list-then-watch loop on a background thread, as
// client-go's reflector does: it lists (page by page), then watches from the
// list's resourceVersion with bookmarks; a watch that ends or breaks resumes
// from the last resourceVersion seen; 410 Expired (a too-old version, a
// compacted history) re-lists; other errors back off and retry. Credentials
// the server refuses (401/403) stop it with a fatal error. Handlers run on
// the informer's thread. Thread-safe: Start/Stop from the owner thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "backends/kubernetes/kube_client.h"
#include "backends/kubernetes/kube_objects.h"

namespace gdsweep {

struct InformerOptions {
  KubeKind kind = KubeKind::kJob;
  std::string namespace_;
  std::string selector;  // label selector
  // The server ends each watch after this long (plus up to 10% of jitter);
  // the informer then watches again from where it was.
  int watch_timeout_seconds = 300;
  int page_size = 500;  // list pages
  std::chrono::milliseconds min_backoff{200};
  std::chrono::milliseconds max_backoff{10000};
};

struct InformerHandler {
  // The full list, after every (re-)list: the objects that exist now.
  std::function<void(const std::vector<KubeObject>&)> on_sync;
  // A change seen by the watch (never BOOKMARK or ERROR).
  std::function<void(WatchEvent::Type, const KubeObject&)> on_event;
  // The informer stopped for good (401, 403): why.
  std::function<void(const Error&)> on_fatal;
};

class Informer {
 public:
  Informer(std::unique_ptr<KubeClient> client, const InformerOptions& options,
           InformerHandler handler);
  ~Informer();  // Stop()
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  void Start();
  // Ends the loop at once (its request in progress is aborted) and joins it.
  void Stop();

  // Counters, for tests and logs.
  int lists() const { return lists_; }
  int watches() const { return watches_; }

 private:
  void Run();
  bool ListAll(std::string& resource_version);  // false: stopped or fatal
  void Sleep(std::chrono::milliseconds d);
  std::chrono::milliseconds NextBackoff();

  std::unique_ptr<KubeClient> client_;
  InformerOptions options_;
  InformerHandler handler_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable wake_;
  std::chrono::milliseconds backoff_{0};
  std::atomic<int> lists_{0};
  std::atomic<int> watches_{0};
};

}  // namespace gdsweep
