// The GP sampler's transforms of the objective values: standardisation, and
// an optional warping of the standardised values:
// the worse half squeezed logarithmically (v -> median - log(1 + median - v))
// and standardised again. A stationary GP fitted to a heavy-tailed objective
// (Rosenbrock's valley walls, a loss that diverges for some settings) spends
// its variance and lengthscales on the few awful trials and models the good
// region flat; squeezed, it sees the good region. But the squeeze bends a sum
// of one-parameter effects out of shape, so whether to use it is the data's
// call: the per-point log slope of the warping turns the warped model's
// likelihood into one of the raw values, comparable with the unwarped
// model's (the change-of-variables rule). Pure functions; thread-safe.
#pragma once

#include <vector>

namespace gdsweep::gp {

// Shifts and scales y to mean 0 and standard deviation 1 (a constant y only
// to mean 0); returns the factor it divided by.
double Standardize(std::vector<double>& y);

struct SqueezedValues {
  std::vector<double> y;          // the warped values, standardised
  std::vector<double> log_slope;  // per value, log d(warped)/d(value)
};

// y: standardised values (to be maximised), at least one.
SqueezedValues SqueezeWorseHalf(const std::vector<double>& y);

}  // namespace gdsweep::gp
