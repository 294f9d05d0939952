#include "sweeper/cli/table.h"

#include <algorithm>
#include <cmath>

#include "sweeper/model/utf8.h"

namespace gdsweep::cli {
namespace {

// The width of an escaped cell in terminal columns: one per UTF-8 character
// (TableCell leaves only valid UTF-8).
size_t Width(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string CsvField(const std::string& s) {
  const bool padded = !s.empty() && (s.front() == ' ' || s.back() == ' ');
  if (!padded && s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void PrintCsvRow(std::FILE* out, const std::vector<std::string>& row) {
  std::string line;
  for (size_t i = 0; i < row.size(); ++i) line += (i ? "," : "") + CsvField(row[i]);
  std::fprintf(out, "%s\n", line.c_str());
}

}  // namespace

Result<Format> ParseFormat(const std::string& s) {
  if (s == "table") return Format::kTable;
  if (s == "csv") return Format::kCsv;
  if (s == "json") return Format::kJson;
  return Error::Invalid("--format must be table, csv or json, not '" + PrintableExcerpt(s) + "'");
}

std::string TableCell(std::string_view text) {
  std::string out;
  size_t start = 0;  // the part not yet copied, between escapes
  auto flush = [&](size_t end) {
    out += PrintableExcerpt(text.substr(start, end - start), std::string_view::npos);
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char* escape = nullptr;
    switch (text[i]) {
      case '\n':
        escape = "\\n";
        break;
      case '\r':
        escape = "\\r";
        break;
      case '\t':
        escape = "\\t";
        break;
      default:
        break;
    }
    if (!escape) continue;
    flush(i);
    out += escape;
    start = i + 1;
  }
  flush(text.size());
  return out;
}

std::string ShortNumber(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void PrintTable(std::FILE* out, const Table& table, Format format) {
  if (format == Format::kCsv) {
    PrintCsvRow(out, table.header);
    for (const auto& r : table.rows) PrintCsvRow(out, r);
    return;
  }
  std::vector<std::vector<std::string>> cells;
  cells.reserve(table.rows.size() + 1);
  for (const auto* r : {&table.header}) cells.push_back(*r);
  cells.insert(cells.end(), table.rows.begin(), table.rows.end());
  std::vector<size_t> width;
  for (auto& row : cells) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) {
      row[i] = TableCell(row[i]);
      width[i] = std::max(width[i], Width(row[i]));
    }
  }
  for (const auto& row : cells) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - Width(row[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::fprintf(out, "%s\n", line.c_str());
  }
}

}  // namespace gdsweep::cli
