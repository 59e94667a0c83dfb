#pragma once
// A minimal complex double for per-point math that g++ and nvcc both compile (std::complex is not usable in
// device code, thrust/cuda::std complex are not usable in plain C++). Memory layout {re, im} is the layout of
// at::kComplexDouble (c10::complex<double>), so interleaved tensor storage can be read as Complex directly.
#include <cmath>

#include "common/host_device.h"

namespace nmflow::kahler_math {

struct Complex {
  double re;
  double im;
};

NMFLOW_HOST_DEVICE Complex make_complex(double re, double im) { return Complex{re, im}; }
NMFLOW_HOST_DEVICE Complex operator+(Complex a, Complex b) { return Complex{a.re + b.re, a.im + b.im}; }
NMFLOW_HOST_DEVICE Complex operator-(Complex a, Complex b) { return Complex{a.re - b.re, a.im - b.im}; }
NMFLOW_HOST_DEVICE Complex operator*(Complex a, Complex b) {
  return Complex{a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}
NMFLOW_HOST_DEVICE Complex operator*(double s, Complex a) { return Complex{s * a.re, s * a.im}; }
NMFLOW_HOST_DEVICE Complex conjugate(Complex a) { return Complex{a.re, -a.im}; }
// False for ±inf and NaN; std::isfinite is not callable from device code.
NMFLOW_HOST_DEVICE bool is_finite(double x) { return x - x == 0.0; }
NMFLOW_HOST_DEVICE double abs_squared(Complex a) { return a.re * a.re + a.im * a.im; }
NMFLOW_HOST_DEVICE double abs(Complex a) { return hypot(a.re, a.im); }

// 1/b = conj(b)/|b|², without Smith's branches: for the Aberth iteration's reciprocals (polynomial_roots_math.h),
// whose arguments are differences of roots and ratios q/q' of a monic polynomial with roots of modulus ≈ 1 — far
// from the 1e±154 where |b|² over- or underflows (a non-finite result is caught there). The branches of Smith's
// division mispredict on random lines and cost more than the arithmetic.
NMFLOW_HOST_DEVICE Complex reciprocal(Complex b) {
  const double inv = 1.0 / (b.re * b.re + b.im * b.im);
  return Complex{b.re * inv, -b.im * inv};
}

// a / b by Smith's algorithm, which avoids overflow/underflow in |b|² for widely scaled b.
NMFLOW_HOST_DEVICE Complex operator/(Complex a, Complex b) {
  if (fabs(b.re) >= fabs(b.im)) {
    const double r = b.im / b.re;
    const double den = b.re + b.im * r;
    return Complex{(a.re + a.im * r) / den, (a.im - a.re * r) / den};
  }
  const double r = b.re / b.im;
  const double den = b.re * r + b.im;
  return Complex{(a.re * r + a.im) / den, (a.im * r - a.re) / den};
}

}  // namespace nmflow::kahler_math
