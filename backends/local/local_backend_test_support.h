// Helpers for the LocalBackend tests: a temporary directory, launches, and a
// loop that drives a backend until its trials end. Test-only; one thread.
#pragma once

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "backends/local/local_backend.h"

namespace gdsweep::testing {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gdsweep-local-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Short grace periods so the stop tests stay fast.
inline LocalBackendOptions FastOptions() {
  LocalBackendOptions o;
  o.timeout_kill_grace = 300ms;
  o.drain_window = 200ms;
  return o;
}

inline TrialLaunch Launch(int64_t id, std::vector<std::string> argv, std::string log_dir = "") {
  TrialLaunch l;
  l.trial_id = id;
  l.trial_number = id;
  l.argv = std::move(argv);
  l.log_dir = std::move(log_dir);
  return l;
}

inline TrialLaunch Sh(int64_t id, const std::string& script, std::string log_dir = "") {
  return Launch(id, {"sh", "-c", script}, std::move(log_dir));
}

// What one trial produced, as seen through its events.
struct Seen {
  std::vector<std::string> lines;
  std::optional<BackendEvent> exit;
  int exits = 0;
  bool output_after_exit = false;
};

// Drives `b` until `done` holds for what was seen, no trial runs, or `limit`.
template <typename Done>
void Drive(Backend& b, std::map<int64_t, Seen>& seen, Done done,
           std::chrono::milliseconds limit = 10000ms) {
  const auto end = Clock::now() + limit;
  while (b.Running() > 0 && !done() && Clock::now() < end) {
    auto events = b.Wait(100ms);
    if (!events) return;
    for (auto& ev : *events) {
      Seen& s = seen[ev.trial_id];
      if (ev.kind == BackendEvent::Kind::kOutput) {
        if (s.exits > 0) s.output_after_exit = true;
        s.lines.push_back(ev.line);
      } else {
        ++s.exits;
        s.exit = ev;
      }
    }
  }
}

inline std::map<int64_t, Seen> RunAll(Backend& b, std::chrono::milliseconds limit = 10000ms) {
  std::map<int64_t, Seen> seen;
  Drive(
      b, seen, [] { return false; }, limit);
  return seen;
}

// Drives `b` until trial `id` printed `line` (true) or ended without it.
inline bool WaitForLine(Backend& b, std::map<int64_t, Seen>& seen, int64_t id,
                        const std::string& line) {
  auto has = [&] {
    for (const auto& l : seen[id].lines) {
      if (l == line) return true;
    }
    return false;
  };
  Drive(
      b, seen, [&] { return has() || seen[id].exits > 0; }, 5000ms);
  return has();
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace gdsweep::testing
