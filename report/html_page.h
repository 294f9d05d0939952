// The report page: one self-contained HTML file (ECharts, the page's script,
// style and data inline; nothing fetched), or, for the dashboard, the same page
// reading its data from a JSON address it polls. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace gdsweep::report {

// JSON text made safe inside a <script> element: '<', '>' and '&' become
// \u003c, \u003e, \u0026 and U+2028/U+2029 become \u2028/\u2029 (JSON reads
// them back unchanged), so no "</script>" or "<!--" can end or change it.
std::string EscapeJsonForScript(std::string_view json);

// Text made safe as HTML element content or attribute value.
std::string EscapeHtml(std::string_view text);

// A report of the study whose StudyJson is `data_json`.
std::string ReportPage(std::string_view title, std::string_view data_json);

// A dashboard page: it reads StudyJson from `data_url` (a same-origin path),
// then asks again `poll_ms` after each answer, passing the version it has
// (`since`) and how long the server may hold the request waiting for a change
// (`wait`, `wait_ms`); it lists the database's studies from `studies_url`.
std::string DashboardPage(std::string_view title, std::string_view data_url,
                          std::string_view studies_url, int poll_ms, int wait_ms);

}  // namespace gdsweep::report
