#include "backends/local/group_watchdog.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <system_error>
#include <vector>

namespace gdsweep {
namespace {

// Groups the watchdog can hold at once; more would mean that many trials at
// once, far past any file descriptor limit.
constexpr size_t kMaxGroups = 1 << 16;

// How much of a process's environment the last sweep reads.
constexpr size_t kEnvironBytes = 1 << 20;

// Memory the watchdog uses after fork(), prepared before it.
struct Scratch {
  std::vector<int32_t> groups = std::vector<int32_t>(kMaxGroups);
  std::vector<char> environ = std::vector<char>(kEnvironBytes);
  std::string needle;  // "GDSWEEP_WATCHDOG=<token>"
};

// Decimal text of a positive number into `out` (no allocation).
char* FormatPid(long v, char* out) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v > 0);
  while (n > 0) *out++ = digits[--n];
  return out;
}

// SIGKILL to every process whose environment holds `needle`: the trials (and
// whatever they started) that we never learned of because the parent died
// between spawning one and telling us its group.
void KillMarked(const std::string& needle, std::vector<char>& buf) {
  const int proc = ::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc < 0) return;
  alignas(8) char dents[8192];
  while (true) {
    const long got = ::syscall(SYS_getdents64, proc, dents, sizeof dents);
    if (got <= 0) break;
    for (long off = 0; off < got;) {
      const auto* d = reinterpret_cast<const dirent64*>(dents + off);
      off += d->d_reclen;
      long pid = 0;
      const char* c = d->d_name;
      for (; *c >= '0' && *c <= '9'; ++c) pid = pid * 10 + (*c - '0');
      if (*c != '\0' || pid <= 1 || pid == ::getpid()) continue;
      char path[64] = "/proc/";
      char* end = FormatPid(pid, path + 6);
      std::memcpy(end, "/environ", 9);
      const int env = ::open(path, O_RDONLY | O_CLOEXEC);
      if (env < 0) continue;
      size_t have = 0;
      while (have < buf.size()) {
        const ssize_t n = ::read(env, buf.data() + have, buf.size() - have);
        if (n <= 0) break;
        have += static_cast<size_t>(n);
      }
      ::close(env);
      if (::memmem(buf.data(), have, needle.data(), needle.size()) != nullptr) {
        ::kill(static_cast<pid_t>(pid), SIGKILL);
      }
    }
  }
  ::close(proc);
}

// Sleeps, resuming after signals (no allocation).
void SleepMs(long ms) {
  struct timespec left {
    ms / 1000, (ms % 1000) * 1000 * 1000
  };
  while (::nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
}

// The watchdog's whole life, after fork(): system calls only (no allocation,
// no locks), on memory prepared before the fork.
[[noreturn]] void WatchdogMain(int fd, Scratch& scratch) {
  int32_t* groups = scratch.groups.data();
  ::setsid();
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  for (int sig : {SIGHUP, SIGINT, SIGTERM, SIGPIPE, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU}) {
    ::sigaction(sig, &ignore, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Hold nothing of the parent's open: no trial's pipes, no database, no
  // terminal or log pipe someone waits to see closed.
  if (fd != 3) {
    ::dup2(fd, 3);
    fd = 3;
  }
  const int null = ::open("/dev/null", O_RDWR);
  if (null >= 0) {
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
  }
  ::close_range(4, ~0U, 0);

  size_t n = 0;
  bool goodbye = false;  // the parent said it is closing (not dying)
  union {
    int32_t value;
    char bytes[4];
  } partial{};
  size_t have = 0;
  char buf[4096];
  while (true) {
    const ssize_t got = ::read(fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // EOF (or an error): the parent is gone
    for (ssize_t i = 0; i < got; ++i) {
      partial.bytes[have++] = buf[i];
      if (have < 4) continue;
      have = 0;
      const int32_t m = partial.value;
      if (m == 0) {
        goodbye = true;
      } else if (m > 0 && n < kMaxGroups) {
        groups[n++] = m;
      } else if (m < 0) {
        for (size_t k = 0; k < n; ++k) {
          if (groups[k] == -m) {
            groups[k] = groups[--n];
            break;
          }
        }
      }
    }
  }
  for (size_t k = 0; k < n; ++k) ::kill(-groups[k], SIGTERM);
  if (n > 0) {
    SleepMs(200);
    for (size_t k = 0; k < n; ++k) ::kill(-groups[k], SIGKILL);
  }
  // Twice: a process one of them forked meanwhile carries the mark too.
  KillMarked(scratch.needle, scratch.environ);
  KillMarked(scratch.needle, scratch.environ);
  if (!goodbye) {
    // The parent died. A trial it spawned just before may still be inside
    // execve: posix_spawn returned (the vfork ended), but the kernel has not
    // yet written the new environment, so /proc/<pid>/environ reads empty and
    // the sweeps above miss it. On a loaded machine that window can outlast
    // them; sweep again over the next half second.
    for (int wait_ms : {10, 40, 150, 300}) {
      SleepMs(wait_ms);
      KillMarked(scratch.needle, scratch.environ);
    }
  }
  ::_exit(0);
}

}  // namespace

Result<std::unique_ptr<GroupWatchdog>> GroupWatchdog::Start() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return Error::Io("socketpair: " + std::system_category().message(errno));
  }
  UniqueFd ours(fds[0]), theirs(fds[1]);
  std::random_device rd;
  char token[40];
  std::snprintf(token, sizeof token, "%d-%08x%08x", ::getpid(), rd(), rd());
  Scratch scratch;  // the child's memory, allocated before the fork
  scratch.needle = std::string(kTokenVariable) + "=" + token;
  scratch.needle.push_back('\0');  // the whole entry, not a prefix of a longer value
  const pid_t pid = ::fork();
  if (pid < 0) return Error::Io("fork: " + std::system_category().message(errno));
  if (pid == 0) {
    ::close(fds[0]);
    WatchdogMain(fds[1], scratch);
  }
  theirs.Reset();
  return std::unique_ptr<GroupWatchdog>(new GroupWatchdog(pid, std::move(ours), token));
}

GroupWatchdog::~GroupWatchdog() {
  Send(0);  // a goodbye: we are closing, not dying (see WatchdogMain)
  socket_.Reset();
  int status;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

void GroupWatchdog::Add(pid_t pgid) { Send(static_cast<int32_t>(pgid)); }
void GroupWatchdog::Remove(pid_t pgid) { Send(-static_cast<int32_t>(pgid)); }

void GroupWatchdog::Send(int32_t message) {
  if (!socket_) return;
  ssize_t n;
  do {
    n = ::send(socket_.get(), &message, sizeof message, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n == sizeof message) return;
  if (!warned_) {
    warned_ = true;
    spdlog::warn(
        "the watchdog that ends trials if gdsweep dies is gone ({}); trials may outlive a crash",
        n < 0 ? std::system_category().message(errno) : "short write");
  }
  socket_.Reset();
}

}  // namespace gdsweep
