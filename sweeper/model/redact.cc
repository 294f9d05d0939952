#include "sweeper/model/redact.h"

#include <algorithm>
#include <regex>

#include "sweeper/model/base64.h"

namespace gdsweep {
namespace {

// Each rule keeps group 1 (what names the credential) and masks the rest.
struct Rule {
  std::regex pattern;
  const char* replacement;
};

const std::vector<Rule>& Rules() {
  using std::regex;
  constexpr auto icase = regex::ECMAScript | regex::icase;
  static const std::vector<Rule> kRules = {
      // The value of an Authorization header, in a header dump or as a JSON or
      // query field: "Authorization: Bearer x", {"authorization": "Basic x"}.
      {regex(
           R"((authorization["']?\s*[:=]\s*["']?)(?:(?:bearer|basic|token|digest|negotiate)\s+)?[^\s"',;}&<]+)",
           icase),
       "$1***"},
      // Token and password fields: JSON ("password": "x"), query or
      // environment style (token=x, MLFLOW_TRACKING_PASSWORD=x).
      {regex(
           R"((["'](?:[a-z_]*token|[a-z_]*password|passwd|secret|api_?key)["']\s*:\s*["']?)[^"',;}\s]+)",
           icase),
       "$1***"},
      {regex(
           R"(((?:^|[\s?&;,(])(?:[a-z_]*token|[a-z_]*password|passwd|pwd|secret|api_?key|sig)=)[^&\s#'",;)]+)",
           icase),
       "$1***"},
      // A bearer token and base64 Basic credentials wherever they stand (the
      // words are case-sensitive so that prose like "bearer token" or "HTTP
      // Basic authentication" is left alone).
      {regex(R"((Bearer\s+)[A-Za-z0-9._~+/-]{6,}=*)"), "$1***"},
      {regex(
           R"((Basic\s+)(?:[A-Za-z0-9+/]{4}){2,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?(?![A-Za-z0-9+/=]))"),
       "$1***"},
      // The user info of a URI with a scheme: "https://u:p@h" -> "https://***@h".
      {regex(R"(([A-Za-z][A-Za-z0-9+.-]*://)[^\s/?#'"<>]*@)"), "$1***@"},
      // "user:password@host" without a scheme (a colon before the '@' and a
      // host after it, so that an e-mail address stays as it is).
      {regex(R"(((?:^|[\s'"(<\[,=]))[^\s/?#'"<>:@=]*:[^\s/?#'"<>]*@(?=[A-Za-z0-9\[]))"), "$1***@"},
  };
  return kRules;
}

}  // namespace

std::string RedactText(std::string_view text, const std::vector<std::string>& secrets) {
  std::string out(text);
  if (out.empty()) return out;  // the common case of FinishTrial: no reason
  // Longest first, so that a secret containing another is masked whole.
  std::vector<const std::string*> known;
  for (const auto& s : secrets) {
    if (s.size() >= 3) known.push_back(&s);
  }
  std::sort(known.begin(), known.end(),
            [](const std::string* a, const std::string* b) { return a->size() > b->size(); });
  for (const std::string* secret : known) {
    for (auto at = out.find(*secret); at != std::string::npos; at = out.find(*secret, at + 3)) {
      out.replace(at, secret->size(), "***");
    }
  }
  for (const auto& rule : Rules()) out = std::regex_replace(out, rule.pattern, rule.replacement);
  return out;
}

std::string RedactUrl(std::string_view url) {
  std::string_view kept = url.substr(0, std::min(url.find('?'), url.size()));
  return RedactText(kept);
}

std::vector<std::string> BasicAuthSecrets(const std::string& user, const std::string& password) {
  if (user.empty() && password.empty()) return {};
  return {password, EncodeBase64(user + ":" + password)};
}

}  // namespace gdsweep
