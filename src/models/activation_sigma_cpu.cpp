#include "models/activation_sigma_cpu.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "models/tanh_cpu.h"

namespace nmflow {

namespace {

template <typename T>
at::Tensor wrap(T* data, int64_t count) {
  return at::from_blob(data, {count}, at::TensorOptions().dtype(c10::CppTypeToScalarType<T>::value));
}

// z of element i (point b = i / width, unit w = i % width).
template <typename T>
struct ValueRow {
  const T* t;
  const T* bias;
  int64_t rows, width;
  T operator()(int64_t b, int64_t w) const { return t[b * rows * width + w] + (bias ? bias[w] : T(0)); }
};

}  // namespace

template <typename T>
void activation_sigma_cpu(Activation activation, const T* t, int64_t rows, int64_t width, const T* bias, int64_t np,
                          T* s0, T* s1, T* s2, T* s3) {
  const ValueRow<T> z_at{t, bias, rows, width};
  const int64_t count = np * width;
  // Fills `out` with f(z), elementwise.
  const auto fill = [&](T* out, auto f) {
    for (int64_t b = 0; b < np; ++b) {
      for (int64_t w = 0; w < width; ++w) out[b * width + w] = f(z_at(b, w));
    }
  };
  // The derivative pass: g(z, a, c) → (σ, σ', σ'', σ''') from z and the transcendentals a = s0, c = s1.
  const auto finish = [&](auto g) {
    for (int64_t b = 0; b < np; ++b) {
      for (int64_t w = 0; w < width; ++w) {
        const int64_t i = b * width + w;
        T d[4];
        g(z_at(b, w), s0[i], s1[i], d);
        s0[i] = d[0];
        s1[i] = d[1];
        s2[i] = d[2];
        if (s3) s3[i] = d[3];
      }
    }
  };
  switch (activation) {
    case Activation::Tanh: {
      // t = tanh z, s = 1 − t²: σ' = s, σ'' = −2ts, σ''' = s(6t² − 2).
      fill(s0, [](T z) { return z; });
      tanh_in_place_cpu(s0, count);
      finish([](T, T th, T, T* d) {
        const T s = 1 - th * th;
        d[0] = th;
        d[1] = s;
        d[2] = -2 * th * s;
        d[3] = s * (6 * th * th - 2);
      });
      return;
    }
    case Activation::Gelu: {
      // σ = z Φ, Φ = (1 + erf(z/√2))/2, ϕ = e^{−z²/2}/√(2π): σ' = Φ + zϕ, σ'' = (2 − z²)ϕ, σ''' = (z³ − 4z)ϕ.
      fill(s0, [](T z) { return z * static_cast<T>(M_SQRT1_2); });
      fill(s1, [](T z) { return static_cast<T>(-0.5) * z * z; });
      wrap(s0, count).erf_();
      wrap(s1, count).exp_();
      finish([](T z, T e, T x, T* d) {
        const T erf_term = 1 + e;
        const T cdf = static_cast<T>(0.5) * erf_term;
        const T pdf = x * static_cast<T>(0.5 * M_2_SQRTPI * M_SQRT1_2);
        const T z2 = z * z;
        d[0] = static_cast<T>(0.5) * z * erf_term;
        d[1] = cdf + z * pdf;
        d[2] = (2 - z2) * pdf;
        d[3] = z * (z2 - 4) * pdf;
      });
      return;
    }
    case Activation::Softplus: {
      // σ = max(z, 0) + log1p(e^{−|z|}); sg = sigmoid z: σ' = sg, σ'' = sg(1 − sg), σ''' = σ''(1 − 2 sg).
      fill(s0, [](T z) { return -std::abs(z); });
      wrap(s0, count).exp_();
      std::copy(s0, s0 + count, s1);
      wrap(s1, count).log1p_();
      finish([](T z, T e, T l, T* d) {
        const T sg = z >= 0 ? 1 / (1 + e) : e / (1 + e);
        const T v = sg * (1 - sg);
        d[0] = (z > 0 ? z : T(0)) + l;
        d[1] = sg;
        d[2] = v;
        d[3] = v * (1 - 2 * sg);
      });
      return;
    }
    case Activation::Erf: {
      // e = (2/√π) e^{−z²}: σ' = e, σ'' = −2z e, σ''' = (4z² − 2) e.
      fill(s0, [](T z) { return z; });
      fill(s1, [](T z) { return -z * z; });
      wrap(s0, count).erf_();
      wrap(s1, count).exp_();
      finish([](T z, T v, T x, T* d) {
        const T e = x * static_cast<T>(M_2_SQRTPI);
        d[0] = v;
        d[1] = e;
        d[2] = -2 * z * e;
        d[3] = (4 * z * z - 2) * e;
      });
      return;
    }
    case Activation::Sin:
    case Activation::Cos: {
      // sin^(k)(z) = sin(z + kπ/2); cos^(k)(z) = cos(z + kπ/2).
      fill(s0, [](T z) { return z; });
      std::copy(s0, s0 + count, s1);
      wrap(s0, count).sin_();
      wrap(s1, count).cos_();
      const bool is_sin = activation == Activation::Sin;
      finish([is_sin](T, T s, T c, T* d) {
        d[0] = is_sin ? s : c;
        d[1] = is_sin ? c : -s;
        d[2] = -d[0];
        d[3] = -d[1];
      });
      return;
    }
    case Activation::Relu:
      break;
  }
  throw_error("activation_sigma_cpu: activation '" + activation_name(activation) + "' has no second derivative");
}

template void activation_sigma_cpu<double>(Activation, const double*, int64_t, int64_t, const double*, int64_t, double*,
                                           double*, double*, double*);
template void activation_sigma_cpu<float>(Activation, const float*, int64_t, int64_t, const float*, int64_t, float*,
                                          float*, float*, float*);

}  // namespace nmflow
