// LocalBackend: output, exits, environment, working directory, argv and
// spawn errors, against real child processes. Stopping trials (timeouts,
// Cancel, leftovers, destruction) is in local_backend_stop_test.cc.
#include "backends/local/local_backend.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <filesystem>
#include <fstream>
#include <string>

#include "backends/local/local_backend_test_support.h"

namespace gdsweep {
namespace {

using namespace testing;

TEST_CASE("stdout lines arrive in order before the exit, and the logs hold everything") {
  TempDir dir;
  auto b = MakeLocalBackend(FastOptions());
  REQUIRE(b->Start(
      Sh(7, "seq 1 20000; printf 'no newline'; echo to-stderr >&2; exit 3", dir / "logs/trial-7")));
  auto seen = RunAll(*b);
  const Seen& s = seen[7];
  REQUIRE(s.lines.size() == 20001);
  bool in_order = true;
  for (int i = 0; i < 20000; ++i) in_order = in_order && s.lines[i] == std::to_string(i + 1);
  CHECK(in_order);
  CHECK(s.lines.back() == "no newline");
  CHECK_FALSE(s.output_after_exit);
  REQUIRE(s.exits == 1);
  CHECK(s.exit->exit_code == 3);
  CHECK(s.exit->signal == 0);
  CHECK(s.exit->reason == "exited with code 3");
  CHECK_FALSE(s.exit->timed_out);
  CHECK_FALSE(s.exit->cancelled);

  std::string expected;
  for (int i = 1; i <= 20000; ++i) expected += std::to_string(i) + "\n";
  expected += "no newline";
  CHECK(ReadFile(dir / "logs/trial-7/stdout.log") == expected);
  CHECK(ReadFile(dir / "logs/trial-7/stderr.log") == "to-stderr\n");
  CHECK(b->Running() == 0);
}

TEST_CASE("a trial that never writes to stderr gets no stderr.log; old logs are replaced") {
  TempDir dir;
  std::filesystem::create_directories(dir / "t");
  std::filesystem::create_directories(dir / "u");
  { std::ofstream(dir / "t/stderr.log") << "from an earlier attempt\n"; }
  { std::ofstream(dir / "u/stderr.log") << "from an earlier attempt\n"; }
  { std::ofstream(dir / "u/stdout.log") << "a longer line from an earlier attempt\n"; }
  auto b = MakeLocalBackend(FastOptions());
  REQUIRE(b->Start(Sh(1, "echo quiet", dir / "t")));
  REQUIRE(b->Start(Sh(2, "echo quiet", dir / "u")));
  RunAll(*b);
  for (const char* d : {"t", "u"}) {
    CAPTURE(d);
    CHECK(ReadFile(dir / (std::string(d) + "/stdout.log")) == "quiet\n");
    CHECK_FALSE(std::filesystem::exists(dir / (std::string(d) + "/stderr.log")));
  }
}

TEST_CASE("exit codes and signals are reported in numbers and words") {
  auto b = MakeLocalBackend(FastOptions());
  REQUIRE(b->Start(Sh(1, "exit 0")));
  REQUIRE(b->Start(Sh(2, "kill -KILL $$")));
  REQUIRE(b->Start(Sh(3, "kill -SEGV $$")));
  CHECK_FALSE(b->Start(Sh(3, "exit 0")));  // id 3 is running
  CHECK(b->Running() == 3);
  auto seen = RunAll(*b);
  REQUIRE(seen[1].exits == 1);
  CHECK(seen[1].exit->exit_code == 0);
  CHECK(seen[1].exit->reason.empty());
  REQUIRE(seen[2].exits == 1);
  CHECK(seen[2].exit->signal == SIGKILL);
  CHECK(seen[2].exit->exit_code == 128 + SIGKILL);
  CHECK(seen[2].exit->reason == "killed by signal 9 (SIGKILL)");
  REQUIRE(seen[3].exits == 1);
  CHECK(seen[3].exit->signal == SIGSEGV);
  CHECK(seen[3].exit->reason.starts_with("killed by signal 11 (SIGSEGV)"));
  CHECK(b->Running() == 0);
}

TEST_CASE("the child sees the inherited environment with the launch's overrides on top") {
  TempDir dir;
  ::setenv("GDSWEEP_TEST_INHERITED", "from-parent", 1);
  ::setenv("GDSWEEP_TEST_OVERRIDDEN", "old", 1);
  mkdir((dir / "bin").c_str(), 0755);
  WriteFile(dir / "bin/gdsweep-test-tool", "#!/bin/sh\necho tool-ran\n");
  chmod((dir / "bin/gdsweep-test-tool").c_str(), 0755);

  auto b = MakeLocalBackend(FastOptions());
  auto env = Launch(1, {"env"});
  env.env = {{"GDSWEEP_TEST_OVERRIDDEN", "new"}, {"GDSWEEP_TEST_ADDED", "a b $x 'q'"}};
  REQUIRE(b->Start(env));
  // argv[0] is looked up on the PATH the child gets.
  auto tool = Launch(2, {"gdsweep-test-tool"});
  tool.env = {{"PATH", dir / "bin:/usr/bin:/bin"}};
  REQUIRE(b->Start(tool));
  auto seen = RunAll(*b);
  ::unsetenv("GDSWEEP_TEST_INHERITED");
  ::unsetenv("GDSWEEP_TEST_OVERRIDDEN");

  auto has = [&](const std::string& line) {
    const auto& l = seen[1].lines;
    return std::find(l.begin(), l.end(), line) != l.end();
  };
  CHECK(has("GDSWEEP_TEST_INHERITED=from-parent"));
  CHECK(has("GDSWEEP_TEST_OVERRIDDEN=new"));
  CHECK_FALSE(has("GDSWEEP_TEST_OVERRIDDEN=old"));
  CHECK(has("GDSWEEP_TEST_ADDED=a b $x 'q'"));
  CHECK(seen[2].lines == std::vector<std::string>{"tool-ran"});
  CHECK(seen[2].exit->exit_code == 0);
}

TEST_CASE("the working directory is honoured; a missing one fails Start with no event") {
  TempDir dir;
  mkdir((dir / "work").c_str(), 0755);
  WriteFile(dir / "work/here.sh", "#!/bin/sh\necho here\n");
  chmod((dir / "work/here.sh").c_str(), 0755);
  char real[PATH_MAX];
  REQUIRE(::realpath((dir / "work").c_str(), real) != nullptr);

  auto b = MakeLocalBackend(FastOptions());
  auto pwd = Launch(1, {"pwd", "-P"});
  pwd.working_dir = dir / "work";
  REQUIRE(b->Start(pwd));
  auto relative = Launch(2, {"./here.sh"});  // resolved in the working directory
  relative.working_dir = dir / "work";
  REQUIRE(b->Start(relative));
  auto missing = Launch(3, {"pwd"});
  missing.working_dir = dir / "nope";
  auto s = b->Start(missing);
  REQUIRE_FALSE(s);
  CHECK(s.error().message.find(dir / "nope") != std::string::npos);
  CHECK(s.error().message.find("No such file or directory") != std::string::npos);
  CHECK(b->Running() == 2);

  auto seen = RunAll(*b);
  CHECK(seen[1].lines == std::vector<std::string>{real});
  CHECK(seen[2].lines == std::vector<std::string>{"here"});
  CHECK_FALSE(seen.contains(3));
}

TEST_CASE("argv entries reach the child verbatim, never through a shell") {
  const std::vector<std::string> args = {"a b",  "\"double\"",       "'single'", "$(echo injected)",
                                         "`id`", "x; echo injected", "*",        "$HOME",
                                         "",     "back\\slash",      "|",        "new\nline"};
  std::vector<std::string> argv = {"printf", "<%s>\\n"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto b = MakeLocalBackend(FastOptions());
  REQUIRE(b->Start(Launch(1, argv)));
  auto seen = RunAll(*b);
  std::string joined;
  for (const auto& l : seen[1].lines) joined += l + "\n";
  std::string expected;
  for (const auto& a : args) expected += "<" + a + ">\n";
  CHECK(joined == expected);
  CHECK(seen[1].exit->exit_code == 0);
}

TEST_CASE("a program that cannot run fails Start, naming it and why, with no event") {
  TempDir dir;
  WriteFile(dir / "plain.txt", "not a program\n");
  WriteFile(dir / "no-shebang", "echo hi\n");
  chmod((dir / "no-shebang").c_str(), 0755);
  WriteFile(dir / "bad-interpreter", "#!/nonexistent/interpreter\n");
  chmod((dir / "bad-interpreter").c_str(), 0755);

  auto b = MakeLocalBackend(FastOptions());
  auto missing = b->Start(Launch(1, {"gdsweep-no-such-program", "x"}));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == Error::Kind::kNotFound);
  CHECK(missing.error().message.find("'gdsweep-no-such-program'") != std::string::npos);
  CHECK(missing.error().message.find("No such file or directory") != std::string::npos);

  auto not_executable = b->Start(Launch(2, {dir / "plain.txt"}));
  REQUIRE_FALSE(not_executable);
  CHECK(not_executable.error().message.find("plain.txt") != std::string::npos);
  CHECK(not_executable.error().message.find("Permission denied") != std::string::npos);

  auto bad_format = b->Start(Launch(3, {dir / "no-shebang"}));
  REQUIRE_FALSE(bad_format);
  CHECK(bad_format.error().message.find("Exec format error") != std::string::npos);

  auto bad_interpreter = b->Start(Launch(4, {dir / "bad-interpreter"}));
  REQUIRE_FALSE(bad_interpreter);
  CHECK(bad_interpreter.error().message.find("interpreter") != std::string::npos);

  CHECK_FALSE(b->Start(Launch(5, {})));
  CHECK(b->Running() == 0);
  auto events = b->Wait(50ms);
  REQUIRE(events);
  CHECK(events->empty());
}

TEST_CASE("the child gets /dev/null, fds 0-2 only, its own process group and default signals") {
  // Descriptors and ignored signals of ours that must not reach the child.
  const int leaked = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC on purpose
  REQUIRE(leaked >= 0);
  auto old_pipe = ::signal(SIGPIPE, SIG_IGN);
  // Our stdin: a pipe nobody closes, so a child reading it would block.
  const int saved_stdin = ::dup(STDIN_FILENO);
  int stdin_pipe[2];
  REQUIRE(::pipe(stdin_pipe) == 0);
  ::dup2(stdin_pipe[0], STDIN_FILENO);
  ::close(stdin_pipe[0]);

  auto b = MakeLocalBackend(FastOptions());
  REQUIRE(b->Start(Launch(1, {"ls", "/proc/self/fd"})));  // ls itself opens fd 3
  REQUIRE(b->Start(Sh(2, "cut -d' ' -f5 /proc/$$/stat; echo $$")));
  REQUIRE(b->Start(Launch(3, {"grep", "SigIgn", "/proc/self/status"})));
  REQUIRE(b->Start(Launch(4, {"cat"})));  // would block on our stdin
  auto seen = RunAll(*b, 5000ms);
  ::signal(SIGPIPE, old_pipe);
  ::close(leaked);
  ::dup2(saved_stdin, STDIN_FILENO);
  ::close(saved_stdin);
  ::close(stdin_pipe[1]);

  CHECK(seen[1].lines == std::vector<std::string>{"0", "1", "2", "3"});
  REQUIRE(seen[2].lines.size() == 2);
  CHECK(seen[2].lines[0] == seen[2].lines[1]);
  // No ignored signal but glibc's two internal ones (32, 33), which glibc's
  // posix_spawn leaves ignored and every runtime using them installs anew.
  REQUIRE(seen[3].lines.size() == 1);
  const auto ignored = std::stoull(seen[3].lines[0].substr(sizeof("SigIgn:")), nullptr, 16);
  CHECK((ignored & ~((1ull << 31) | (1ull << 32))) == 0);
  REQUIRE(seen[4].exits == 1);
  CHECK(seen[4].lines.empty());
  CHECK(seen[4].exit->exit_code == 0);
}

TEST_CASE(
    "a stdout line past the limit is cut in its event, at a UTF-8 boundary, never in the log") {
  TempDir dir;
  const std::string huge(100000, 'a');
  std::string accents = "a";
  for (int i = 0; i < 600; ++i) accents += "\xC3\xA9";  // é: 1 + 1200 bytes
  const std::string content = huge + "\n" + accents + "\n\nlast";
  WriteFile(dir / "input", content);

  LocalBackendOptions options = FastOptions();
  options.max_line_bytes = 1000;
  auto b = MakeLocalBackend(options);
  REQUIRE(b->Start(Launch(1, {"cat", dir / "input"}, dir / "logs")));
  auto seen = RunAll(*b);
  REQUIRE(seen[1].lines.size() == 4);
  CHECK(seen[1].lines[0] == std::string(1000, 'a'));
  CHECK(seen[1].lines[1] == accents.substr(0, 999));  // not half an é
  CHECK(seen[1].lines[2].empty());
  CHECK(seen[1].lines[3] == "last");
  CHECK(ReadFile(dir / "logs/stdout.log") == content);
}

TEST_CASE("200 concurrent trivial children are each reported exactly once") {
  // Each running trial holds five descriptors.
  rlimit lim;
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &lim) == 0);
  if (lim.rlim_cur < 2048 && lim.rlim_max >= 2048) {
    rlimit raised = lim;
    raised.rlim_cur = 2048;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &raised) == 0);
  }
  TempDir dir;
  auto b = MakeLocalBackend(FastOptions());
  for (int i = 1; i <= 200; ++i) {
    REQUIRE(b->Start(Launch(i, {"echo", std::to_string(i)}, dir / ("t" + std::to_string(i)))));
  }
  CHECK(b->Running() == 200);
  auto seen = RunAll(*b, 15000ms);
  CHECK(b->Running() == 0);
  CHECK(seen.size() == 200);
  int good = 0;
  for (int i = 1; i <= 200; ++i) {
    const Seen& s = seen[i];
    if (s.exits == 1 && s.exit->exit_code == 0 && !s.output_after_exit &&
        s.lines == std::vector<std::string>{std::to_string(i)} &&
        ReadFile(dir / ("t" + std::to_string(i) + "/stdout.log")) == std::to_string(i) + "\n") {
      ++good;
    }
  }
  CHECK(good == 200);
  ::setrlimit(RLIMIT_NOFILE, &lim);
}

}  // namespace
}  // namespace gdsweep
