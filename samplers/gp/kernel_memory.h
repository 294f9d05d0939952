// What the GP sampler carries from one suggestion to the next, stored with
// each trial it proposes as the trial's sampler attribute "gdsweep:gp:kernel"
// (JSON): the kernel chosen when the kernels were last compared and whether it
// models the squeezed values, at how many COMPLETE trials that was, and each
// kernel's hyperparameters when it was last chosen, where its next fit starts.
// A suggestion recalls the memory of the highest-numbered trial that has one,
// so the parameters of trial n stay a pure function of (seed, n, the history),
// as the Sampler contract asks, whichever process or resume asks for them.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "samplers/gp/kernel_selection.h"
#include "sweeper/model/trial.h"

namespace gdsweep::gp {

inline constexpr char kKernelMemoryAttr[] = "gdsweep:gp:kernel";

struct KernelMemory {
  KernelKind chosen = KernelKind::kArd;
  bool squeezed = false;    // fitted to the squeezed values (output_warping.h)
  size_t selected_at = 0;   // COMPLETE trials when the kernels were last compared
  KernelWarmStarts fitted;  // each kernel's hyperparameters when last chosen
};

// The memory of the highest-numbered trial of history that has one, if it
// reads and fits a space of `dims` coordinates; nullopt otherwise (the first
// GP suggestion, a study another sampler began, an attribute of another
// version), and the caller compares the kernels afresh.
std::optional<KernelMemory> RecallKernelMemory(const std::vector<TrialRecord>& history,
                                               size_t dims);

// The attribute's JSON text; doubles round-trip exactly.
std::string KernelMemoryJson(const KernelMemory& memory);

}  // namespace gdsweep::gp
