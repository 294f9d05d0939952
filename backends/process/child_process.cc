#include "backends/process/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>
#include <system_error>

extern char** environ;

namespace gdsweep {
namespace {

std::string ErrnoText(int err) { return std::system_category().message(err); }

Error ErrorFor(int err, std::string message) {
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return Error::NotFound(std::move(message));
    case EACCES:
    case ENOEXEC:
    case EISDIR:
    case ELOOP:
    case ENAMETOOLONG:
    case E2BIG:
      return Error::Invalid(std::move(message));
    default:
      return Error::Io(std::move(message));
  }
}

// RAII for the two posix_spawn argument objects.
struct FileActions {
  FileActions() { posix_spawn_file_actions_init(&fa); }
  ~FileActions() { posix_spawn_file_actions_destroy(&fa); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t fa;
};
struct SpawnAttr {
  SpawnAttr() { posix_spawnattr_init(&attr); }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr); }
  SpawnAttr(const SpawnAttr&) = delete;
  SpawnAttr& operator=(const SpawnAttr&) = delete;
  posix_spawnattr_t attr;
};

bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

// The child's environment: ours, with `overrides` added or replacing.
Result<std::vector<std::string>> BuildEnv(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view kv(*e);
    if (!overrides.contains(std::string(kv.substr(0, kv.find('='))))) env.emplace_back(kv);
  }
  for (const auto& [key, value] : overrides) {
    if (key.empty() || key.find('=') != std::string::npos || HasNul(key) || HasNul(value)) {
      return Error::Invalid("environment variable '" + key +
                            "': the name needs to be non-empty without '=', and neither it nor "
                            "its value may hold a NUL byte");
    }
    env.push_back(key + "=" + value);
  }
  return env;
}

std::string SearchPath(const std::map<std::string, std::string>& overrides) {
  if (auto it = overrides.find("PATH"); it != overrides.end()) return it->second;
  if (const char* p = ::getenv("PATH")) return p;
  return "/bin:/usr/bin";  // what execvp assumes without PATH
}

// The file to exec for argv[0], as execvp would find it, but on the PATH the
// child will have. Relative PATH entries count from the working directory.
Result<std::string> FindProgram(const std::string& name, const std::string& path,
                                const std::string& working_dir) {
  if (name.find('/') != std::string::npos) return name;  // the child resolves it after chdir
  bool not_executable = false;
  size_t begin = 0;
  while (begin <= path.size()) {
    size_t end = path.find(':', begin);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(begin, end - begin);
    begin = end + 1;
    if (dir.empty()) dir = ".";
    // Exec happens after the chdir, so a relative candidate is returned as is.
    std::string file = dir + "/" + name;
    const std::string probe =
        file[0] == '/' || working_dir.empty() ? file : working_dir + "/" + file;
    struct stat st;
    if (::stat(probe.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (::faccessat(AT_FDCWD, probe.c_str(), X_OK, AT_EACCESS) == 0) return file;
    not_executable = true;
  }
  if (not_executable) {
    return Error::Invalid("cannot run '" + name + "': " + ErrnoText(EACCES) +
                          " (found on PATH, not executable)");
  }
  return Error::NotFound("cannot run '" + name + "': " + ErrnoText(ENOENT) +
                         " (not found on PATH=" + path + ")");
}

// A pipe whose descriptors are close-on-exec, whose write end is above 2 (so
// the child's dup2 onto 0..2 cannot clobber it) and whose read end does not block.
Status MakePipe(UniqueFd& read_end, UniqueFd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrorFor(errno, "pipe: " + ErrnoText(errno));
  read_end.Reset(fds[0]);
  write_end.Reset(fds[1]);
  if (write_end.get() < 3) {
    const int moved = ::fcntl(write_end.get(), F_DUPFD_CLOEXEC, 3);
    if (moved < 0) return ErrorFor(errno, "fcntl: " + ErrnoText(errno));
    write_end.Reset(moved);
  }
  if (::fcntl(read_end.get(), F_SETFL, O_NONBLOCK) != 0) {
    return ErrorFor(errno, "fcntl: " + ErrnoText(errno));
  }
  return {};
}

bool Exists(const std::string& file, const std::string& working_dir) {
  struct stat st;
  if (file[0] == '/' || working_dir.empty()) return ::stat(file.c_str(), &st) == 0;
  return ::stat((working_dir + "/" + file).c_str(), &st) == 0;
}

Status CheckWorkingDir(const std::string& dir) {
  if (dir.empty()) return {};
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    const int err = errno;
    return ErrorFor(err, "working directory '" + dir + "': " + ErrnoText(err));
  }
  if (!S_ISDIR(st.st_mode)) {
    return Error::NotFound("working directory '" + dir + "': " + ErrnoText(ENOTDIR));
  }
  return {};
}

}  // namespace

