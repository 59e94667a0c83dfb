#include "geometry/kahler/cy_curvature.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "common/error.h"
#include "geometry/kahler/cy_measures.h"
#include "geometry/kahler/fubini_study.h"

namespace nmflow {

namespace {

at::Tensor long_tensor(const std::vector<int64_t>& values, const at::Device& device) {
  return at::tensor(values, at::TensorOptions().dtype(at::kLong)).to(device);
}

void check_point_set(const Hypersurface& surface, const CYPointSet& points, const char* who) {
  const int64_t n = surface.n_coords();
  const int64_t m = surface.dim();
  NMFLOW_CHECK(points.z.defined() && points.z.dim() == 2 && points.z.size(1) == n &&
                   points.z.scalar_type() == at::kComplexDouble,
               who, ": points.z must be [B, ", n, "] complex128 for ", surface.name(), ", got ",
               points.z.defined() ? points.z.sizes() : at::IntArrayRef{});
  const int64_t batch = points.z.size(0);
  NMFLOW_CHECK(points.local_indices.dim() == 2 && points.local_indices.size(0) == batch &&
                   points.local_indices.size(1) == m && points.patch.numel() == batch &&
                   points.eliminated.numel() == batch,
               who, ": patch [B], eliminated [B] and local_indices [B, ", m, "] must match B = ", batch, ", got ",
               points.patch.sizes(), ", ", points.eliminated.sizes(), ", ", points.local_indices.sizes());
}

// p(z) and ∂p/∂z_I written with plain products (no cumprod/prod), so that they can be differentiated to any order.
// z: [B, N+1] complex128 → {p: [B], dp: [B, N+1]} complex128.
std::pair<at::Tensor, at::Tensor> polynomial_and_gradient(const Hypersurface& surface, const at::Tensor& z) {
  const int64_t n = surface.n_coords();
  const int64_t batch = z.size(0);
  const at::Tensor exponents = surface.exponents().to(z.device());  // [M, N+1]
  const at::Tensor coefficients = surface.coefficients().to(z.device());
  const int64_t monomials = exponents.size(0);
  std::vector<at::Tensor> powers{at::ones_like(z)};
  for (int64_t j = 1; j <= surface.degree(); ++j) powers.push_back(powers.back() * z);
  const at::Tensor table = at::stack(powers, 2);  // [B, N+1, d+1]: z_I^j
  const at::Tensor e = exponents.t().unsqueeze(0).expand({batch, n, monomials});
  const at::Tensor factors = table.gather(2, e);                                                    // z_I^{e_kI}
  const at::Tensor d_factors = table.gather(2, (e - 1).clamp_min(0)) * e.to(at::kDouble);  // e z^{e−1}
  std::vector<at::Tensor> f(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) f[static_cast<size_t>(i)] = factors.select(1, i);  // [B, M]
  at::Tensor value = f[0];
  for (int64_t i = 1; i < n; ++i) value = value * f[static_cast<size_t>(i)];
  std::vector<at::Tensor> grad;
  for (int64_t i = 0; i < n; ++i) {
    at::Tensor term = d_factors.select(1, i);
    for (int64_t j = 0; j < n; ++j) {
      if (j != i) term = term * f[static_cast<size_t>(j)];
    }
    grad.push_back(at::matmul(term, coefficients));
  }
  return {at::matmul(value, coefficients), at::stack(grad, 1)};
}

// One-hot rows of the kept coordinates [B, m, N+1] and of the eliminated coordinate [B, N+1], complex128.
std::pair<at::Tensor, at::Tensor> chart_selectors(const at::Tensor& local_indices, const at::Tensor& eliminated,
                                                  int64_t n) {
  const auto options = at::TensorOptions().dtype(at::kComplexDouble).device(local_indices.device());
  const at::Tensor kept = at::zeros({local_indices.size(0), local_indices.size(1), n}, options)
                              .scatter_(2, local_indices.unsqueeze(2), 1.0);
  const at::Tensor elim = at::zeros({eliminated.size(0), n}, options).scatter_(1, eliminated.view({-1, 1}), 1.0);
  return {kept, elim};
}

// The embedding z(x) of the construction in the header: z = z⁰ + Σ_a δx_a e_{I_a}, then Newton in z_e.
// z0: [B, N+1]; kept: [B, m, N+1]; elim: [B, N+1]; u: [B, 2m] float64.
at::Tensor local_embedding(const Hypersurface& surface, const at::Tensor& z0, const at::Tensor& kept,
                           const at::Tensor& elim, const at::Tensor& u, int64_t newton_steps) {
  const int64_t m = kept.size(1);
  const at::Tensor dx = at::complex(u.narrow(1, 0, m), u.narrow(1, m, m));  // [B, m]
  at::Tensor z = z0 + (dx.unsqueeze(2) * kept).sum(1);
  // Each Newton step doubles the order to which z_e(x) is exact: from the exact root at δx = 0 (order 0),
  // k steps are exact to order 2^k − 1 in δx.
  for (int64_t step = 0; step < newton_steps; ++step) {
    const auto [p, dp] = polynomial_and_gradient(surface, z);
    const at::Tensor dp_e = (dp * elim).sum(1);
    z = z - (p / dp_e).unsqueeze(1) * elim;
  }
  return z;
}

// Pulled-back Fubini–Study metric (modulus t) plus ∂∂̄φ at the moved points, in the base chart's coordinates:
// P_a^I = ∂z_I/∂x_a (δ at kept I, −∂_{I_a}p/∂_e p at e, 0 at k) at z(x), exact because z(x) lies on X to the
// order that is differentiated. Returns [B, m, m] complex128, differentiable in z.
at::Tensor metric_at(const Hypersurface& surface, const at::Tensor& z, const at::Tensor& kept, const at::Tensor& elim,
                     const at::Tensor& local_indices, const at::Tensor& patch, double t, const KahlerPotential& phi) {
  const auto dp = polynomial_and_gradient(surface, z).second;
  const at::Tensor dp_e = (dp * elim).sum(1, /*keepdim=*/true);  // [B, 1]
  const at::Tensor dp_kept = dp.gather(1, local_indices);        // [B, m]
  const at::Tensor pullback = kept - (dp_kept / dp_e).unsqueeze(2) * elim.unsqueeze(1);
  const at::Tensor pb_dagger = pullback.conj().transpose(1, 2);
  at::Tensor g = at::matmul(at::matmul(pullback, fubini_study_ambient(z, t)), pb_dagger);
  if (phi.ddbar) g = g + phi.ddbar(z, pullback, patch);
  return g;
}

// The Kähler modulus t of points.g_fs = t · P G_FS(t = 1) P†, checked to be one number for the whole set.
double infer_kahler_modulus(const CYPointSet& points) {
  const at::Tensor p = points.pullback;
  const at::Tensor g1 = at::matmul(at::matmul(p, fubini_study_ambient(points.z, 1.0)), p.conj().transpose(1, 2));
  const at::Tensor ratio = at::real(points.g_fs.diagonal(0, 1, 2).sum(1)) / at::real(g1.diagonal(0, 1, 2).sum(1));
  const double t = ratio.mean().item<double>();
  const double spread = (ratio - t).abs().max().item<double>();
  NMFLOW_CHECK(t > 0 && spread <= 1e-9 * t, "cy_curvature: points.g_fs is not t·P G_FS P† for a single t (t ≈ ", t,
               ", spread ", spread, "); build the points with make_cy_point_set");
  return t;
}

// Real components f_q of a Hermitian m×m matrix, q = 0..m²−1: Re g_aa, then Re g_ab (a < b), then Im g_ab (a < b);
// `to_matrix` [m², m·m] complex maps them back: g = Σ_q f_q to_matrix[q].
struct HermitianComponents {
  std::vector<int64_t> flat;  // [m²] index a·m + b of the entry each f_q reads
  std::vector<int64_t> imaginary;  // [m²] 1 where f_q = Im g_ab
  at::Tensor to_matrix;
};

HermitianComponents hermitian_components(int64_t m) {
  HermitianComponents h;
  std::vector<std::pair<int64_t, int64_t>> pairs;
  for (int64_t a = 0; a < m; ++a) pairs.emplace_back(a, a);
  for (int64_t a = 0; a < m; ++a)
    for (int64_t b = a + 1; b < m; ++b) pairs.emplace_back(a, b);
  const int64_t n_real = static_cast<int64_t>(pairs.size());
  for (int64_t a = 0; a < m; ++a)
    for (int64_t b = a + 1; b < m; ++b) pairs.emplace_back(a, b);
  h.to_matrix = at::zeros({m * m, m * m}, at::kComplexDouble);
  for (int64_t q = 0; q < m * m; ++q) {
    const auto [a, b] = pairs[static_cast<size_t>(q)];
    h.flat.push_back(a * m + b);
    const bool imag = q >= n_real;
    h.imaginary.push_back(imag);
    const c10::complex<double> unit = imag ? c10::complex<double>(0, 1) : c10::complex<double>(1, 0);
    h.to_matrix[q][a * m + b] = unit;
    if (a != b) h.to_matrix[q][b * m + a] = imag ? -unit : unit;
  }
  return h;
}

// Signed index table of D = Σ_{σ,γ,δ ∈ S_m} sgn σ sgn γ sgn δ Π_j M[j, σ_j, γ_j, δ_j] (the coefficient of the
// top form in det((i/2π)Θ) ∝ ∧_j dw^{γ_j} ∧ dw̄^{δ_j}): flat indices [T, m] into M.flatten and signs [T].
struct ChernTable {
  at::Tensor index;  // [T·m] int64
  at::Tensor sign;   // [T] float64
  int64_t terms = 0;
};

ChernTable top_chern_table(int64_t m) {
  std::vector<std::vector<int64_t>> perms;
  std::vector<double> signs;
  std::vector<int64_t> p(static_cast<size_t>(m));
  std::iota(p.begin(), p.end(), 0);
  do {
    int64_t inversions = 0;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = i + 1; j < m; ++j) inversions += p[static_cast<size_t>(i)] > p[static_cast<size_t>(j)];
    perms.push_back(p);
    signs.push_back(inversions % 2 == 0 ? 1.0 : -1.0);
  } while (std::next_permutation(p.begin(), p.end()));
  ChernTable table;
  std::vector<int64_t> index;
  std::vector<double> sign;
  const size_t count = perms.size();
  for (size_t s = 0; s < count; ++s)
    for (size_t c = 0; c < count; ++c)
      for (size_t d = 0; d < count; ++d) {
        for (int64_t j = 0; j < m; ++j) {
          const size_t js = static_cast<size_t>(j);
          index.push_back(((j * m + perms[s][js]) * m + perms[c][js]) * m + perms[d][js]);
        }
        sign.push_back(signs[s] * signs[c] * signs[d]);
      }
  table.terms = static_cast<int64_t>(sign.size());
  table.index = long_tensor(index, at::kCPU);
  table.sign = at::tensor(sign, at::TensorOptions().dtype(at::kDouble));
  return table;
}

// Curvature of one chunk of points. The metric is differentiated twice in u by nested autograd; every point is
// replicated m² times (copy q differentiates the real component f_q of g), so the first derivatives of all
// components take one backward pass and the Hessians 2m more (row j of every Hessian per pass).
CYPointwiseCurvature chunk_curvature(const Hypersurface& surface, const CYPointSet& points, const KahlerPotential& phi,
                                     double t, const HermitianComponents& comps, const ChernTable& chern) {
  // The derivatives are taken by autograd even when the caller runs under a no-grad guard (e.g. evaluation).
  const c10::AutoGradMode grad_mode(true);
  const int64_t batch = points.z.size(0);
  const int64_t n = surface.n_coords();
  const int64_t m = surface.dim();
  const int64_t reps = m * m;
  const at::Device device = points.z.device();
  const auto rep = [&](const at::Tensor& x) { return x.repeat_interleave(reps, 0); };
  const at::Tensor local_indices = rep(points.local_indices);
  const at::Tensor patch = rep(points.patch);
  const auto [kept, elim] = chart_selectors(local_indices, rep(points.eliminated), n);
  const at::Tensor u = at::zeros({batch * reps, 2 * m}, at::TensorOptions().dtype(at::kDouble).device(device))
                           .requires_grad_(true);
  const at::Tensor z = local_embedding(surface, rep(points.z), kept, elim, u, 3);
  const at::Tensor g = metric_at(surface, z, kept, elim, local_indices, patch, t, phi);  // [B·reps, m, m]

  const at::Tensor q_flat = long_tensor(comps.flat, device).repeat({batch});  // [B·reps]
  const at::Tensor q_imag = long_tensor(comps.imaginary, device).repeat({batch}).to(at::kBool);
  const at::Tensor entry = g.flatten(1).gather(1, q_flat.unsqueeze(1)).squeeze(1);
  const at::Tensor f = at::where(q_imag, at::imag(entry), at::real(entry));  // [B·reps]: f_q of its copy
  const at::Tensor grad1 = torch::autograd::grad({f.sum()}, {u}, {}, /*retain_graph=*/true,
                                                 /*create_graph=*/true)[0];  // [B·reps, 2m]
  std::vector<at::Tensor> rows;
  for (int64_t j = 0; j < 2 * m; ++j) {
    rows.push_back(torch::autograd::grad({grad1.select(1, j).sum()}, {u}, {}, /*retain_graph=*/true,
                                         /*create_graph=*/false)[0]);
  }
  const at::Tensor hess = at::stack(rows, 1).detach().view({batch, reps, 2 * m, 2 * m});
  const at::Tensor first = grad1.detach().view({batch, reps, 2 * m});
  const at::Tensor metric = g.detach().view({batch, reps, m, m}).select(1, 0);

  // Wirtinger: ∂_c f = ½(f_{x_c} − i f_{y_c}); ∂_c∂_d̄ f = ¼(f_{x_c x_d} + f_{y_c y_d} + i(f_{x_c y_d} − f_{y_c x_d})).
  const at::Tensor d_f = 0.5 * at::complex(first.narrow(2, 0, m), -first.narrow(2, m, m));  // [B, q, c]
  const at::Tensor hxx = hess.narrow(2, 0, m).narrow(3, 0, m), hxy = hess.narrow(2, 0, m).narrow(3, m, m);
  const at::Tensor hyx = hess.narrow(2, m, m).narrow(3, 0, m), hyy = hess.narrow(2, m, m).narrow(3, m, m);
  const at::Tensor dd_f = 0.25 * at::complex(hxx + hyy, hxy - hyx);  // [B, q, c, d]
  const at::Tensor to_matrix = comps.to_matrix.to(device);           // [q, a·m + b]
  const at::Tensor dg = at::einsum("bqc,qk->bck", {d_f, to_matrix}).view({batch, m, m, m});  // ∂_c g_ab̄ [B,c,a,b]
  const at::Tensor ddg = at::einsum("bqcd,qk->bcdk", {dd_f, to_matrix}).view({batch, m, m, m, m});  // ∂_c∂_d̄ g_ab̄

  // R_ab̄cd̄ = −∂_c∂_d̄ g_ab̄ + (∂_c G G⁻¹ ∂_d̄ G)_ab with (∂_d̄ G)_ab = conj(∂_d g_bā) = ((∂_d G)†)_ab.
  const at::Tensor inv = at::linalg_inv(metric);                                   // [B, m, m]
  const at::Tensor dgbar = dg.conj().transpose(2, 3);                              // [B, d, a, b] = ∂_d̄ g_ab̄
  const at::Tensor quad = at::einsum("bcap,bpq,bdqe->bcdae", {dg, inv, dgbar});   // [B, c, d, a, b]
  const at::Tensor r_cdab = quad - ddg;
  const at::Tensor riemann = r_cdab.permute({0, 3, 4, 1, 2}).contiguous();  // [B, a, b, c, d]
  // M[a, b, c, d] = (G⁻¹ R_{··cd̄})_ab: the curvature endomorphism; tr M_{cd̄} = Ric_cd̄.
  const at::Tensor mtensor = at::matmul(inv.view({batch, 1, 1, m, m}), r_cdab)  // [B, c, d, a, b]
                                 .permute({0, 3, 4, 1, 2})
                                 .contiguous();  // [B, a, b, c, d]
  const at::Tensor ricci = mtensor.diagonal(0, 1, 2).sum(-1);  // [B, c, d]
  const at::Tensor ricci_scalar = at::real((inv.transpose(1, 2) * ricci).sum({1, 2}));  // g^{dc̄} Ric_cd̄
  const at::Tensor det_g = at::real(at::linalg_det(metric));
  const at::Tensor gathered = mtensor.flatten(1).index_select(1, chern.index.to(device)).view({batch, chern.terms, m});
  const at::Tensor top = at::real((gathered.prod(2) * chern.sign.to(device)).sum(1));  // D
  const at::Tensor euler_density = top / (std::pow(M_PI, static_cast<double>(m)) * det_g);
  return CYPointwiseCurvature{metric, riemann, ricci, ricci_scalar, euler_density, det_g};
}

}  // namespace

