#include "report/dashboard_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "report/html_page.h"
#include "report/study_json.h"
#include "storage/study_reader.h"

namespace gdsweep::report {
namespace {

// How long a page waits between the answer to one poll and the next request
// (the server holds each request until something changes).
constexpr int kPollGapMs = 1000;

// Changes whenever a trial is added, changes state, or reports a value.
std::string VersionOf(const StudySnapshot& s) {
  size_t h = std::hash<std::string>{}(s.info.name);
  auto mix = [&h](size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
  for (const TrialRecord& t : s.history.trials) {
    mix(static_cast<size_t>(t.trial_id));
    mix(static_cast<size_t>(t.state));
    mix(t.intermediate.size());
    mix(t.values.size());
    mix(t.datetime_complete ? 1 : 0);
  }
  mix(s.runs.size());
  return std::to_string(s.history.trials.size()) + "-" + std::to_string(h);
}

void SetCommonHeaders(httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
}

int StatusFor(const Error& e) {
  return e.kind == Error::Kind::kNotFound ? 404 : e.kind == Error::Kind::kInvalidInput ? 400 : 500;
}

}  // namespace

struct DashboardServer::Impl {
  DashboardOptions options;
  httplib::Server server;
  int port = 0;
  std::mutex mu;  // guards reader and snapshots: one read at a time
  std::unique_ptr<StudyReader> reader;
  std::map<std::string, StudySnapshot> snapshots;

  Result<std::vector<std::string>> StudyNames() {
    std::lock_guard lock(mu);
    auto all = reader->ListStudies();
    if (!all) return all.error();
    std::vector<std::string> names;
    for (const auto& s : *all) names.push_back(s.info.name);
    return names;
  }

  // Refreshes the study and returns its version (and, if `json`, its document).
  Result<std::string> Read(const std::string& name, std::string* json) {
    std::lock_guard lock(mu);
    StudySnapshot& snapshot = snapshots[name];
    if (auto s = reader->Refresh(name, snapshot); !s) {
      snapshots.erase(name);
      return s.error();
    }
    const std::string version = VersionOf(snapshot);
    if (json) {
      StudyJsonOptions o;
      o.log_tail_bytes = options.log_tail_bytes;
      o.generated_at = UtcTimestamp();
      *json = StudyJson(snapshot, o);
    }
    return version;
  }

  void Study(const httplib::Request& req, httplib::Response& res) {
    SetCommonHeaders(res);
    std::string name = req.get_param_value("study");
    if (name.empty()) {
      auto names = StudyNames();
      if (!names || names->empty()) {
        res.status = names ? 404 : 500;
        res.set_content(names ? "the database holds no study" : names.error().message,
                        "text/plain");
        return;
      }
      name = names->front();
    }
    const std::string since = req.get_param_value("since");
    int wait_ms = options.poll_wait_ms;
    if (req.has_param("wait")) {
      wait_ms = std::clamp(std::atoi(req.get_param_value("wait").c_str()), 0, options.poll_wait_ms);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    while (!since.empty()) {
      auto version = Read(name, nullptr);
      if (!version) break;  // answered below with the error
      if (*version != since) break;
      if (std::chrono::steady_clock::now() >= deadline || !server.is_running()) {
        res.status = 204;  // nothing changed: poll again
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(options.refresh_ms));
    }
    std::string json;
    auto version = Read(name, &json);
    if (!version) {
      res.status = StatusFor(version.error());
      res.set_content(version.error().message, "text/plain; charset=utf-8");
      return;
    }
    res.set_header("X-Gdsweep-Version", *version);
    res.set_content(json, "application/json; charset=utf-8");
  }
};

DashboardServer::DashboardServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DashboardServer::~DashboardServer() = default;

Result<std::unique_ptr<DashboardServer>> DashboardServer::Create(const DashboardOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  auto reader = StudyReader::Open(options.db_path);
  if (!reader) return reader.error().Wrap(options.db_path);
  impl->reader = std::move(*reader);
  Impl* self = impl.get();
  auto& server = impl->server;
  server.Get("/", [self](const httplib::Request&, httplib::Response& res) {
    SetCommonHeaders(res);
    res.set_content(DashboardPage("gdsweep dashboard", "api/study", "api/studies", kPollGapMs,
                                  self->options.poll_wait_ms),
                    "text/html; charset=utf-8");
  });
  server.Get("/api/studies", [self](const httplib::Request&, httplib::Response& res) {
    SetCommonHeaders(res);
    auto names = self->StudyNames();
    if (!names) {
      res.status = StatusFor(names.error());
      res.set_content(names.error().message, "text/plain; charset=utf-8");
      return;
    }
    res.set_content(
        nlohmann::json(*names).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
        "application/json; charset=utf-8");
  });
  server.Get("/api/study", [self](const httplib::Request& req, httplib::Response& res) {
    self->Study(req, res);
  });
  server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    spdlog::debug("dashboard: {} {} -> {}", req.method, req.target, res.status);
  });
  if (options.port == 0) {
    impl->port = server.bind_to_any_port(options.host);
  } else {
    impl->port = server.bind_to_port(options.host, options.port) ? options.port : -1;
  }
  if (impl->port <= 0) {
    return Error::Io("cannot listen on " + options.host + ":" + std::to_string(options.port) +
                     " (address in use or not available)");
  }
  return std::unique_ptr<DashboardServer>(new DashboardServer(std::move(impl)));
}

int DashboardServer::port() const { return impl_->port; }

Status DashboardServer::Run() {
  if (!impl_->server.listen_after_bind()) return Error::Io("the dashboard server stopped");
  return {};
}

void DashboardServer::Stop() { impl_->server.stop(); }

}  // namespace gdsweep::report
