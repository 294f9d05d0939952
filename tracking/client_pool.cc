#include "tracking/client_pool.h"

#include <algorithm>
#include <utility>

namespace gdsweep {

ClientPool::ClientPool(const mlflow::ClientOptions& options, size_t threads) {
  mlflow::ClientOptions once = options;
  once.retry.max_attempts = 1;
  for (size_t i = 0; i < std::max<size_t>(threads, 1); ++i) {
    clients_.push_back(
        std::make_unique<Clients>(Clients{mlflow::Client(options), mlflow::Client(once)}));
  }
  for (auto& c : clients_) threads_.emplace_back([this, clients = c.get()] { Work(*clients); });
}

ClientPool::~ClientPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    tasks_.clear();
  }
  ready_.notify_all();
  for (auto& t : threads_) t.join();
}

void ClientPool::Submit(Task task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(std::move(task));
  }
  ready_.notify_one();
}

void ClientPool::Work(Clients& clients) {
  for (;;) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      ready_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
      if (stopping_) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task(clients);
  }
}

}  // namespace gdsweep
