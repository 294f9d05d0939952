#include "samplers/gp/log_ei.h"

#include <cmath>
#include <numbers>

namespace gdsweep::gp {
namespace {

// Below this z the direct formula loses too many digits to cancellation;
// the asymptotic series is then accurate to ~1e-6 relative.
constexpr double kTail = -10;
const double kLogSqrt2Pi = 0.5 * std::log(2 * std::numbers::pi);

double Phi(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }
double phi(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * std::numbers::pi); }

// For z << 0: phi(z) + z Phi(z) = phi(z) / z^2 * (1 + s(z)) with
// s = -3/z^2 + 15/z^4 - 105/z^6 + 945/z^8 (Mills' ratio expansion).
double TailSeries(double z, double* derivative) {
  const double w = 1 / (z * z);
  const double s = w * (-3 + w * (15 + w * (-105 + w * 945)));
  // ds/dz = ds/dw * dw/dz, dw/dz = -2 w / z.
  const double ds_dw = -3 + w * (30 + w * (-315 + w * 3780));
  if (derivative) *derivative = ds_dw * (-2 * w / z);
  return s;
}

}  // namespace

double StandardLogEi(double z) {
  if (z > kTail) return std::log(phi(z) + z * Phi(z));
  const double s = TailSeries(z, nullptr);
  return -0.5 * z * z - kLogSqrt2Pi - 2 * std::log(-z) + std::log1p(s);
}

double StandardLogEiDerivative(double z) {
  if (z > kTail) return Phi(z) / (phi(z) + z * Phi(z));
  double ds = 0;
  const double s = TailSeries(z, &ds);
  return -z - 2 / z + ds / (1 + s);
}

}  // namespace gdsweep::gp
