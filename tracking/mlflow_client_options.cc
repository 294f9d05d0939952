// The parts of the MLflow client that need no server: the tracking URI check,
// options from MLflow's environment variables, log-batch splitting and the
// quoting of search filters.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "sweeper/model/redact.h"
#include "tracking/mlflow_client.h"

namespace gdsweep::mlflow {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const char kNeedServer[] =
    "gdsweep speaks MLflow's REST API and needs the URL of a tracking server, "
    "http(s)://host[:port][/prefix] (for example the address of `mlflow server`)";

// Why a URI with this scheme (lower case; "" for a plain path) is not one.
std::string WhyNotHttp(const std::string& scheme) {
  if (scheme.empty() || scheme == "file") {
    return "it names a local MLflow file store, which only MLflow's own library writes";
  }
  if (scheme == "databricks" || scheme.rfind("databricks", 0) == 0) {
    return "use the workspace's https:// URL with MLFLOW_TRACKING_TOKEN instead of a "
           "'databricks' profile URI";
  }
  if (scheme.rfind("sqlite", 0) == 0 || scheme.rfind("postgres", 0) == 0 ||
      scheme.rfind("mysql", 0) == 0 || scheme.rfind("mssql", 0) == 0) {
    return "a database URI is the --backend-store-uri of `mlflow server`, not a tracking URL";
  }
  return "the scheme '" + scheme + "' is not http or https";
}

}  // namespace

