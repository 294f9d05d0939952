// Log expected improvement of a Gaussian: log E[max(0, Z + z)], Z ~ N(0,1),
// = log(phi(z) + z Phi(z)), accurate far into the tail (z << 0), where the
// plain formula underflows to log 0 and leaves the optimiser no slope (Ament
// et al., "Unexpected improvements to expected improvement", NeurIPS 2023).
// The EI of a posterior N(mu, sigma^2) over the best value f* is
// sigma * exp(StandardLogEi((mu - f*) / sigma)). Pure; thread-safe.
#pragma once

namespace gdsweep::gp {

double StandardLogEi(double z);
// d StandardLogEi / dz = Phi(z) / (phi(z) + z Phi(z)), > 0.
double StandardLogEiDerivative(double z);

}  // namespace gdsweep::gp
