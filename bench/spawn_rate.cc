// spawn_rate: the raw rate of starting a program and waiting for it, the
// reference that bench/scheduler/run.sh holds `gdsweep run` against. Each run
// is what LocalBackend does minus logging, line events and bookkeeping:
// posix_spawn in a new process group, stdin from /dev/null, stdout and stderr
// to non-blocking pipes drained with poll(), then waitpid.
//   usage: spawn_rate PROGRAM [N=2000] [CONCURRENCY=1] [ARG...]
// Prints trials per second on stdout.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace {

struct Child {
  pid_t pid = -1;
  int out = -1;  // read ends; -1 once at EOF
  int err = -1;
};

[[noreturn]] void Die(const char* what, int err) {
  std::fprintf(stderr, "spawn_rate: %s: %s\n", what, std::strerror(err));
  std::exit(1);
}

void MakePipe(int& read_end, int& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) Die("pipe2", errno);
  if (::fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) Die("fcntl", errno);
  read_end = fds[0];
  write_end = fds[1];
}

Child Spawn(char** argv) {
  Child c;
  int out_w, err_w;
  MakePipe(c.out, out_w);
  MakePipe(c.err, err_w);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_w, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, err_w, STDERR_FILENO);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  const int rc = ::posix_spawnp(&c.pid, argv[0], &fa, &attr, argv, environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out_w);
  ::close(err_w);
  if (rc != 0) Die(argv[0], rc);
  return c;
}

// Reads whatever `fd` holds; closes it at EOF.
void Drain(int& fd) {
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    ::close(fd);
    fd = -1;
    return;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: spawn_rate PROGRAM [N=2000] [CONCURRENCY=1] [ARG...]\n");
    return 2;
  }
  const long n = argc > 2 ? std::atol(argv[2]) : 2000;
  const long concurrency = argc > 3 ? std::atol(argv[3]) : 1;
  if (n < 1 || concurrency < 1) {
    std::fprintf(stderr, "spawn_rate: N and CONCURRENCY must be positive\n");
    return 2;
  }
  std::vector<char*> child_argv = {argv[1]};
  for (int i = 4; i < argc; ++i) child_argv.push_back(argv[i]);
  child_argv.push_back(nullptr);

  std::vector<Child> running;
  std::vector<pollfd> fds;
  long started = 0, finished = 0;
  const auto t0 = std::chrono::steady_clock::now();
  while (finished < n) {
    while (started < n && static_cast<long>(running.size()) < concurrency) {
      running.push_back(Spawn(child_argv.data()));
      ++started;
    }
    fds.clear();
    for (const Child& c : running) {
      if (c.out >= 0) fds.push_back({c.out, POLLIN, 0});
      if (c.err >= 0) fds.push_back({c.err, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) Die("poll", errno);
    for (size_t i = 0; i < running.size();) {
      Child& c = running[i];
      if (c.out >= 0) Drain(c.out);
      if (c.err >= 0) Drain(c.err);
      if (c.out >= 0 || c.err >= 0) {
        ++i;
        continue;
      }
      int status;
      while (::waitpid(c.pid, &status, 0) < 0) {
        if (errno != EINTR) Die("waitpid", errno);
      }
      running[i] = running.back();
      running.pop_back();
      ++finished;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%.1f\n", static_cast<double>(n) / seconds);
  return 0;
}
