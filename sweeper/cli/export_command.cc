// gdsweep export STUDY: a whole study as a flat table that pandas reads as is
// (the columns of Optuna's study.trials_dataframe()), as gdsweep's trial CSV,
// or as one JSON document with everything stored of every trial.
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "storage/optuna_codec.h"
#include "storage/study_dump.h"
#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/options.h"
#include "sweeper/cli/storage_url.h"
#include "sweeper/cli/trial_table.h"

namespace gdsweep::cli {
namespace {

using nlohmann::json;

// pandas' text for a Timedelta: "0 days 00:01:02.500000".
std::string Duration(double seconds) {
  const auto micros = static_cast<int64_t>(std::llround(seconds * 1e6));
  const int64_t days = micros / 86400000000LL;
  int64_t rest = micros % 86400000000LL;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lld days %02lld:%02lld:%02lld", static_cast<long long>(days),
                static_cast<long long>(rest / 3600000000LL),
                static_cast<long long>(rest / 60000000LL % 60),
                static_cast<long long>(rest / 1000000LL % 60));
  std::string out = buf;
  if (rest % 1000000LL) {
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(rest % 1000000LL));
    out += buf;
  }
  return out;
}

std::string Number(double v) {
  if (std::isnan(v)) return "";
  return FormatDouble(v);  // Python's repr: "0.25", "inf", "-inf"
}

// An attribute's value as a cell: a string as itself, anything else as JSON.
std::string AttrCell(const std::string& value_json) {
  const json j = json::parse(value_json, nullptr, /*allow_exceptions=*/false);
  if (j.is_string()) return j.get<std::string>();
  return value_json;
}

json AttrJson(const std::string& value_json) {
  json j = json::parse(value_json, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? json(value_json) : j;
}

// The external value of a stored parameter: a number, or the choice itself.
json ParamJson(const DumpedParam& p) {
  auto d = FromOptunaJson(p.distribution_json);
  if (!d) return NumberJson(p.internal);
  if (std::holds_alternative<IntDistribution>(*d)) return std::llround(p.internal);
  if (auto* c = std::get_if<CategoricalDistribution>(&*d)) {
    const auto i = static_cast<size_t>(std::llround(p.internal));
    if (i >= c->choices.size()) return nullptr;
    struct V {
      json operator()(std::monostate) const { return nullptr; }
      json operator()(bool b) const { return b; }
      json operator()(int64_t v) const { return v; }
      json operator()(double v) const { return NumberJson(v); }
      json operator()(const std::string& s) const { return s; }
    };
    return std::visit(V{}, c->choices[i]);
  }
  return NumberJson(p.internal);
}

std::string ParamCell(const DumpedParam& p) {
  auto d = FromOptunaJson(p.distribution_json);
  return d ? FormatValue(*d, p.internal) : FormatDouble(p.internal);
}

// The columns of Optuna 3.1's trials_dataframe() (attrs without
// system_attrs), flattened with "_" as multi_index=False does.
Table DataframeTable(const StudyDump& dump, const std::vector<std::string>& datetimes) {
  const size_t n_values = dump.directions.size();
  std::set<std::string> params, user;
  for (const auto& t : dump.trials) {
    for (const auto& p : t.params) params.insert(p.name);
    for (const auto& a : t.user_attrs) user.insert(a.key);
  }
  Table table;
  table.header = {"number"};
  if (n_values == 1) {
    table.header.push_back("value");
  } else {
    for (size_t i = 0; i < n_values; ++i) table.header.push_back("values_" + std::to_string(i));
  }
  for (const char* c : {"datetime_start", "datetime_complete", "duration"})
    table.header.push_back(c);
  for (const auto& p : params) table.header.push_back("params_" + p);
  for (const auto& u : user) table.header.push_back("user_attrs_" + u);
  table.header.push_back("state");
  for (size_t k = 0; k < dump.trials.size(); ++k) {
    const auto& t = dump.trials[k];
    std::vector<std::string> row = {std::to_string(t.number)};
    for (size_t i = 0; i < n_values; ++i) {
      auto it = t.values.find(static_cast<int64_t>(i));
      row.push_back(it == t.values.end() ? "" : Number(it->second));
    }
    row.push_back(datetimes[2 * k]);
    row.push_back(datetimes[2 * k + 1]);
    row.push_back(t.datetime_start && t.datetime_complete
                      ? Duration(*t.datetime_complete - *t.datetime_start)
                      : "");
    for (const auto& name : params) {
      std::string cell;
      for (const auto& p : t.params) {
        if (p.name == name) cell = ParamCell(p);
      }
      row.push_back(cell);
    }
    for (const auto& key : user) {
      std::string cell;
      for (const auto& a : t.user_attrs) {
        if (a.key == key) cell = AttrCell(a.value_json);
      }
      row.push_back(cell);
    }
    row.push_back(ToString(t.state));
    table.rows.push_back(std::move(row));
  }
  return table;
}

json StudyJson(const StudyDump& dump, const std::vector<std::string>& datetimes) {
  json out = {{"study_name", dump.name}};
  out["directions"] = json::array();
  for (auto d : dump.directions) out["directions"].push_back(ToString(d));
  for (const auto* attrs : {&dump.user_attrs, &dump.system_attrs}) {
    json j = json::object();
    for (const auto& a : *attrs) j[a.key] = AttrJson(a.value_json);
    out[attrs == &dump.user_attrs ? "user_attrs" : "system_attrs"] = j;
  }
  out["trials"] = json::array();
  for (size_t k = 0; k < dump.trials.size(); ++k) {
    const auto& t = dump.trials[k];
    json trial = {{"number", t.number}, {"state", ToString(t.state)}};
    json values = json::array();
    for (const auto& [objective, v] : t.values) values.push_back(NumberJson(v));
    trial["values"] = t.values.empty() ? json(nullptr) : values;
    trial["datetime_start"] = t.datetime_start ? json(datetimes[2 * k]) : json(nullptr);
    trial["datetime_complete"] = t.datetime_complete ? json(datetimes[2 * k + 1]) : json(nullptr);
    json params = json::object(), distributions = json::object();
    for (const auto& p : t.params) {
      params[p.name] = ParamJson(p);
      distributions[p.name] = AttrJson(p.distribution_json);
    }
    trial["params"] = params;
    trial["distributions"] = distributions;
    json inter = json::object();
    for (const auto& [step, v] : t.intermediate) inter[std::to_string(step)] = NumberJson(v);
    trial["intermediate_values"] = inter;
    for (const auto* attrs : {&t.user_attrs, &t.system_attrs}) {
      json j = json::object();
      for (const auto& a : *attrs) j[a.key] = AttrJson(a.value_json);
      trial[attrs == &t.user_attrs ? "user_attrs" : "system_attrs"] = j;
    }
    if (t.gdsweep) {
      trial["tag"] = t.gdsweep->tag;
      trial["attempt"] = t.gdsweep->attempt;
      trial["retry_of"] = t.gdsweep->retry_of ? json(*t.gdsweep->retry_of) : json(nullptr);
      trial["failure_reason"] = t.gdsweep->failure_reason;
    }
    out["trials"].push_back(std::move(trial));
  }
  return out;
}

}  // namespace

