#include "sweeper/cli/point_rows.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace gdsweep::cli {
namespace {

Status CheckPoint(const Point& point, const SearchSpace& space, const std::string& origin) {
  if (point.empty()) return Error::Invalid(origin + ": a point needs at least one parameter");
  auto params = PointToParams(space, point);
  if (!params) return params.error().Wrap(origin);
  return {};
}

Result<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::NotFound(path + ": cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool EndsWith(const std::string& s, const std::string& end) {
  return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
}

Result<std::vector<Point>> JsonRows(const std::string& path, const std::string& text,
                                    const SearchSpace& space) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_array()) {
    return Error::Invalid(path + ": expected a JSON list of objects ([{\"lr\": 0.01}, ...])");
  }
  std::vector<Point> points;
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string origin = path + ": [" + std::to_string(i) + "]";
    auto point = PointFromJson(j[i].dump());
    if (!point) return point.error().Wrap(origin);
    if (auto s = CheckPoint(*point, space, origin); !s) return s.error();
    points.push_back(std::move(*point));
  }
  return points;
}

Result<std::vector<Point>> CsvRows(const std::string& path, const std::string& text,
                                   const SearchSpace& space) {
  auto records = ParseCsv(text);
  if (!records) return records.error().Wrap(path);
  if (records->empty()) return Error::Invalid(path + ": no header row of parameter names");
  const auto& header = records->front();
  for (size_t c = 0; c < header.size(); ++c) {
    if (!FindParameter(space, header[c])) {
      return PointToParams(space, Point{{header[c], Choice{}}})
          .error()
          .Wrap(path + ":1: column " + std::to_string(c + 1));
    }
  }
  std::vector<Point> points;
  for (size_t r = 1; r < records->size(); ++r) {
    const auto& row = (*records)[r];
    const std::string origin = path + ":" + std::to_string(r + 1);
    if (row.size() == 1 && row[0].empty()) continue;  // a blank line
    if (row.size() != header.size()) {
      return Error::Invalid(origin + ": " + std::to_string(row.size()) +
                            " fields, the header has " + std::to_string(header.size()));
    }
    Point point;
    for (size_t c = 0; c < row.size(); ++c) {
      if (row[c].empty()) continue;
      point[header[c]] = CellToValue(FindParameter(space, header[c])->distribution, row[c]);
    }
    if (auto s = CheckPoint(point, space, origin); !s) return s.error();
    points.push_back(std::move(point));
  }
  return points;
}

}  // namespace

Result<Point> ParsePointFlag(const std::string& text, const std::string& origin,
                             const SearchSpace& space) {
  auto point = PointFromJson(text);
  if (!point) return point.error().Wrap(origin);
  if (auto s = CheckPoint(*point, space, origin); !s) return s.error();
  return point;
}

Result<std::vector<Point>> ReadPointFile(const std::string& path, const SearchSpace& space) {
  auto text = ReadText(path);
  if (!text) return text.error();
  if (EndsWith(path, ".json")) return JsonRows(path, *text, space);
  if (EndsWith(path, ".csv")) return CsvRows(path, *text, space);
  return Error::Invalid(path + ": expected a .json or .csv file of points");
}

Result<std::vector<std::vector<std::string>>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false, after_quote = false;
  int line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
        after_quote = true;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
      after_quote = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      record.push_back(std::move(field));
      records.push_back(std::move(record));
      field.clear();
      record.clear();
      after_quote = false;
      ++line;
    } else if (after_quote) {
      return Error::Invalid("line " + std::to_string(line) + ": '" + std::string(1, c) +
                            "' after a closing quote");
    } else if (c == '"' && field.empty()) {
      quoted = true;
    } else {
      field += c;
    }
  }
  if (quoted) return Error::Invalid("line " + std::to_string(line) + ": a quote is never closed");
  if (!field.empty() || !record.empty() || after_quote) {
    record.push_back(std::move(field));
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace gdsweep::cli
