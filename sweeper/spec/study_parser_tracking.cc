#include "sweeper/spec/study_parser_tracking.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

#include "sweeper/model/redact.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

const std::vector<std::string> kTrackingKeys = {"uri", "experiment", "artifact_location", "tag_key",
                                                "objective_source"};

constexpr const char* kTrackingPath = "tracking";
constexpr size_t kMaxExperimentName = 500;  // MLflow's MAX_EXPERIMENT_NAME_LENGTH
constexpr size_t kMaxKey = 250;             // MLflow's MAX_ENTITY_KEY_LENGTH

std::string TrackingPath(const std::string& key) { return JoinPath(kTrackingPath, key); }

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// "https://u:p@host:5000/x?y" -> {"https", "u:p@", "host:5000", "/x?y", true}.
struct UrlParts {
  std::string scheme;          // as written; empty when there is none
  std::string userinfo;        // "user:password@", or empty
  std::string authority;       // "host:port", without the user info
  std::string rest;            // path, query and fragment
  bool has_authority = false;  // "//" followed the scheme
};

UrlParts SplitUrl(const std::string& url) {
  static const std::regex kScheme("^([A-Za-z][A-Za-z0-9+.-]*):");
  UrlParts u;
  std::string after = url;
  if (std::smatch m; std::regex_search(url, m, kScheme)) {
    u.scheme = m[1];
    after = m.suffix();
  }
  if (after.rfind("//", 0) != 0) {
    u.rest = after;
    return u;
  }
  u.has_authority = true;
  after.erase(0, 2);
  const size_t end = std::min(after.find_first_of("/?#"), after.size());
  u.authority = after.substr(0, end);
  u.rest = after.substr(end);
  if (const size_t at = u.authority.rfind('@'); at != std::string::npos) {
    u.userinfo = u.authority.substr(0, at + 1);
    u.authority.erase(0, at + 1);
  }
  return u;
}

bool IsHostChar(unsigned char c) {
  return std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~' || c == '%' || c >= 0x80;
}

bool IsPort(const std::string& s) {
  auto digit = [](unsigned char c) { return std::isdigit(c) != 0; };
  if (s.empty() || s.size() > 5 || !std::all_of(s.begin(), s.end(), digit)) return false;
  const int port = std::stoi(s);
  return port >= 1 && port <= 65535;
}

// What is wrong with the host and port of an http(s) URL, or "".
std::string AuthorityProblem(const std::string& authority) {
  std::string host = authority;
  std::string port;
  bool has_port = false;
  if (!host.empty() && host[0] == '[') {  // [IPv6]:port
    const size_t close = host.find(']');
    if (close == std::string::npos) return "an IPv6 address needs its closing ']'";
    const std::string after = host.substr(close + 1);
    host = host.substr(1, close - 1);
    if (!after.empty() && after[0] != ':') return "expected ':PORT' after the IPv6 address";
    has_port = !after.empty();
    if (has_port) port = after.substr(1);
    static const std::regex kIpv6("[0-9A-Fa-f:.]+");
    if (!host.empty() && !std::regex_match(host, kIpv6)) return "not an IPv6 address in '[...]'";
  } else {
    if (const size_t colon = host.find(':'); colon != std::string::npos) {
      port = host.substr(colon + 1);
      host.erase(colon);
      has_port = true;
    }
    if (!std::all_of(host.begin(), host.end(), IsHostChar)) return "'" + host + "' is not a host";
  }
  if (host.empty()) return "the URL has no host";
  if (has_port && !IsPort(port)) return "expected a port from 1 to 65535 after ':'";
  return "";
}

