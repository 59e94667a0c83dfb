#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "models/tanh_cpu.h"

TEST_CASE("tanh_in_place_cpu is within 4 ulp of std::tanh from 1e-300 to 1e3, at ±0, ±∞ and NaN", "[models][tanh]") {
  std::vector<double> x;
  // 24 decades of |x| around the kernel's branch points (|r| = ln 2 / 2 at |x| = ln 2 / 4, the clamp at 20), both
  // signs, plus a tail that is not a multiple of eight.
  for (double m = 1e-300; m < 1e3; m *= 1.0137) {
    x.push_back(m);
    x.push_back(-m);
  }
  for (double m = 0.0; m < 25.0; m += 0.0123) x.push_back(m);
  for (const double edge : {0.17328679513998632, 0.5198603854199589, 19.999, 20.0, 20.001, 40.0, 354.0, 711.0}) {
    x.push_back(edge);
    x.push_back(-edge);
    x.push_back(std::nextafter(edge, 0.0));
  }
  x.push_back(3.0);
  std::vector<double> y = x;
  nmflow::tanh_in_place_cpu(y.data(), static_cast<int64_t>(y.size()));
  double worst_ulp = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double expected = std::tanh(x[i]);
    const double ulp = std::abs(y[i] - expected) / (std::numeric_limits<double>::epsilon() * std::abs(expected));
    worst_ulp = std::max(worst_ulp, ulp);
  }
  INFO("worst error " << worst_ulp << " ulp over " << x.size() << " values");
  CHECK(worst_ulp <= 4.0);
  // The kernel is a different algorithm from glibc's: agreement everywhere would mean it was not called.
  if (nmflow::tanh_cpu_has_kernel()) CHECK(worst_ulp > 0.0);

  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> special = {0.0, -0.0, inf, -inf, std::nan(""), 1e-320, -4.9e-324};
  nmflow::tanh_in_place_cpu(special.data(), static_cast<int64_t>(special.size()));
  CHECK(special[0] == 0.0);
  CHECK_FALSE(std::signbit(special[0]));
  CHECK(special[1] == 0.0);
  CHECK(std::signbit(special[1]));
  CHECK(special[2] == 1.0);
  CHECK(special[3] == -1.0);
  CHECK(std::isnan(special[4]));
  CHECK(special[5] == 1e-320);  // tanh x = x below the square root of the smallest normal
  CHECK(special[6] == -4.9e-324);
}

TEST_CASE("tanh_in_place_cpu in float32 is ATen's tanh", "[models][tanh]") {
  at::manual_seed(5);
  const at::Tensor x = at::randn({37}, at::kFloat) * 3;
  at::Tensor y = x.clone();
  nmflow::tanh_in_place_cpu(y.data_ptr<float>(), y.numel());
  CHECK(at::equal(y, at::tanh(x)));
}
