// The files embedded in the binary at build time (report/embed_files.cmake):
// Apache ECharts (third_party/echarts) and the page's template, style and
// script in four parts (report/assets/page_*.js, in the order they run).
// Each is read-only after first use; thread-safe.
#pragma once

#include <string_view>

namespace gdsweep::report::assets {

std::string_view echarts_js();
std::string_view page_html();
std::string_view page_css();
std::string_view page_common_js();
std::string_view page_charts_js();
std::string_view page_table_js();
std::string_view page_main_js();

}  // namespace gdsweep::report::assets