// What is wrong with `uri` as the base URL of an MLflow tracking server, or "".
std::string UriProblem(const std::string& uri) {
  const UrlParts u = SplitUrl(uri);
  const std::string scheme = Lower(u.scheme);
  const std::string got = ", got '" + uri + "'";
  if ((scheme != "http" && scheme != "https") || !u.has_authority) {
    std::string what =
        "gdsweep talks to an MLflow tracking server over its REST API, so the URI must be "
        "http:// or https:// with a host" +
        got;
    static const std::regex kHostPort("[A-Za-z0-9.-]+:[0-9]+(/.*)?");
    static const std::regex kStore("file|sqlite|(postgresql|mysql|mssql)(\\+.*)?");
    if (std::regex_match(uri, kHostPort)) {
      what += "; did you mean 'http://" + uri + "'?";
    } else if (Lower(uri).rfind("databricks", 0) == 0) {
      what += "; for Databricks, give the workspace's https:// URL and MLFLOW_TRACKING_TOKEN";
    } else if (scheme.empty() || std::regex_match(scheme, kStore)) {
      what +=
          "; to use that store, serve it with `mlflow server --backend-store-uri ...` and "
          "give the server's address";
    }
    return what;
  }
  if (!u.userinfo.empty()) {
    return "credentials do not belong in the URI, which is stored with the study and passed to "
           "every trial; set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or "
           "MLFLOW_TRACKING_TOKEN, instead";
  }
  for (unsigned char c : uri) {
    if (c <= ' ' || c == 0x7f) return "must not contain spaces or control characters" + got;
  }
  if (auto problem = AuthorityProblem(u.authority); !problem.empty()) return problem + got;
  if (u.rest.find_first_of("?#") != std::string::npos) {
    return "expected the server's base URL, without a query ('?') or fragment ('#'): gdsweep "
           "appends /api/2.0/mlflow/... to it";
  }
  return "";
}

// A valid URI with its scheme in lower case and without trailing '/'.
std::string NormalizedUri(const std::string& uri) {
  UrlParts u = SplitUrl(uri);
  while (!u.rest.empty() && u.rest.back() == '/') u.rest.pop_back();
  return Lower(u.scheme) + "://" + u.authority + u.rest;
}

// MLflow's posixpath.normpath(key) == key, and no leading '/' or "..".
bool IsOwnPath(const std::string& key) {
  if (key.rfind('/', 0) == 0 || key.rfind("..", 0) == 0) return false;
  size_t start = 0;
  while (true) {
    const size_t slash = std::min(key.find('/', start), key.size());
    const std::string part = key.substr(start, slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == key.size()) return true;
    start = slash + 1;
  }
}

// What MLflow would refuse in `key` as a tag or metric key, or "".
std::string MlflowKeyProblem(const std::string& key) {
  static const std::regex kKey("[/A-Za-z0-9_.\\- :]*");
  if (key.empty()) return "must not be empty";
  if (key.size() > kMaxKey) {
    return "MLflow allows at most " + std::to_string(kMaxKey) + " characters, got " +
           std::to_string(key.size());
  }
  if (!std::regex_match(key, kKey)) {
    return "MLflow allows only letters, digits, '_', '-', '.', ' ', ':' and '/' in a key, got '" +
           key + "'";
  }
  if (!IsOwnPath(key)) {
    return "MLflow treats keys as file paths, so a key must not start with '/' or '..', end with "
           "'/', or have an empty, '.' or '..' part between slashes, got '" +
           key + "'";
  }
  return "";
}

// tracking.uri, else $MLFLOW_TRACKING_URI; `entry` is the tracking key.
Result<std::string> ReadUri(const YamlEntry& entry) {
  if (const YamlNode* v = FindValue(entry.value, "uri")) {
    auto uri = ReadString(*v, TrackingPath("uri"));
    if (!uri) return uri.error();
    if (uri->empty()) {
      return ErrorAt(v->location, TrackingPath("uri"),
                     "must not be empty (leave it out to use $MLFLOW_TRACKING_URI)");
    }
    if (auto problem = UriProblem(*uri); !problem.empty()) {
      return ErrorAt(v->location, TrackingPath("uri"), problem);
    }
    return NormalizedUri(*uri);
  }
  const char* env = std::getenv("MLFLOW_TRACKING_URI");
  if (!env || !*env) {
    return ErrorAt(entry.key_location, kTrackingPath,
                   "no tracking server: set tracking.uri or MLFLOW_TRACKING_URI");
  }
  if (auto problem = UriProblem(env); !problem.empty()) {
    return ErrorAt(entry.key_location, kTrackingPath,
                   "$MLFLOW_TRACKING_URI (used as tracking.uri is not set): " + problem);
  }
  return NormalizedUri(env);
}

