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
  return "search space changed: parameter " + name + ": stored " + DescribeDistribution(stored) +
         " vs file " + DescribeDistribution(file);
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
    d.incompatible.push_back("objectives changed: stored " + Describe(stored) + " vs file " +
                             Describe(file) +
                             " (the number of objectives of a study cannot change)");
    return d;
  }
  for (size_t i = 0; i < stored.size(); ++i) {
    if (!(stored[i] == file[i])) {
      d.changes.push_back("objectives changed: objective " + std::to_string(i) + ": stored " +
                          stored[i].metric + " " + ToString(stored[i].direction) + " vs file " +
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
    d.incompatible.push_back("objectives differ: the study has directions " + s + " vs file " +
                             Describe(file) +
                             " (the number of objectives of a study cannot change)");
    return d;
  }
  for (size_t i = 0; i < stored.size(); ++i) {
    if (stored[i] != file[i].direction) {
      d.changes.push_back("objectives differ: objective " + std::to_string(i) + ": the study has " +
                          ToString(stored[i]) + " vs file " + file[i].metric + " " +
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
      d.changes.push_back("search space changed: parameter " + s.name + ": stored " +
                          DescribeDistribution(s.distribution) + ", missing from the file");
    } else if (!(s.distribution == f->distribution)) {
      auto& list = OptunaCompatible(s.distribution, f->distribution) ? d.changes : d.incompatible;
      list.push_back(ParameterChange(s.name, s.distribution, f->distribution));
    }
  }
  for (const auto& f : file) {
    if (!FindParameter(stored, f.name)) {
      d.changes.push_back("search space changed: parameter " + f.name + ": new in the file " +
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
      d.changes.push_back("search space differs: parameter " + name +
                          ": in the study's trials as " + DescribeDistribution(dist) +
                          ", missing from the file");
    } else if (!(dist == f->distribution)) {
      auto& list = OptunaCompatible(dist, f->distribution) ? d.changes : d.incompatible;
      list.push_back("search space differs: parameter " + name + ": the study's trials have " +
                     DescribeDistribution(dist) + " vs file " +
                     DescribeDistribution(f->distribution));
    }
  }
  return d;
}

Status CheckDifferences(const std::string& study, const SpecDifferences& diff, bool allow_changes) {
  if (diff.incompatible.empty() && (allow_changes || diff.changes.empty())) return {};
  auto join = [](const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) out += (out.empty() ? "" : "; ") + line;
    return out;
  };
  std::string msg = "study '" + study + "' differs from the file: ";
  if (!diff.incompatible.empty()) {
    msg += join(diff.incompatible) +
           " (a study cannot change this even with --allow-changes, and Optuna refuses it too: "
           "use a new study name)";
  }
  if (!diff.changes.empty() && !allow_changes) {
    if (!diff.incompatible.empty()) msg += "; ";
    msg += join(diff.changes) + " (pass --allow-changes to record the file's version)";
  }
  return Error::Conflict(msg);
}

}  // namespace gdsweep::storage