at::Tensor cy_local_embedding(const Hypersurface& surface, const CYPointSet& points, const at::Tensor& u,
                              int64_t newton_steps) {
  check_point_set(surface, points, "cy_local_embedding");
  const int64_t m = surface.dim();
  NMFLOW_CHECK(u.dim() == 2 && u.size(0) == points.z.size(0) && u.size(1) == 2 * m && u.scalar_type() == at::kDouble,
               "cy_local_embedding: u must be float64 [", points.z.size(0), ", ", 2 * m, "], got ", u.scalar_type(),
               " ", u.sizes());
  NMFLOW_CHECK(newton_steps >= 0, "cy_local_embedding: newton_steps must be ≥ 0, got ", newton_steps);
  const auto [kept, elim] = chart_selectors(points.local_indices, points.eliminated, surface.n_coords());
  return local_embedding(surface, points.z, kept, elim, u, newton_steps);
}

CYPointwiseCurvature cy_pointwise_curvature(const Hypersurface& surface, const CYPointSet& points,
                                            const KahlerPotential& phi, int64_t chunk) {
  check_point_set(surface, points, "cy_pointwise_curvature");
  NMFLOW_CHECK(chunk >= 1, "cy_pointwise_curvature: chunk must be ≥ 1, got ", chunk);
  NMFLOW_CHECK(surface.dim() >= 1 && surface.dim() <= 4, "cy_pointwise_curvature: complex dimension m = ",
               surface.dim(), " not supported (1..4: the top Chern form sums (m!)³ terms)");
  NMFLOW_CHECK(!phi.ddbar || phi.n_coords == surface.n_coords(), "cy_pointwise_curvature: the model has ",
               phi.n_coords, " homogeneous coordinates, ", surface.name(), " has ", surface.n_coords());
  const double t = infer_kahler_modulus(points);
  const HermitianComponents comps = hermitian_components(surface.dim());
  const ChernTable chern = top_chern_table(surface.dim());
  std::vector<CYPointwiseCurvature> parts;
  const int64_t batch = points.size();
  for (int64_t start = 0; start < batch; start += chunk) {
    const int64_t len = std::min(chunk, batch - start);
    CYPointSet slice;
    slice.z = points.z.narrow(0, start, len);
    slice.patch = points.patch.narrow(0, start, len);
    slice.eliminated = points.eliminated.narrow(0, start, len);
    slice.local_indices = points.local_indices.narrow(0, start, len);
    parts.push_back(chunk_curvature(surface, slice, phi, t, comps, chern));
  }
  const auto cat = [&](at::Tensor CYPointwiseCurvature::*field) {
    std::vector<at::Tensor> pieces;
    for (const auto& part : parts) pieces.push_back(part.*field);
    return at::cat(pieces, 0);
  };
  CYPointwiseCurvature out{cat(&CYPointwiseCurvature::metric),        cat(&CYPointwiseCurvature::riemann),
                           cat(&CYPointwiseCurvature::ricci),         cat(&CYPointwiseCurvature::ricci_scalar),
                           cat(&CYPointwiseCurvature::euler_density), cat(&CYPointwiseCurvature::det_g)};
  // The recomputed FS part at δx = 0 must be the point set's g_FS (same surface, same charts).
  const at::Tensor fs =
      phi.ddbar ? out.metric - phi.ddbar(points.z, points.pullback, points.patch).detach() : out.metric;
  const double mismatch = ((fs - points.g_fs).abs().amax({1, 2}) /
                           points.g_fs.abs().amax({1, 2})).max().item<double>();
  NMFLOW_CHECK(mismatch <= 1e-9, "cy_curvature: the metric rebuilt from ", surface.name(),
               " differs from points.g_fs by ", mismatch, " (relative); were the points made for this surface?");
  return out;
}

