#include "report/html_page.h"

#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "report/assets.h"

namespace gdsweep::report {
namespace {

// The template with each {{NAME}} replaced by its value; a value is never
// searched again, so data cannot inject a placeholder.
std::string Fill(std::string_view tmpl,
                 const std::vector<std::pair<std::string_view, std::string_view>>& values) {
  std::string out;
  out.reserve(tmpl.size() + 4 * 1024 * 1024);
  size_t pos = 0;
  while (true) {
    const size_t open = tmpl.find("{{", pos);
    if (open == std::string_view::npos) break;
    const size_t close = tmpl.find("}}", open);
    if (close == std::string_view::npos) break;
    const std::string_view key = tmpl.substr(open + 2, close - open - 2);
    out.append(tmpl.substr(pos, open - pos));
    bool found = false;
    for (const auto& [name, value] : values) {
      if (name == key) {
        out.append(value);
        found = true;
        break;
      }
    }
    if (!found) out.append(tmpl.substr(open, close + 2 - open));
    pos = close + 2;
  }
  out.append(tmpl.substr(pos));
  return out;
}

// No network for a report; the dashboard reads its own origin only.
constexpr const char* kReportCsp =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: "
    "blob:";
constexpr const char* kDashboardCsp =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: "
    "blob:; connect-src 'self'";

std::string Page(std::string_view title, std::string_view csp, std::string_view config_json,
                 std::string_view data) {
  const std::string safe_title = EscapeHtml(title);
  const std::string safe_config = EscapeJsonForScript(config_json);
  return Fill(assets::page_html(), {{"TITLE", safe_title},
                                    {"CSP", csp},
                                    {"CSS", assets::page_css()},
                                    {"ECHARTS", assets::echarts_js()},
                                    {"CONFIG", safe_config},
                                    {"DATA", data},
                                    {"JS_COMMON", assets::page_common_js()},
                                    {"JS_CHARTS", assets::page_charts_js()},
                                    {"JS_TABLE", assets::page_table_js()},
                                    {"JS_MAIN", assets::page_main_js()}});
}

}  // namespace

std::string EscapeJsonForScript(std::string_view json) {
  std::string out;
  out.reserve(json.size() + json.size() / 16);
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xE2' && i + 2 < json.size() && json[i + 1] == '\x80' &&
               (json[i + 2] == '\xA8' || json[i + 2] == '\xA9')) {
      out += json[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string ReportPage(std::string_view title, std::string_view data_json) {
  return Page(title, kReportCsp, R"({"mode": "report"})", EscapeJsonForScript(data_json));
}

std::string DashboardPage(std::string_view title, std::string_view data_url,
                          std::string_view studies_url, int poll_ms, int wait_ms) {
  const nlohmann::json config = {{"mode", "dashboard"},
                                 {"data_url", std::string(data_url)},
                                 {"studies_url", std::string(studies_url)},
                                 {"poll_ms", poll_ms},
                                 {"wait_ms", wait_ms}};
  return Page(title, kDashboardCsp,
              config.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "null");
}

}  // namespace gdsweep::report
