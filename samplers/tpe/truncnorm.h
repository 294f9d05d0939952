// Standard-normal and truncated-normal numerics for the Parzen estimators of
// TPE, in log space so that they stay accurate far in the tails (a kernel whose
// centre is 40 bandwidths away from a bound still gets a finite, correct log
// mass). Pure functions; thread-safe.
//
// Notation: Phi is the standard normal CDF, phi its density; a truncated normal
// is standardised, truncated to [a, b] (a < b), then shifted and scaled.
#pragma once

namespace gdsweep::tpe {

// log(2 pi) / 2: the log normalisation of phi.
inline constexpr double kHalfLog2Pi = 0.91893853320467274178;

// Phi(x).
double Ndtr(double x);

// log Phi(x), relative error ~1e-15 for every finite x: through erfc where it
// is exact, log1p for x > 6, and the asymptotic series for x < -20.
double LogNdtr(double x);

// The x with log Phi(x) = log_p (log_p <= 0): Phi's inverse taking a log
// probability, so exp(log_p) may underflow (log_p = -1e4 gives x ~ -141.4).
// Acklam's rational approximation as the first guess, then Halley steps on
// log Phi.
double NdtriExp(double log_p);

// Phi's inverse: the x with Phi(x) = p, 0 < p < 1 (p = 0: -inf, p = 1: +inf).
double Ndtri(double p);

// log(Phi(b) - Phi(a)) for a <= b, the log mass of the standard normal on
// [a, b]; computed on the side of 0 where it does not cancel.
double LogGaussMass(double a, double b);

// LogGaussMass(a, b) for the narrow intervals of discrete parameters (a
// value's step cell in bandwidth units): the same to ~1e-13 relative, through
// one erfc difference (no logs of tails) unless that underflows, and through
// the midpoint expansion phi(m) w (1 + (m^2 - 1) w^2 / 24) for tiny cells.
double LogCellMass(double a, double b);

// The u-quantile (0 <= u <= 1) of the standard normal truncated to [a, b], in
// [a, b]: how samples are drawn, with u uniform.
double TruncNormPpf(double u, double a, double b);

// log density at x of N(loc, scale^2) truncated to [low, high] (-inf outside).
double TruncNormLogPdf(double x, double low, double high, double loc, double scale);

}  // namespace gdsweep::tpe
