#include "report/html_page.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

namespace gdsweep::report {
namespace {

TEST_CASE("JSON in a script element cannot close it and reads back the same") {
  const nlohmann::json doc = {{"name", "</script><script>alert(1)</script> <!-- & \u2028\u2029 é"}};
  const std::string safe = EscapeJsonForScript(doc.dump());
  CHECK(safe.find('<') == std::string::npos);
  CHECK(safe.find('>') == std::string::npos);
  CHECK(safe.find("\xE2\x80\xA8") == std::string::npos);
  CHECK(safe.find("\xE2\x80\xA9") == std::string::npos);
  CHECK(nlohmann::json::parse(safe) == doc);
}

TEST_CASE("HTML text escapes markup and quotes") {
  CHECK(EscapeHtml("<a href=\"x\">'&'</a>") ==
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

TEST_CASE("a report page is self-contained and its data cannot fill the template") {
  const std::string page = ReportPage("<study>", R"({"study": "{{JS}}</script>", "trials": []})");
  CHECK(page.find("<title>&lt;study&gt; · gdsweep</title>") != std::string::npos);
  CHECK(page.find("{{JS}}\\u003c/script\\u003e") != std::string::npos);
  CHECK(page.find("<script src") == std::string::npos);
  CHECK(page.find("connect-src") == std::string::npos);  // default-src 'none': no network
  CHECK(page.find("Apache Software Foundation") != std::string::npos);  // ECharts inline
  for (const char* placeholder :
       {"{{TITLE}}", "{{CSP}}", "{{CSS}}", "{{ECHARTS}}", "{{CONFIG}}", "{{DATA}}"}) {
    CHECK(page.find(placeholder) == std::string::npos);
  }
}

TEST_CASE("a dashboard page polls its own origin only") {
  const std::string page = DashboardPage("s", "/api/study", "/api/studies", 1000, 20000);
  CHECK(page.find("connect-src 'self'") != std::string::npos);
  CHECK(page.find(R"("data_url":"/api/study")") != std::string::npos);
}

}  // namespace
}  // namespace gdsweep::report