CYCurvatureMeasures cy_curvature_measures(const Hypersurface& surface, const CYPointSet& points,
                                          const KahlerPotential& phi, int64_t chunk) {
  const CYPointwiseCurvature curv = cy_pointwise_curvature(surface, points, phi, chunk);
  const int64_t m = surface.dim();
  const double t = infer_kahler_modulus(points);
  const CYAccuracy acc = cy_accuracy(points.weights, points.omega_sq, curv.det_g);
  // w η = det g/det g_FS: the density of J^m/m! of g against the sampling measure (FS volume normalised to 1).
  const at::Tensor w_eta = points.weights * curv.det_g / points.omega_sq;
  const at::Tensor abs_r = curv.ricci_scalar.abs();
  double factorial = 1.0;
  for (int64_t k = 2; k <= m; ++k) factorial *= static_cast<double>(k);
  // ∫_X J_FS^m/m! = deg · t^m/m! (Wirtinger; docs/kahler.md): exact, so only the integrand is sampled.
  const double vol_fs = static_cast<double>(surface.degree()) * std::pow(t, static_cast<double>(m)) / factorial;
  const at::Tensor chi_samples = vol_fs * w_eta * curv.euler_density;
  CYCurvatureMeasures out;
  out.ricci_scalar = curv.ricci_scalar;
  out.euler_density = curv.euler_density;
  out.ricci_measure = std::pow(acc.vol_k, 1.0 / static_cast<double>(m)) / acc.vol_cy *
                      (w_eta * abs_r).mean().item<double>();
  out.max_abs_ricci_scalar = abs_r.max().item<double>();
  out.mean_abs_ricci_scalar = ((w_eta * abs_r).mean() / w_eta.mean()).item<double>();
  out.euler_characteristic = chi_samples.mean().item<double>();
  out.euler_standard_error =
      points.size() > 1 ? chi_samples.std().item<double>() / std::sqrt(static_cast<double>(points.size())) : 0.0;
  return out;
}

}  // namespace nmflow
