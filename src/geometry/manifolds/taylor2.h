#pragma once
// Taylor2<N>: a second-order forward-mode (hyper-dual) scalar carrying value, gradient and Hessian with respect
// to N seed variables. A closed-form metric written once as `template <class S> void f(const S* x, S* g)` and
// evaluated with S = Taylor2<n> yields its exact 2-jet (g, ∂g, ∂²g) to round-off, with no truncation error.
//
// Propagation rules (a, b jets; f a scalar function):
//   (a·b)'' = a''b + a b'' + a'⊗b' + b'⊗a'
//   f(a)'   = f'(a) a',   f(a)'' = f'(a) a'' + f''(a) a'⊗a'
#include <array>
#include <cmath>

namespace nmflow {

template <int N>
struct Taylor2 {
  static_assert(N >= 1, "Taylor2 needs at least one seed variable");
  double v = 0.0;                  // value
  std::array<double, N> d{};       // d[c]       = ∂_c
  std::array<double, N * N> h{};   // h[c*N + e] = ∂_c ∂_e (symmetric)

  Taylor2() = default;
  explicit Taylor2(double value) : v(value) {}

  // The seed x_c: value `value`, gradient e_c, Hessian 0.
  static Taylor2 variable(double value, int c) {
    Taylor2 t(value);
    t.d[c] = 1.0;
    return t;
  }

