// HttpClient against a scripted HTTP server on 127.0.0.1 in this process:
// plain requests, retries on 429/5xx with Retry-After, streaming, and
// Abort() from another thread ending a stream or a back-off at once.
#include "backends/http/http_client.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gdsweep {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// One scripted answer: raw bytes to send, then close or hang (keep the
// connection open, silent, until the server stops).
struct Answer {
  std::string raw;
  bool hang = false;
  bool close = false;
};

// Serves each request (its head and body) with `handler`, one connection at
// a time, keeping connections alive.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::function<Answer(const std::string&)> handler)
      : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    REQUIRE(::listen(listen_fd_, 16) == 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (conn_fd_ >= 0) ::shutdown(conn_fd_, SHUT_RDWR);
    }
    thread_.join();
    ::close(listen_fd_);
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int requests() const { return requests_; }

 private:
  void Serve() {
    while (!stop_) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      {
        std::lock_guard<std::mutex> lock(mu_);
        conn_fd_ = fd;
      }
      std::string buffer;
      bool open = true;
      while (open && !stop_) {
        size_t head_end;
        while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
          char chunk[4096];
          ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
          if (n <= 0) {
            open = false;
            break;
          }
          buffer.append(chunk, static_cast<size_t>(n));
        }
        if (!open) break;
        size_t length = 0;
        auto cl = buffer.find("Content-Length: ");
        if (cl != std::string::npos && cl < head_end) length = std::stoul(buffer.substr(cl + 16));
        while (buffer.size() < head_end + 4 + length) {
          char chunk[4096];
          ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
          if (n <= 0) break;
          buffer.append(chunk, static_cast<size_t>(n));
        }
        std::string request = buffer.substr(0, head_end + 4 + length);
        buffer.erase(0, request.size());
        ++requests_;
        Answer a = handler_(request);
        (void)::send(fd, a.raw.data(), a.raw.size(), MSG_NOSIGNAL);
        if (a.hang) {
          char c;
          while (!stop_ && ::recv(fd, &c, 1, 0) > 0) {
          }
          open = false;
        }
        if (a.close) open = false;
      }
      std::lock_guard<std::mutex> lock(mu_);
      ::close(fd);
      conn_fd_ = -1;
    }
  }

  std::function<Answer(const std::string&)> handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::mutex mu_;
  int conn_fd_ = -1;
};

std::string Response(int status, const std::string& body, const std::string& extra = "") {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

HttpClient MakeClient() {
  HttpClientOptions options;
  options.request_timeout = milliseconds(20000);
  return HttpClient(options);
}

TEST_CASE("Send returns the status, lower-case headers and the body; sends method and body") {
  std::string seen;
  ScriptedServer server([&](const std::string& req) {
    seen = req;
    return Answer{Response(201, "{\"ok\":true}", "X-Thing: Yes\r\n")};
  });
  HttpClient client = MakeClient();
  HttpRequest req;
  req.method = "POST";
  req.url = server.Url("/jobs?x=1");
  req.headers = {{"Authorization", "Bearer secret"}};
  req.body = "{\"a\":1}";
  auto r = client.Send(req);
  REQUIRE(r.ok());
  CHECK(r->status == 201);
  CHECK(r->body == "{\"ok\":true}");
  CHECK(r->headers.at("x-thing") == "Yes");
  CHECK(seen.rfind("POST /jobs?x=1 HTTP/1.1\r\n", 0) == 0);
  CHECK(seen.find("Content-Type: application/json") != std::string::npos);
  CHECK(seen.find("{\"a\":1}") != std::string::npos);
}

TEST_CASE("SendWithRetry retries 503 and 429, waits for Retry-After, then returns the answer") {
  int n = 0;
  ScriptedServer server([&](const std::string&) {
    ++n;
    if (n == 1) return Answer{Response(503, "busy")};
    if (n == 2) return Answer{Response(429, "slow down", "Retry-After: 1\r\n")};
    return Answer{Response(200, "done")};
  });
  HttpClient client = MakeClient();
  HttpRequest req;
  req.url = server.Url("/x");
  RetryPolicy policy;
  policy.initial_backoff = milliseconds(10);
  const auto start = Clock::now();
  auto r = client.SendWithRetry(req, policy);
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->body == "done");
  CHECK(n == 3);
  CHECK(Clock::now() - start >= milliseconds(1000));  // Retry-After: 1
}

TEST_CASE("SendWithRetry gives up after max_attempts and returns the last answer; 4xx is final") {
  int n = 0;
  ScriptedServer server([&](const std::string& req) {
    ++n;
    if (req.find("/bad") != std::string::npos) return Answer{Response(403, "no")};
    return Answer{Response(500, "broken")};
  });
  HttpClient client = MakeClient();
  RetryPolicy policy;
  policy.max_attempts = 3;
  policy.initial_backoff = milliseconds(1);
  HttpRequest req;
  req.url = server.Url("/x");
  auto r = client.SendWithRetry(req, policy);
  REQUIRE(r.ok());
  CHECK(r->status == 500);
  CHECK(n == 3);
  req.url = server.Url("/bad");
  r = client.SendWithRetry(req, policy);
  REQUIRE(r.ok());
  CHECK(r->status == 403);
  CHECK(n == 4);
}

