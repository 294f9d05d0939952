// The `parameters` section of a W&B sweep config as gdsweep search_space
// entries: values, value, min/max (int or float by the bounds' type) and
// every W&B distribution, nested parameters flattened to dotted names. Part
// of the W&B importer (wandb_config.h). Pure function; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "sweeper/convert/conversion.h"
#include "sweeper/model/result.h"

namespace gdsweep {

struct WandbParameterName {
  std::string name;      // "optimizer.lr" for a nested one
  bool boolean = false;  // has a boolean choice
};

// Adds one entry to `space` per parameter of `parameters` (in file order),
// with notes in `c`; returns the names in that order.
Result<std::vector<WandbParameterName>> ReadWandbParameters(const YamlNode& parameters,
                                                            YamlNode& space, Conversion& c);

}  // namespace gdsweep
