// The one writer of tabular output for every command: an aligned text table
// (each cell on one line, control characters and invalid UTF-8 escaped) or
// CSV (RFC 4180 quoting, exact text), and the short and exact forms of
// numbers used in them. Pure functions apart from writing to `out`;
// thread-compatible.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "sweeper/model/result.h"

namespace gdsweep::cli {

enum class Format { kTable, kCsv, kJson };
Result<Format> ParseFormat(const std::string& s);

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // each as long as the header
};

// kTable: columns padded to their widest cell (in characters), two spaces
// apart, trailing spaces trimmed. kCsv: a field holding a comma, a quote, a
// CR or LF, or leading/trailing spaces is quoted, its quotes doubled; rows end
// with "\n". kJson is not a table format: callers print JSON themselves.
void PrintTable(std::FILE* out, const Table& table, Format format);

// A cell as a table shows it: one line, printable. A newline, carriage return
// and tab become \n, \r, \t; other control characters and bytes that are
// not UTF-8 \xHH.
std::string TableCell(std::string_view text);

// A number as a table shows it: 6 significant digits ("%.6g": 0.000123457,
// 1.5e+10), "nan", "inf", "-inf". CSV and JSON keep the exact value.
std::string ShortNumber(double v);

}  // namespace gdsweep::cli
