// ClientPool: a fixed set of worker threads, each with MLflow clients of its
// own (and so kept-alive connections of its own), running the tasks handed to
// it: how a delivery pass keeps several requests in flight at once.
// Thread-safe: Submit from any thread; each task runs on one worker with
// that worker's clients. The destructor waits for the task in progress on
// each worker and drops those not started.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "tracking/mlflow_client.h"

namespace gdsweep {

class ClientPool {
 public:
  struct Clients {
    mlflow::Client retrying;  // retries transient failures per the options
    mlflow::Client once;      // never retries (runs/create is not idempotent)
  };
  using Task = std::function<void(Clients&)>;

  // `threads` workers (at least 1), each with clients made from `options`.
  ClientPool(const mlflow::ClientOptions& options, size_t threads);
  ~ClientPool();
  ClientPool(const ClientPool&) = delete;
  ClientPool& operator=(const ClientPool&) = delete;

  void Submit(Task task);
  size_t size() const { return threads_.size(); }

 private:
  void Work(Clients& clients);

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<Task> tasks_;
  bool stopping_ = false;
  std::vector<std::unique_ptr<Clients>> clients_;
  std::vector<std::thread> threads_;
};

}  // namespace gdsweep