Status CheckTrackingUri(const std::string& uri) {
  if (uri.empty()) {
    return Error::Invalid(std::string("the MLflow tracking URI is empty (is MLFLOW_TRACKING_URI "
                                      "set?): ") +
                          kNeedServer);
  }
  const std::string shown = RedactUrl(uri);
  auto sep = uri.find("://");
  std::string scheme;
  if (sep != std::string::npos) {
    scheme = Lower(uri.substr(0, sep));
  } else if (uri.find('@') != std::string::npos && RedactText(uri) != uri) {
    // "user:password@host:port": a URI without its scheme
    return Error::Invalid("MLflow tracking URI '" + shown +
                          "' has no scheme; write http:// or https:// before it, and give the "
                          "credentials in MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD "
                          "(or MLFLOW_TRACKING_TOKEN) instead; " +
                          kNeedServer);
  } else if (auto colon = uri.find(':'); colon != std::string::npos && colon > 1) {
    scheme = Lower(uri.substr(0, colon));  // file:/x, sqlite:..., databricks (no colon: path)
  } else if (Lower(uri).rfind("databricks", 0) == 0) {
    scheme = "databricks";
  }
  if (scheme != "http" && scheme != "https") {
    return Error::Invalid("MLflow tracking URI '" + shown + "': " + WhyNotHttp(scheme) + "; " +
                          kNeedServer);
  }
  if (sep == std::string::npos) {
    return Error::Invalid("MLflow tracking URI '" + shown + "' lacks '//' after '" + scheme +
                          ":'; " + kNeedServer);
  }
  const std::string rest = uri.substr(sep + 3);
  auto host_end = rest.find('/');
  std::string authority = rest.substr(0, host_end);
  if (auto at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  if (authority.empty() || authority[0] == ':') {
    return Error::Invalid("MLflow tracking URI '" + shown + "' has no host; " + kNeedServer);
  }
  if (uri.find_first_of("?#") != std::string::npos) {
    return Error::Invalid("MLflow tracking URI '" + shown +
                          "' must not have a query or fragment ('?', '#'); " + kNeedServer);
  }
  if (std::any_of(uri.begin(), uri.end(),
                  [](unsigned char c) { return std::isspace(c) || std::iscntrl(c); })) {
    return Error::Invalid("MLflow tracking URI '" + shown + "' contains white space");
  }
  return {};
}

Result<ClientOptions> OptionsFromEnvironment(const std::string& tracking_uri) {
  if (auto ok = CheckTrackingUri(tracking_uri); !ok) return ok.error();
  ClientOptions o;
  o.tracking_uri = tracking_uri;
  o.token = Env("MLFLOW_TRACKING_TOKEN");
  o.username = Env("MLFLOW_TRACKING_USERNAME");
  o.password = Env("MLFLOW_TRACKING_PASSWORD");
  if (o.token.empty() && o.username.empty() != o.password.empty()) {
    return Error::Invalid(o.username.empty()
                              ? "MLFLOW_TRACKING_PASSWORD is set but MLFLOW_TRACKING_USERNAME is "
                                "not: HTTP Basic authentication needs both"
                              : "MLFLOW_TRACKING_USERNAME is set but MLFLOW_TRACKING_PASSWORD is "
                                "not: HTTP Basic authentication needs both");
  }
  const std::string insecure = Lower(Env("MLFLOW_TRACKING_INSECURE_TLS"));
  if (insecure == "true" || insecure == "1") {
    o.insecure_tls = true;
  } else if (!insecure.empty() && insecure != "false" && insecure != "0") {
    return Error::Invalid("MLFLOW_TRACKING_INSECURE_TLS='" + Env("MLFLOW_TRACKING_INSECURE_TLS") +
                          "': expected true or false");
  }
  o.server_cert_path = Env("MLFLOW_TRACKING_SERVER_CERT_PATH");
  o.client_cert_path = Env("MLFLOW_TRACKING_CLIENT_CERT_PATH");
  if (o.insecure_tls && !o.server_cert_path.empty()) {
    return Error::Invalid(
        "MLFLOW_TRACKING_INSECURE_TLS=true and MLFLOW_TRACKING_SERVER_CERT_PATH exclude each "
        "other: set one of them");
  }
  for (const auto& [name, path] :
       {std::pair{"MLFLOW_TRACKING_SERVER_CERT_PATH", o.server_cert_path},
        std::pair{"MLFLOW_TRACKING_CLIENT_CERT_PATH", o.client_cert_path}}) {
    std::error_code ec;
    if (!path.empty() && !std::filesystem::is_regular_file(path, ec)) {
      return Error::Invalid(std::string(name) + "=" + path + ": no such file");
    }
  }
  return o;
}

std::vector<BatchPart> SplitBatch(const std::vector<Metric>& metrics,
                                  const std::vector<Tag>& params, const std::vector<Tag>& tags,
                                  const BatchLimits& limits) {
  std::vector<BatchPart> parts;
  size_t m = 0, p = 0, t = 0;
  while (m < metrics.size() || p < params.size() || t < tags.size()) {
    const size_t np = std::min({limits.params, params.size() - p, limits.items});
    const size_t nt = std::min({limits.tags, tags.size() - t, limits.items - np});
    const size_t nm = std::min({limits.metrics, metrics.size() - m, limits.items - np - nt});
    if (np + nt + nm == 0) break;  // zero limits: nothing could ever be sent
    BatchPart part;
    part.params.assign(params.begin() + p, params.begin() + p + np);
    part.tags.assign(tags.begin() + t, tags.begin() + t + nt);
    part.metrics.assign(metrics.begin() + m, metrics.begin() + m + nm);
    p += np;
    t += nt;
    m += nm;
    parts.push_back(std::move(part));
  }
  return parts;
}

std::string FilterKey(const std::string& prefix, const std::string& key) {
  std::string p = prefix;
  if (!p.empty() && p.back() == '.') p.pop_back();
  if (key.find('`') == std::string::npos) return p + ".`" + key + "`";
  return p + ".\"" + key + "\"";
}

bool FilterStringExpressible(const std::string& value) {
  const bool single = value.find('\'') != std::string::npos;
  const bool dbl = value.find('"') != std::string::npos;
  return !(single && dbl) && (value.empty() || value.back() != '\\');
}

std::string FilterString(const std::string& value) {
  if (!FilterStringExpressible(value)) return "";
  const char quote = value.find('\'') == std::string::npos ? '\'' : '"';
  return quote + value + quote;
}

}  // namespace gdsweep::mlflow