TEST_CASE("Stream delivers a chunked body as it comes, and stops when on_data says so") {
  ScriptedServer server([](const std::string&) {
    return Answer{
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "6\r\nline1\n\r\n6\r\nline2\n\r\n0\r\n\r\n"};
  });
  HttpClient client = MakeClient();
  HttpRequest req;
  req.url = server.Url("/watch");
  std::string got;
  auto status = client.Stream(req, [&](std::string_view d) {
    got += d;
    return true;
  });
  REQUIRE(status.ok());
  CHECK(status->status == 200);
  CHECK(status->body.empty());
  CHECK(got == "line1\nline2\n");

  got.clear();
  status = client.Stream(req, [&](std::string_view d) {
    got += d;
    return false;
  });
  REQUIRE(status.ok());
  CHECK(got.size() < std::string("line1\nline2\n").size() + 1);
}

TEST_CASE("Stream keeps an error answer's body instead of streaming it") {
  ScriptedServer server([](const std::string&) {
    return Answer{Response(410, "{\"kind\":\"Status\",\"code\":410}")};
  });
  HttpClient client = MakeClient();
  HttpRequest req;
  req.url = server.Url("/watch");
  std::string got;
  auto r = client.Stream(req, [&](std::string_view d) {
    got += d;
    return true;
  });
  REQUIRE(r.ok());
  CHECK(r->status == 410);
  CHECK(r->body == "{\"kind\":\"Status\",\"code\":410}");
  CHECK(got.empty());
}

TEST_CASE("a stream cut before its final chunk is an error, not a clean end") {
  ScriptedServer server([](const std::string&) {
    return Answer{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nline1\n\r\n", false,
                  true};
  });
  HttpClient client = MakeClient();
  HttpRequest req;
  req.url = server.Url("/watch");
  auto status = client.Stream(req, [](std::string_view) { return true; });
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().kind == Error::Kind::kIo);
}

TEST_CASE("Abort from another thread ends an idle stream at once, and later requests") {
  ScriptedServer server([](const std::string&) {
    return Answer{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\na\n\r\n", true};
  });
  HttpClient client = MakeClient();
  HttpRequest req;
  req.url = server.Url("/watch?token=secret");
  std::thread aborter([&] {
    std::this_thread::sleep_for(milliseconds(300));
    client.Abort();
  });
  const auto start = Clock::now();
  auto status = client.Stream(req, [](std::string_view) { return true; });
  aborter.join();
  CHECK(Clock::now() - start < milliseconds(900));  // not curl's 1 s progress tick
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().kind == Error::Kind::kInterrupted);
  CHECK(status.error().message.find("secret") == std::string::npos);
  auto again = client.Send(req);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().kind == Error::Kind::kInterrupted);
}

TEST_CASE("Abort ends a retry's back-off") {
  ScriptedServer server(
      [](const std::string&) { return Answer{Response(429, "", "Retry-After: 30\r\n")}; });
  HttpClient client = MakeClient();
  HttpRequest req;
  req.url = server.Url("/x");
  RetryPolicy policy;
  policy.max_backoff = milliseconds(30000);
  std::thread aborter([&] {
    std::this_thread::sleep_for(milliseconds(300));
    client.Abort();
  });
  const auto start = Clock::now();
  auto r = client.SendWithRetry(req, policy);
  aborter.join();
  CHECK(Clock::now() - start < milliseconds(5000));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == Error::Kind::kInterrupted);
}

TEST_CASE("failures that trying again cannot fix are not retried") {
  HttpClient client = MakeClient();
  HttpRequest req;
  req.url = "ftp://127.0.0.1/x";
  RetryPolicy policy;
  policy.initial_backoff = milliseconds(1000);
  const auto start = Clock::now();
  auto r = client.SendWithRetry(req, policy);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == Error::Kind::kInvalidInput);
  CHECK(Clock::now() - start < milliseconds(900));
}

TEST_CASE("transport errors name the URL without credentials or query") {
  HttpClient client = MakeClient();
  HttpRequest req;
  req.url = "http://user:pw@127.0.0.1:1/x?token=abc";
  auto r = client.Send(req);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == Error::Kind::kIo);
  CHECK(r.error().message.find("pw") == std::string::npos);
  CHECK(r.error().message.find("abc") == std::string::npos);
  CHECK(RedactUrl("https://a:b@h:6443/api?x=y") == "https://***@h:6443/api");
}

}  // namespace
}  // namespace gdsweep
