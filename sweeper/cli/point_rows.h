// The points `gdsweep enqueue` reads: a --params JSON object, or the rows of
// a JSON file (a list of objects) or a CSV file (a header of parameter names,
// one point per row, an empty cell for a parameter the sampler fills). Each
// point is checked against the search space, and an error names where it
// came from ("rows.csv:3: lr: 5 is outside [0.0001, 1]"). Pure functions
// apart from reading the file; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "sweeper/model/point.h"
#include "sweeper/model/result.h"
#include "sweeper/model/search_space.h"

namespace gdsweep::cli {

// One --params value; `origin` names it in messages ("--params #2").
Result<Point> ParsePointFlag(const std::string& text, const std::string& origin,
                             const SearchSpace& space);

// Every point of a .json or .csv file (by extension), checked.
Result<std::vector<Point>> ReadPointFile(const std::string& path, const SearchSpace& space);

// The records of CSV text (RFC 4180: quoted fields with "" for a quote and
// line breaks inside; CRLF or LF rows). Error::Invalid "line N: ..." for a
// quote left open or a stray character after a closing quote.
Result<std::vector<std::vector<std::string>>> ParseCsv(const std::string& text);

}  // namespace gdsweep::cli
