// Hydra's override grammar, the part the Optuna sweeper's `params` use:
// values such as `interval(0.1, 1)`, `range(-5.5, 5.5, step=0.5)`,
// `choice(adam, "sgd", 3)`, `tag(log, interval(1e-5, 1e-1))`,
// `int(interval(1, 8))`, a bare `a,b,c` choice, and plain constants. Parses
// the text into a small tree; hydra_config.cc gives it meaning. Pure
// functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sweeper/model/distribution.h"
#include "sweeper/model/result.h"

namespace gdsweep {

struct HydraExpr {
  enum class Kind {
    kValue,  // a primitive: null, bool, int, float or string (quoted or not)
    kCall,   // name(args...), with optional `name=` before each argument
    kList,   // [a, b] or a bare top-level a,b,c (a choice)
  };
  Kind kind = Kind::kValue;
  Choice value;                                         // kValue
  bool quoted = false;                                  // kValue: a quoted string
  std::string name;                                     // kCall: the function
  std::vector<std::pair<std::string, HydraExpr>> args;  // kCall/kList: (keyword or "", arg)
  size_t offset = 0;                                    // where it starts in the text
  bool bare_choice = false;                             // kList: written as a,b,c at the top level
};

// Parses one override value. On a syntax error, Error::Invalid whose message
// is "OFFSET:what" (OFFSET a decimal character offset into `text`), which the
// caller turns into a file position.
Result<HydraExpr> ParseHydraExpression(const std::string& text);

// Splits an error of ParseHydraExpression into (offset, message).
std::pair<size_t, std::string> SplitHydraError(const std::string& message);

}  // namespace gdsweep
