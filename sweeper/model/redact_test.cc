#include "sweeper/model/redact.h"

#include <doctest/doctest.h>

namespace gdsweep {
namespace {

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("issue 11.13: a tracking URI without a scheme keeps its password out of messages") {
  CHECK(RedactUrl("alice:PASS@host:5000") == "***@host:5000");
  CHECK(RedactUrl("alice:PASS@host:5000/prefix") == "***@host:5000/prefix");
  const std::string message = RedactText(
      "tracking.uri: must be http:// or https:// with a host, got 'alice:PASS@host:5000'; did "
      "you mean 'http://alice:PASS@host:5000'?");
  CHECK_FALSE(Has(message, "PASS"));
  CHECK(Has(message, "got '***@host:5000'"));
  CHECK(Has(message, "'http://***@host:5000'"));
  CHECK(RedactText("MLFLOW_TRACKING_URI=alice:p@ss:w0rd@h.example:80") ==
        "MLFLOW_TRACKING_URI=***@h.example:80");
}

TEST_CASE("a URI with a scheme: user info masked, query dropped, the rest kept") {
  CHECK(RedactUrl("https://a:b@h:6443/api?token=y") == "https://***@h:6443/api");
  CHECK(RedactUrl("https://tok3n@h/x") == "https://***@h/x");
  CHECK(RedactUrl("http://127.0.0.1:5000/mlflow") == "http://127.0.0.1:5000/mlflow");
  CHECK(RedactUrl("sqlite:///tmp/x.db") == "sqlite:///tmp/x.db");
}

TEST_CASE("issue 11.13: an echoed Authorization header is masked in a server's error body") {
  const std::string bearer =
      RedactText("<html>bad gateway; you sent Authorization: Bearer eyJhbGciOi.xyz-123_abc</html>");
  CHECK_FALSE(Has(bearer, "eyJhbGciOi"));
  CHECK(Has(bearer, "Authorization: ***</html>"));
  const std::string basic =
      RedactText("{\"headers\": {\"Authorization\": \"Basic YWxpY2U6UEFTUw==\"}}");
  CHECK_FALSE(Has(basic, "YWxpY2U6UEFTUw"));
  CHECK_FALSE(Has(RedactText("got Bearer k8s-sa-token.abcdef from you"), "k8s-sa-token"));
  CHECK_FALSE(Has(RedactText("credentials Basic YWxpY2U6UEFTUw== refused"), "YWxpY2U6UEFTUw"));
  CHECK_FALSE(
      Has(RedactText("{\"token\": \"s3cr3t-value\", \"password\":\"hunter22\"}"), "s3cr3t"));
  CHECK_FALSE(
      Has(RedactText("{\"token\": \"s3cr3t-value\", \"password\":\"hunter22\"}"), "hunter22"));
  CHECK_FALSE(Has(RedactText("GET /x?access_token=abcdef&y=1"), "abcdef"));
}

TEST_CASE("the values the caller sent are masked wherever they appear") {
  const auto secrets = BasicAuthSecrets("alice", "PASS-word-1");
  REQUIRE(secrets.size() == 2);
  CHECK(secrets[1] == "YWxpY2U6UEFTUy13b3JkLTE=");  // base64 of "alice:PASS-word-1"
  const std::string echoed = RedactText(
      "proxy says: user alice pass PASS-word-1 header YWxpY2U6UEFTUy13b3JkLTE= token tok-123",
      {secrets[0], secrets[1], "tok-123", "ab"});
  CHECK_FALSE(Has(echoed, "PASS-word-1"));
  CHECK_FALSE(Has(echoed, "YWxpY2U6UEFTUy13b3JkLTE"));
  CHECK_FALSE(Has(echoed, "tok-123"));
  CHECK(Has(echoed, "user alice"));
  CHECK(BasicAuthSecrets("", "").empty());
}

TEST_CASE("prose about credentials is left as it is") {
  for (const char* text :
       {"set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (HTTP Basic) or "
        "MLFLOW_TRACKING_TOKEN (bearer token) for this server",
        "HTTP Basic authentication needs both", "mail ops@example.com at 10:30",
        "study.yaml:3:5: tracking.uri: expected a string", "users[0].user.password: not a string",
        "the Kubernetes API at https://10.0.0.1:6443 refused the credentials (401)"}) {
    CHECK(RedactText(text) == text);
  }
}

}  // namespace
}  // namespace gdsweep