Result<ChildProcess> SpawnChild(const std::vector<std::string>& argv,
                                const std::map<std::string, std::string>& env,
                                const std::string& working_dir) {
  if (argv.empty() || argv[0].empty()) return Error::Invalid("empty command");
  for (const auto& a : argv) {
    if (HasNul(a)) return Error::Invalid("argument of '" + argv[0] + "' contains a NUL byte");
  }
  if (auto s = CheckWorkingDir(working_dir); !s) return s.error();
  auto env_strings = BuildEnv(env);
  if (!env_strings) return env_strings.error();
  auto program = FindProgram(argv[0], SearchPath(env), working_dir);
  if (!program) return program.error();

  std::vector<char*> argv_ptrs;
  argv_ptrs.reserve(argv.size() + 1);
  for (const auto& a : argv) argv_ptrs.push_back(const_cast<char*>(a.c_str()));
  argv_ptrs.push_back(nullptr);
  std::vector<char*> env_ptrs;
  env_ptrs.reserve(env_strings->size() + 1);
  for (auto& e : *env_strings) env_ptrs.push_back(e.data());
  env_ptrs.push_back(nullptr);

  ChildProcess child;
  UniqueFd out_w, err_w;
  if (auto s = MakePipe(child.out, out_w); !s) return s.error();
  if (auto s = MakePipe(child.err, err_w); !s) return s.error();

  FileActions actions;
  auto* fa = &actions.fa;
  if (!working_dir.empty()) posix_spawn_file_actions_addchdir_np(fa, working_dir.c_str());
  posix_spawn_file_actions_addopen(fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(fa, out_w.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(fa, err_w.get(), STDERR_FILENO);
  // Descriptors that other code opened without O_CLOEXEC must not leak either.
  posix_spawn_file_actions_addclosefrom_np(fa, 3);

  SpawnAttr attrs;
  auto* attr = &attrs.attr;
  sigset_t none, all;
  sigemptyset(&none);
  // Ignored signals (SIGPIPE, say) survive exec: the trial starts with defaults.
  // glibc still leaves its two internal signals (32, 33) ignored; runtimes
  // that use them install their own handlers.
  sigfillset(&all);
  posix_spawnattr_setflags(attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(attr, 0);  // its own group: kill(-pid) reaches its whole tree
  posix_spawnattr_setsigmask(attr, &none);
  posix_spawnattr_setsigdefault(attr, &all);

  const int rc =
      ::posix_spawn(&child.pid, program->c_str(), fa, attr, argv_ptrs.data(), env_ptrs.data());
  if (rc != 0) {
    std::string message = "cannot run '" + argv[0] + "'";
    if (*program != argv[0]) message += " (" + *program + ")";
    if (!working_dir.empty()) message += " in '" + working_dir + "'";
    message += ": " + ErrnoText(rc);
    if (rc == ENOENT && Exists(*program, working_dir))
      message += " (its #! interpreter is missing)";
    return ErrorFor(rc, std::move(message));
  }

  // The raw syscall: glibc 2.36's <sys/pidfd.h> lacks extern "C" for C++.
  child.pidfd.Reset(static_cast<int>(::syscall(SYS_pidfd_open, child.pid, 0)));
  if (!child.pidfd) {
    spdlog::debug("pidfd_open refused ({}); detecting the exit of {} by polling", ErrnoText(errno),
                  child.pid);
  }
  return child;
}

std::string SignalName(int sig) {
  if (const char* abbrev = ::sigabbrev_np(sig)) return std::string("SIG") + abbrev;
  return "signal " + std::to_string(sig);
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    return "killed by signal " + std::to_string(sig) + " (" + SignalName(sig) + ")" +
           (WCOREDUMP(status) ? ", core dumped" : "");
  }
  return "ended with wait status " + std::to_string(status);
}

}  // namespace gdsweep
