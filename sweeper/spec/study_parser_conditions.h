// Conditional parameters of a study file: each parameter's `when` mapping
// ({optimizer: sgd}, {optimizer: [sgd, rmsprop]}, several keys all holding)
// read against the parameters it names, checked (no unknown parameter, no
// value its parent cannot take, no cycle, no condition that can never hold),
// and the space reordered so that a parameter comes after every parameter it
// depends on. Part of the study-file parser. Pure functions; thread-safe.
#pragma once

#include <vector>

#include "sweeper/model/result.h"
#include "sweeper/model/search_space.h"
#include "sweeper/spec/yaml_reader.h"

namespace gdsweep {

// `when_entries[i]` is the `when` entry of space[i]'s mapping, or nullptr.
// Fills each Parameter::when, then sorts the space (stably: the file's order
// where dependencies allow).
Status ParseConditions(SearchSpace& space, const std::vector<const YamlEntry*>& when_entries);

}  // namespace gdsweep
