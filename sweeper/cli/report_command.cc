// gdsweep report: one self-contained HTML file showing a study (history,
// learning curves, parallel coordinates, slices, importances, Pareto front,
// timeline, trials), readable offline.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "report/html_page.h"
#include "report/study_json.h"
#include "storage/study_reader.h"
#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/options.h"

namespace gdsweep::cli {
namespace {

// Writes `text` to `path` through a temporary file renamed over it, so a
// reader never sees half a report.
Status WriteAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Error::Io("cannot write " + tmp);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) return Error::Io("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Error::Io("cannot write " + path + ": " + ec.message());
  return {};
}

Result<std::unique_ptr<StudyReader>> OpenReader(const std::string& db_path) {
  if (auto s = CheckDatabaseExists(db_path); !s) return s.error();
  auto reader = StudyReader::Open(db_path);
  if (!reader) return NamingPath(reader.error(), db_path);
  return reader;
}

Result<std::string> PickStudyName(StudyReader& reader, const std::string& name) {
  auto all = reader.ListStudies();
  if (!all) return all.error();
  if (!name.empty()) {
    std::vector<std::string> names;
    for (const auto& s : *all) names.push_back(s.info.name);
    if (std::find(names.begin(), names.end(), name) != names.end()) return name;
    return StudyNotFound("no study named '" + name + "'", name, names);
  }
  if (all->size() == 1) return all->front().info.name;
  if (all->empty()) return Error::NotFound("the database holds no study");
  std::string names;
  for (const auto& s : *all) names += (names.empty() ? "" : ", ") + s.info.name;
  return Error::Invalid("the database holds several studies (" + names +
                        "): name one with --study");
}

}  // namespace

int ReportCommand(const Args& args) {
  constexpr const char* kUsage =
      "usage: gdsweep report [--study NAME] [--tag TAG] [-o FILE] [--db PATH]\n"
      "Writes one self-contained HTML file (no network needed to open it) showing the study:\n"
      "optimization history, learning curves, parallel coordinates, slices, parameter\n"
      "importances, the Pareto front, a timeline per worker and a sortable trials table.";
  po::options_description options("Options");
  options.add_options()("study", po::value<std::string>()->default_value(""),
                        "the study (default: the only one in the database)")(
      "tag", po::value<std::string>()->default_value(""), "only trials of this sweep tag")(
      "output,o", po::value<std::string>()->default_value("report.html"), "the HTML file to write")(
      "log-tail", po::value<size_t>()->default_value(2048),
      "bytes of each trial's stdout/stderr log to include (0: none)")(
      "db", po::value<std::string>()->default_value(""), DbHelp().c_str());
  po::variables_map vm;
  if (auto code = ParseOptions(args, kUsage, options, nullptr, vm)) return *code;

  const auto started = std::chrono::steady_clock::now();
  const std::string db_path = ResolveDbPath(vm["db"].as<std::string>());
  auto reader = OpenReader(db_path);
  if (!reader) return Fail(reader.error());
  auto name = PickStudyName(**reader, vm["study"].as<std::string>());
  if (!name) return Fail(name.error());
  StudySnapshot snapshot;
  if (auto s = (*reader)->Refresh(*name, snapshot); !s) return Fail(s.error());
  report::StudyJsonOptions json_options;
  json_options.tag = vm["tag"].as<std::string>();
  json_options.log_tail_bytes = vm["log-tail"].as<size_t>();
  json_options.generated_at = report::UtcTimestamp();
  if (!json_options.tag.empty() && std::find(snapshot.tags.begin(), snapshot.tags.end(),
                                             json_options.tag) == snapshot.tags.end()) {
    return Fail(TagNotFound(*name, json_options.tag, snapshot.tags));
  }
  const std::string page =
      report::ReportPage(snapshot.info.name, report::StudyJson(snapshot, json_options));
  const std::string out = vm["output"].as<std::string>();
  if (auto s = WriteAtomically(out, page); !s) return Fail(s.error());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("wrote %s: study %s, %zu trials (%.2f s)\n", out.c_str(), snapshot.info.name.c_str(),
              snapshot.history.trials.size(), seconds);
  return kExitOk;
}

}  // namespace gdsweep::cli
