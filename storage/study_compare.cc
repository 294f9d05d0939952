#include "storage/study_compare.h"

#include "storage/optuna_codec.h"

namespace gdsweep::storage {
namespace {

std::string Describe(const std::vector<Objective>& objectives) {
  std::string s = "[";
  for (size_t i = 0; i < objectives.size(); ++i) {
    s += (i ? ", " : "") + objectives[i].metric + " " + ToString(objectives[i].direction);
  }
  return s + "]";
}

bool LogScale(const Distribution& d) {
  if (auto* f = std::get_if<FloatDistribution>(&d)) return f->log;
  if (auto* i = std::get_if<IntDistribution>(&d)) return i->log;
  return false;
}

std::string ParameterChange(const std::string& name, const Distribution& stored,
                            const Distribution& file) {
  return "search_space." + name + ": the study has " + DescribeDistribution(stored) +
         ", the file " + DescribeDistribution(file);
}

}  // namespace

void SpecDifferences::Add(SpecDifferences other) {
  changes.insert(changes.end(), other.changes.begin(), other.changes.end());
  incompatible.insert(incompatible.end(), other.incompatible.begin(), other.incompatible.end());
}

bool OptunaCompatible(const Distribution& stored, const Distribution& file) {
  if (stored.index() != file.index()) return false;
  if (LogScale(stored) != LogScale(file)) return false;
  if (auto* c = std::get_if<CategoricalDistribution>(&stored)) {
    return *c == std::get<CategoricalDistribution>(file);
  }
  return true;
}

SpecDifferences CompareObjectives(const std::vector<Objective>& stored,
                                  const std::vector<Objective>& file) {
  SpecDifferences d;
  if (stored.size() != file.size()) {
    d.incompatible.push_back("objectives: the study has " + Describe(stored) + ", the file " +
                             Describe(file) + " (the number of objectives cannot change)");
    return d;
  }
  for (size_t i = 0; i < stored.size(); ++i) {
    if (!(stored[i] == file[i])) {
      d.changes.push_back("objectives[" + std::to_string(i) + "]: the study has " +
                          stored[i].metric + " " + ToString(stored[i].direction) + ", the file " +
                          file[i].metric + " " + ToString(file[i].direction));
    }
  }
  return d;
}

SpecDifferences CompareDirections(const std::vector<Direction>& stored,
                                  const std::vector<Objective>& file) {
  SpecDifferences d;
  std::string s = "[";
  for (size_t i = 0; i < stored.size(); ++i)
    s += (i ? ", " : "") + std::string(ToString(stored[i]));
  s += "]";
  if (stored.size() != file.size()) {
    d.incompatible.push_back("objectives: the study has directions " + s + ", the file " +
                             Describe(file) + " (the number of objectives cannot change)");
    return d;
  }
  for (size_t i = 0; i < stored.size(); ++i) {
    if (stored[i] != file[i].direction) {
      d.changes.push_back("objectives[" + std::to_string(i) + "]: the study has " +
                          ToString(stored[i]) + ", the file " + file[i].metric + " " +
                          ToString(file[i].direction));
    }
  }
  return d;
}

SpecDifferences CompareSpaces(const SearchSpace& stored, const SearchSpace& file) {
  SpecDifferences d;
  for (const auto& s : stored) {
    const Parameter* f = FindParameter(file, s.name);
    if (!f) {
      d.changes.push_back("search_space: the study has parameter " + s.name + " " +
                          DescribeDistribution(s.distribution) + ", the file does not");
    } else if (!(s.distribution == f->distribution)) {
      auto& list = OptunaCompatible(s.distribution, f->distribution) ? d.changes : d.incompatible;
      list.push_back(ParameterChange(s.name, s.distribution, f->distribution));
    }
  }
  for (const auto& f : file) {
    if (!FindParameter(stored, f.name)) {
      d.changes.push_back("search_space." + f.name + ": new in the file, " +
                          DescribeDistribution(f.distribution));
    }
  }
  return d;
}

SpecDifferences CompareTrialDistributions(
    const std::vector<std::pair<std::string, Distribution>>& found, const SearchSpace& file) {
  SpecDifferences d;
  for (const auto& [name, dist] : found) {
    const Parameter* f = FindParameter(file, name);
    if (!f) {
      d.changes.push_back("search_space: the study's trials have parameter " + name + " " +
                          DescribeDistribution(dist) + ", the file does not");
    } else if (!(dist == f->distribution)) {
      auto& list = OptunaCompatible(dist, f->distribution) ? d.changes : d.incompatible;
      list.push_back("search_space." + name + ": the study's trials have " +
                     DescribeDistribution(dist) + ", the file " +
                     DescribeDistribution(f->distribution));
    }
  }
  return d;
}

Status CheckDifferences(const std::string& study, const SpecDifferences& diff, bool allow_changes) {
  if (diff.incompatible.empty() && (allow_changes || diff.changes.empty())) return {};
  // One line: every difference, then the one hint that applies.
  std::string msg;
  auto add = [&](const std::vector<std::string>& lines) {
    for (const auto& line : lines) msg += (msg.empty() ? "" : "; ") + line;
  };
  add(diff.incompatible);
  if (!allow_changes) add(diff.changes);
  if (!diff.incompatible.empty()) {
    msg += "; study '" + study +
           "' cannot change this, even with --allow-changes (Optuna refuses it too): use a new "
           "study name";
  } else {
    msg += "; pass --allow-changes to record the file's version in study '" + study + "'";
  }
  return Error::Conflict(msg);
}

}  // namespace gdsweep::storage