int ExportCommand(const Args& args) {
  constexpr const char* kUsage =
      "usage: gdsweep export [STUDY] --format table|csv|json [-o FILE] [--db PATH]\n"
      "Writes every trial of the study (default: the only one in the database):\n"
      "  table  a flat CSV that pandas.read_csv reads as is, with the columns of Optuna's\n"
      "         study.trials_dataframe(): number, value (values_0, values_1, ... for several\n"
      "         objectives), datetime_start, datetime_complete, duration, params_<name>,\n"
      "         user_attrs_<key>, state\n"
      "  csv    the rows of `gdsweep trials --format csv` (sweep tag, attempt, reason, ...)\n"
      "  json   one document: the study's directions and attributes, and each trial's\n"
      "         params, distributions, values, intermediate values, attributes and tag";
  po::options_description options("Options");
  options.add_options()("study", po::value<std::string>()->default_value(""),
                        "the study (default: the only one in the database)")(
      "format", po::value<std::string>()->required(), "table, csv or json")(
      "output,o", po::value<std::string>()->default_value("-"), "the file to write (- stdout)")(
      "db", po::value<std::string>()->default_value(""), DbHelp().c_str());
  po::positional_options_description positional;
  positional.add("study", 1);
  po::variables_map vm;
  if (auto code = ParseOptions(args, kUsage, options, &positional, vm)) return *code;

  auto format = ParseFormat(vm["format"].as<std::string>());
  if (!format) return Fail(format.error());
  auto storage = OpenStorageUrl(ResolveDbPath(vm["db"].as<std::string>()), OpenMode::kRead, "--db");
  if (!storage) return Fail(storage.error());
  auto study = PickStudy(**storage, vm["study"].as<std::string>());
  if (!study) return Fail(study.error());

  const std::string path = vm["output"].as<std::string>();
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(nullptr, &std::fclose);
  std::FILE* out = stdout;
  if (path != "-") {
    file.reset(std::fopen(path.c_str(), "w"));
    if (!file) return Fail(Error::Io(path + ": cannot write the file"));
    out = file.get();
  }
  if (*format == Format::kCsv) {
    auto trials = (*storage)->ListTrials(study->study_id, {});
    if (!trials) return Fail(trials.error());
    auto params = (*storage)->ListParams(study->study_id);
    if (!params) return Fail(params.error());
    PrintTrials(out, *study, *params, *trials, Format::kCsv);
  } else {
    auto dump = (*storage)->ExportStudy(study->name);
    if (!dump) return Fail(dump.error());
    std::vector<std::string> datetimes;
    for (const auto& t : dump->trials) {
      datetimes.push_back(t.datetime_start ? storage::FormatDatetime(*t.datetime_start) : "");
      datetimes.push_back(t.datetime_complete ? storage::FormatDatetime(*t.datetime_complete) : "");
    }
    if (*format == Format::kJson) {
      std::fprintf(out, "%s\n", JsonText(StudyJson(*dump, datetimes)).c_str());
    } else {
      PrintTable(out, DataframeTable(*dump, datetimes), Format::kCsv);
    }
  }
  if (file && std::fflush(file.get()) != 0) return Fail(Error::Io(path + ": write failed"));
  return kExitOk;
}

}  // namespace gdsweep::cli