  double hessian(int c, int e) const { return h[c * N + e]; }
};

namespace taylor2_detail {

// f(a) from f(a.v), f'(a.v), f''(a.v): the univariate chain rule to second order.
template <int N>
Taylor2<N> chain(const Taylor2<N>& a, double f0, double f1, double f2) {
  Taylor2<N> r(f0);
  for (int c = 0; c < N; ++c) {
    r.d[c] = f1 * a.d[c];
  }
  for (int c = 0; c < N; ++c) {
    for (int e = 0; e < N; ++e) {
      r.h[c * N + e] = f1 * a.h[c * N + e] + f2 * a.d[c] * a.d[e];
    }
  }
  return r;
}

}  // namespace taylor2_detail

// ---- arithmetic -------------------------------------------------------------------------------------------

template <int N>
Taylor2<N> operator+(const Taylor2<N>& a, const Taylor2<N>& b) {
  Taylor2<N> r(a.v + b.v);
  for (int c = 0; c < N; ++c) r.d[c] = a.d[c] + b.d[c];
  for (int k = 0; k < N * N; ++k) r.h[k] = a.h[k] + b.h[k];
  return r;
}

template <int N>
Taylor2<N> operator-(const Taylor2<N>& a) {
  Taylor2<N> r(-a.v);
  for (int c = 0; c < N; ++c) r.d[c] = -a.d[c];
  for (int k = 0; k < N * N; ++k) r.h[k] = -a.h[k];
  return r;
}

template <int N>
Taylor2<N> operator-(const Taylor2<N>& a, const Taylor2<N>& b) {
  return a + (-b);
}

template <int N>
Taylor2<N> operator*(const Taylor2<N>& a, const Taylor2<N>& b) {
  Taylor2<N> r(a.v * b.v);
  for (int c = 0; c < N; ++c) r.d[c] = a.d[c] * b.v + a.v * b.d[c];
  for (int c = 0; c < N; ++c) {
    for (int e = 0; e < N; ++e) {
      const int k = c * N + e;
      r.h[k] = a.h[k] * b.v + a.v * b.h[k] + a.d[c] * b.d[e] + b.d[c] * a.d[e];
    }
  }
  return r;
}

// 1/b: f' = −1/b², f'' = 2/b³.
template <int N>
Taylor2<N> reciprocal(const Taylor2<N>& b) {
  const double inv = 1.0 / b.v;
  return taylor2_detail::chain(b, inv, -inv * inv, 2.0 * inv * inv * inv);
}

template <int N>
Taylor2<N> operator/(const Taylor2<N>& a, const Taylor2<N>& b) {
  return a * reciprocal(b);
}

template <int N>
Taylor2<N> operator+(const Taylor2<N>& a, double s) {
  Taylor2<N> r = a;
  r.v += s;
  return r;
}
template <int N>
Taylor2<N> operator+(double s, const Taylor2<N>& a) {
  return a + s;
}
template <int N>
Taylor2<N> operator-(const Taylor2<N>& a, double s) {
  return a + (-s);
}
template <int N>
Taylor2<N> operator-(double s, const Taylor2<N>& a) {
  return (-a) + s;
}
template <int N>
Taylor2<N> operator*(const Taylor2<N>& a, double s) {
  Taylor2<N> r(a.v * s);
  for (int c = 0; c < N; ++c) r.d[c] = a.d[c] * s;
  for (int k = 0; k < N * N; ++k) r.h[k] = a.h[k] * s;
  return r;
}
template <int N>
Taylor2<N> operator*(double s, const Taylor2<N>& a) {
  return a * s;
}
template <int N>
Taylor2<N> operator/(const Taylor2<N>& a, double s) {
  return a * (1.0 / s);
}
template <int N>
Taylor2<N> operator/(double s, const Taylor2<N>& a) {
  return reciprocal(a) * s;
}

// ---- elementary functions (found by ADL from formulas that also say `using std::sin;` etc.) ------------------

template <int N>
Taylor2<N> sin(const Taylor2<N>& a) {
  const double s = std::sin(a.v), c = std::cos(a.v);
  return taylor2_detail::chain(a, s, c, -s);
}
template <int N>
Taylor2<N> cos(const Taylor2<N>& a) {
  const double s = std::sin(a.v), c = std::cos(a.v);
  return taylor2_detail::chain(a, c, -s, -c);
}
template <int N>
Taylor2<N> exp(const Taylor2<N>& a) {
  const double e = std::exp(a.v);
  return taylor2_detail::chain(a, e, e, e);
}
template <int N>
Taylor2<N> log(const Taylor2<N>& a) {
  const double inv = 1.0 / a.v;
  return taylor2_detail::chain(a, std::log(a.v), inv, -inv * inv);
}
template <int N>
Taylor2<N> sqrt(const Taylor2<N>& a) {
  const double s = std::sqrt(a.v);
  return taylor2_detail::chain(a, s, 0.5 / s, -0.25 / (s * a.v));
}
// a^p for real p: f' = p a^{p−1}, f'' = p(p−1) a^{p−2}.
template <int N>
Taylor2<N> pow(const Taylor2<N>& a, double p) {
  return taylor2_detail::chain(a, std::pow(a.v, p), p * std::pow(a.v, p - 1.0),
                               p * (p - 1.0) * std::pow(a.v, p - 2.0));
}
// tanh' = 1 − tanh², tanh'' = −2 tanh (1 − tanh²).
template <int N>
Taylor2<N> tanh(const Taylor2<N>& a) {
  const double t = std::tanh(a.v);
  return taylor2_detail::chain(a, t, 1.0 - t * t, -2.0 * t * (1.0 - t * t));
}
template <int N>
Taylor2<N> sinh(const Taylor2<N>& a) {
  const double s = std::sinh(a.v), c = std::cosh(a.v);
  return taylor2_detail::chain(a, s, c, s);
}
template <int N>
Taylor2<N> cosh(const Taylor2<N>& a) {
  const double s = std::sinh(a.v), c = std::cosh(a.v);
  return taylor2_detail::chain(a, c, s, c);
}
// asinh' = (1 + a²)^{−1/2}, asinh'' = −a (1 + a²)^{−3/2}.
template <int N>
Taylor2<N> asinh(const Taylor2<N>& a) {
  const double q = 1.0 / std::sqrt(1.0 + a.v * a.v);
  return taylor2_detail::chain(a, std::asinh(a.v), q, -a.v * q * q * q);
}

}  // namespace nmflow
