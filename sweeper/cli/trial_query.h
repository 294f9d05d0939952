// `gdsweep trials --where/--sort/--limit`: conditions on a trial's parameters
// and objective values ("lr<0.01", "opt=adam", "loss>=0.5"), and ordering by
// any of them or by number, state, tag, attempt, start or end. Keys are
// checked against the study (an unknown one is Error::Invalid listing the
// valid keys). Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "storage/storage.h"
#include "sweeper/model/result.h"

namespace gdsweep::cli {

struct TrialQuery {
  std::vector<std::string> where;  // each "KEY<op>VALUE", op one of = != < <= > >=; ANDed
  std::optional<std::string> sort;
  bool descending = false;
  std::optional<int64_t> limit;  // at most this many, after sorting
};

// Applies `query` to `trials` (number order). Trials without the key (a
// parameter they lack, a value they have not got) fail every condition and
// sort last. `params`: every parameter's distribution (Storage::ListParams).
Result<std::vector<TrialRecord>> ApplyTrialQuery(const StudyInfo& study, const SearchSpace& params,
                                                 std::vector<TrialRecord> trials,
                                                 const TrialQuery& query);

}  // namespace gdsweep::cli
