#include "geometry/kahler/line_intersection_sampler.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/error.h"
#include "common/memory_budget.h"
#include "geometry/kahler/polynomial_roots.h"
#include "geometry/standard_normal_cpu.h"

namespace nmflow {

namespace {

// [count, N+1] standard complex Gaussians (E|a_I|² = 1) from the CPU generator: at::randn's values to a few ulp
// (standard_normal_cpu.h), so a seed gives the same lines as it did with at::randn up to round-off.
// The 1/√2 is a real division in place: the complex tensor ÷ scalar ran ATen's complex division kernel into a new
// tensor (4 % of drawing 10^5 raw points).
at::Tensor complex_gaussian(int64_t count, int64_t n, at::Generator& generator) {
  at::Tensor parts = standard_normal_cpu({count, n, 2}, generator);
  parts.div_(std::sqrt(2.0));
  return at::view_as_complex(parts);
}

CYPointSet concatenate(const std::vector<CYPointSet>& parts) {
  auto cat = [&parts](at::Tensor CYPointSet::*field) {
    std::vector<at::Tensor> tensors;
    for (const CYPointSet& part : parts) {
      tensors.push_back(part.*field);
    }
    return at::cat(tensors, 0);
  };
  CYPointSet all;
  all.z = cat(&CYPointSet::z);
  all.patch = cat(&CYPointSet::patch);
  all.eliminated = cat(&CYPointSet::eliminated);
  all.local_indices = cat(&CYPointSet::local_indices);
  all.pullback = cat(&CYPointSet::pullback);
  all.g_fs = cat(&CYPointSet::g_fs);
  all.det_g_fs = cat(&CYPointSet::det_g_fs);
  all.omega_sq = cat(&CYPointSet::omega_sq);
  all.weights = cat(&CYPointSet::weights);
  return all;
}

// Appends the points a + t b of the lines marked good to z_out (rows from `row`, at most up to z_out's end) and
// returns the next free row. c10::complex's product, re = t_re b_re − t_im b_im, im = t_re b_im + t_im b_re, has
// no FMA here (the library is built for baseline x86-64): what ATen's vectorised complex product does; its scalar
// tail (the fifth coordinate of a quintic point with AVX2) may contract into an FMA and differ by an ulp. Written
// straight into the result, the points skip the tensor expression's [L, d, N+1] temporaries and the gather and cat
// after them — 8 MB each per 100 000 points, freshly faulted in on every chunk.
int64_t append_line_points_cpu(const at::Tensor& a, const at::Tensor& b, const at::Tensor& t, const at::Tensor& good,
                               at::Tensor& z_out, int64_t row) {
  using C = c10::complex<double>;
  const int64_t lines = a.size(0), n = a.size(1), d = t.size(1), rows = z_out.size(0);
  const C* pa = a.data_ptr<C>();
  const C* pb = b.data_ptr<C>();
  const C* pt = t.data_ptr<C>();
  const bool* keep = good.data_ptr<bool>();
  C* pz = z_out.data_ptr<C>();
  for (int64_t l = 0; l < lines && row < rows; ++l) {
    if (!keep[l]) continue;
    for (int64_t r = 0; r < d && row < rows; ++r, ++row) {
      const C root = pt[l * d + r];
      for (int64_t i = 0; i < n; ++i) pz[row * n + i] = pa[l * n + i] + root * pb[l * n + i];
    }
  }
  return row;
}

}  // namespace

HypersurfacePoints sample_line_intersections(const Hypersurface& surface_in, const LineSamplerOptions& options) {
  NMFLOW_CHECK(options.n_points >= 1, "sample_line_intersections: n_points must be ≥ 1, got ", options.n_points);
  NMFLOW_CHECK(options.chunk_points >= 1, "sample_line_intersections: chunk_points must be ≥ 1, got ",
               options.chunk_points);
  NMFLOW_CHECK(options.residual_tolerance > 0.0, "sample_line_intersections: residual_tolerance must be > 0, got ",
               options.residual_tolerance);
  const Hypersurface surface = surface_in.to(options.device);
  const int64_t d = surface.degree();
  const int64_t n = surface.n_coords();
  const int64_t lines_needed = (options.n_points + d - 1) / d;
  const int64_t chunk_lines = std::max<int64_t>(1, options.chunk_points / d);
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  std::vector<at::Tensor> kept;  // CUDA: the points of each chunk
  HypersurfacePoints result;
  // CPU: the points go straight into the n_points rows of the result (the last line's surplus roots are dropped).
  const bool on_cpu = options.device.is_cpu();
  at::Tensor z_cpu =
      on_cpu ? at::empty({options.n_points, n}, at::TensorOptions().dtype(at::kComplexDouble)) : at::Tensor();
  int64_t rows_written = 0;
  while (result.lines_used < lines_needed) {
    NMFLOW_CHECK(result.lines_rejected <= lines_needed + 1000, "sample_line_intersections: ", result.lines_rejected,
                 " lines failed the residual check |p(z)|/|z|^d <= ", options.residual_tolerance, " against ",
                 result.lines_used, " that passed; is ", surface.name(), " singular?");
    const int64_t lines = std::min(chunk_lines, lines_needed - result.lines_used);
    const at::Tensor a = complex_gaussian(lines, n, generator).to(options.device);
    const at::Tensor b = complex_gaussian(lines, n, generator).to(options.device);
    const LineRoots roots = line_intersection_roots(a, b, surface.exponents(), surface.coefficients(), d);
    // NaN compares false, so a line with a non-finite root is rejected too.
    const at::Tensor good = roots.residual.le(options.residual_tolerance).all(1);
    const int64_t n_good = good.sum().item<int64_t>();
    result.lines_used += n_good;
    result.lines_rejected += lines - n_good;
    if (on_cpu) {
      rows_written = append_line_points_cpu(a, b, roots.t, good, z_cpu, rows_written);
    } else {
      const at::Tensor z = a.unsqueeze(1) + roots.t.unsqueeze(2) * b.unsqueeze(1);  // [L, d, N+1]
      // Every line passes almost always: then no gather (and with one chunk, no cat) copies the points again.
      kept.push_back((n_good == lines ? z : z.index_select(0, good.nonzero().squeeze(1))).reshape({n_good * d, n}));
    }
  }
  result.z = on_cpu ? z_cpu : (kept.size() == 1 ? kept[0] : at::cat(kept, 0)).narrow(0, 0, options.n_points);
  return result;
}

CYPointSet sample_cy_points(const Hypersurface& surface_in, const LineSamplerOptions& options) {
  check_memory_fits("sampling points on " + surface_in.name(), static_cast<double>(options.n_points),
                    cy_point_set_bytes_per_point(surface_in), "points", "; sample fewer points at a time");
  const Hypersurface surface = surface_in.to(options.device);
  const HypersurfacePoints raw = sample_line_intersections(surface, options);
  // One pass per point has no batch temporaries: no chunks, no copies into a cat. The ATen composition runs chunk
  // by chunk to bound its temporaries.
  if (cy_point_set_in_one_pass(surface, raw.z)) {
    CYPointSet points = make_cy_point_set(surface, raw.z, options.kahler_modulus);
    points.lines_used = raw.lines_used;
    points.lines_rejected = raw.lines_rejected;
    return points;
  }
  std::vector<CYPointSet> parts;
  for (int64_t begin = 0; begin < raw.z.size(0); begin += options.chunk_points) {
    const int64_t count = std::min(options.chunk_points, raw.z.size(0) - begin);
    parts.push_back(make_cy_point_set(surface, raw.z.narrow(0, begin, count), options.kahler_modulus));
  }
  CYPointSet points = concatenate(parts);
  points.lines_used = raw.lines_used;
  points.lines_rejected = raw.lines_rejected;
  return points;
}

CYPointSet sample_cy_points(const Hypersurface& surface, int64_t n_points, uint64_t seed) {
  LineSamplerOptions options;
  options.n_points = n_points;
  options.seed = seed;
  return sample_cy_points(surface, options);
}

}  // namespace nmflow