Result<std::string> ReadExperiment(const YamlNode& node) {
  auto name = ReadString(node, TrackingPath("experiment"));
  if (!name) return name.error();
  if (name->empty()) {
    return ErrorAt(node.location, TrackingPath("experiment"),
                   "must not be empty (leave it out to use the study name)");
  }
  if (name->size() > kMaxExperimentName) {
    return ErrorAt(node.location, TrackingPath("experiment"),
                   "MLflow allows at most " + std::to_string(kMaxExperimentName) +
                       " characters, got " + std::to_string(name->size()));
  }
  return name;
}

Result<std::string> ReadArtifactLocation(const YamlNode& node) {
  auto location = ReadString(node, TrackingPath("artifact_location"));
  if (!location) return location.error();
  if (location->empty()) {
    return ErrorAt(node.location, TrackingPath("artifact_location"),
                   "must not be empty (leave it out for the server's default)");
  }
  if (SplitUrl(*location).userinfo.find(':') != std::string::npos) {
    return ErrorAt(node.location, TrackingPath("artifact_location"),
                   "a password does not belong here: it would be stored with the study and the "
                   "experiment; give the artifact store its credentials the way its client reads "
                   "them (an SSH key, AWS_ACCESS_KEY_ID, ...)");
  }
  return location;
}

Result<std::string> ReadTagKey(const YamlNode& node) {
  auto key = ReadString(node, TrackingPath("tag_key"));
  if (!key) return key.error();
  if (auto problem = MlflowKeyProblem(*key); !problem.empty()) {
    return ErrorAt(node.location, TrackingPath("tag_key"), problem);
  }
  if (key->rfind("mlflow.", 0) == 0) {
    return ErrorAt(node.location, TrackingPath("tag_key"),
                   "the mlflow. prefix is reserved for MLflow's own tags");
  }
  if (key->rfind("gdsweep.", 0) == 0 && *key != "gdsweep.tag") {
    return ErrorAt(node.location, TrackingPath("tag_key"),
                   "the gdsweep. prefix is reserved for the tags gdsweep sets (except "
                   "gdsweep.tag, the default)");
  }
  return key;
}

Result<TrackingSpec> ReadTracking(const YamlEntry& entry, const StudySpec& spec) {
  const YamlNode& node = entry.value;
  if (auto s = ExpectMapping(node, kTrackingPath); !s) return s.error();
  if (auto s = CheckKeys(node, kTrackingPath, kTrackingKeys); !s) return s.error();
  TrackingSpec t;
  auto uri = ReadUri(entry);
  if (!uri) return uri.error();
  t.uri = *uri;
  t.experiment = spec.name;
  if (const YamlNode* v = FindValue(node, "experiment")) {
    auto name = ReadExperiment(*v);
    if (!name) return name.error();
    t.experiment = *name;
  }
  if (const YamlNode* v = FindValue(node, "artifact_location")) {
    auto location = ReadArtifactLocation(*v);
    if (!location) return location.error();
    t.artifact_location = *location;
  }
  if (const YamlNode* v = FindValue(node, "tag_key")) {
    auto key = ReadTagKey(*v);
    if (!key) return key.error();
    t.tag_key = *key;
  }
  if (const YamlNode* v = FindValue(node, "objective_source")) {
    auto source = ReadEnum(*v, TrackingPath("objective_source"), {"output", "tracking"});
    if (!source) return source.error();
    t.objective_source =
        *source == "tracking" ? ObjectiveSource::kTracking : ObjectiveSource::kOutput;
  }
  for (const auto& objective : spec.objectives) {
    if (auto problem = MlflowKeyProblem(objective.metric); !problem.empty()) {
      return ErrorAt(
          entry.key_location, kTrackingPath,
          "the objective metric '" + objective.metric + "' cannot be logged to MLflow: " + problem);
    }
  }
  return t;
}

}  // namespace

Status ParseTrackingSection(const YamlNode& root, StudySpec& spec) {
  const YamlEntry* entry = root.Find(kTrackingPath);
  if (!entry || entry->value.IsNull()) return {};
  auto tracking = ReadTracking(*entry, spec);
  if (!tracking) return Error{tracking.error().kind, RedactText(tracking.error().message)};
  spec.tracking = std::move(*tracking);
  return {};
}

}  // namespace gdsweep
