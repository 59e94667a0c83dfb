"""h5py reads what nmflow writes: dtypes, shapes, complex layout, bool enum, strings, extendible data.

Usage: h5py_reads_nmflow.py [--fixture FILE] [--sample FILE] [--hypersurface FILE] [--ricci-flow FILE]
                            [--compare FILE]
--fixture: written by `io_tests "[.h5py_fixture]"`; --sample: by `nmflow sample --manifold`;
--hypersurface: by `nmflow sample --hypersurface`; --ricci-flow: by `nmflow run configs/berger_ricci_flow.yaml`;
--compare: by `nmflow run configs/berger_compare_perelman.yaml`.
Exits 77 (CTest: skipped) with a printed reason when numpy or h5py is missing.
"""
import sys

try:
    import h5py
    import numpy as np
except ImportError as error:
    print(f"SKIPPED: {sys.executable} cannot import h5py/numpy ({error})")
    sys.exit(77)


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}")
        sys.exit(1)


def check_fixture(path):
    with h5py.File(path, "r") as f:
        f64 = f["f64"][...]
        check(f64.dtype == np.float64 and f64.shape == (2, 3, 4), f"f64 {f64.dtype} {f64.shape}")
        check(np.array_equal(f64, np.arange(24.0).reshape(2, 3, 4) / 8.0), "f64 values")
        check(f["f64"].compression == "gzip" and f["f64"].shuffle, "f64 gzip + shuffle")
        f32 = f["f32"][...]
        check(f32.dtype == np.float32 and np.array_equal(f32, np.arange(5, dtype=np.float32) - 2.5), "f32")
        i64 = f["i64"][...]
        check(i64.dtype == np.int64 and np.array_equal(i64, np.arange(-3, 3) * (1 << 40)), "i64")
        b = f["bool"][...]
        check(b.dtype == np.bool_ and b.tolist() == [True, False, True], f"bool {b.dtype} {b}")
        c = f["c128"]
        check(c.attrs["nmflow_complex"] == 1 and c.shape == (3, 2), "complex layout [.., 2]")
        z = c[..., 0] + 1j * c[..., 1]
        check(np.array_equal(z, np.array([0 + 1j, 2 + 3j, 4 + 5j])), "complex values (re, im)")
        check(f["scalar"][()] == 2.5 and f["scalar"].shape == (), "scalar")
        check(f["empty"].shape == (0, 3), "empty shape")
        check(np.array_equal(f["group/big"][...], np.arange(300000.0)), "multi-chunk dataset")
        check(f["group/big"].attrs["n"] == 300000, "int attribute")
        check(f["group"].attrs["x"] == 0.125, "double attribute")
        r = f["records"]
        check(r.maxshape == (None, 2) and r.shape == (5, 2), f"extendible {r.shape} {r.maxshape}")
        check(np.array_equal(r[:, 1], np.arange(5.0)), "extendible values")
        check(f.attrs["measure"] == "Ω∧Ω̄", "utf-8 string attribute reads as str")
        for key in ("nmflow_version", "nmflow_git_hash", "libtorch_version", "device", "config",
                    "command_line", "start_time", "end_time"):
            check(isinstance(f.attrs[key], str), f"provenance {key} is a str")
        check(f.attrs["seed"] == 42, "seed")


def check_sample(path):
    with h5py.File(path, "r") as f:
        x = f["x"][...]
        w = f["weights"][...]
        check(x.ndim == 2 and w.shape == (x.shape[0],), f"sample x {x.shape}, weights {w.shape}")
        check(isinstance(f.attrs["measure"], str), "sample measure is a str")
        check(np.all(np.isfinite(x)) and np.all(w > 0), "sample values finite, weights positive")


def check_hypersurface(path):
    with h5py.File(path, "r") as f:
        z = f["z"]
        check(z.attrs["nmflow_complex"] == 1 and z.ndim == 3 and z.shape[2] == 2, f"z layout {z.shape}")
        n = z.shape[0]
        zc = z[..., 0] + 1j * z[..., 1]
        patch = f["patch"][...]
        check(np.allclose(zc[np.arange(n), patch], 1.0, atol=0, rtol=0), "z[patch] = 1 exactly")
        w = f["weights"][...]
        check(abs(w.mean() - f.attrs["vol_cy"]) <= 1e-12 * w.mean(), "vol_cy = mean(weights)")
        check(0.3 < f.attrs["sigma_fs"] < 0.45, f"sigma_fs {f.attrs['sigma_fs']}")


def check_ricci_flow(path):
    """The Berger run of kind ricci_flow (docs/hdf5.md, "Reference Ricci-flow runs")."""
    with h5py.File(path, "r") as f:
        check(f.attrs["kind"] == "ricci_flow" and f.attrs["family"] == "berger", "ricci_flow kind and family")
        check(f.attrs["status"] == "complete", f"ricci_flow status {f.attrs['status']}")
        n = f["trajectory/step"].shape[0]
        check(n == f.attrs["total_records"] and f["trajectory/step"].dtype == np.int64, "ricci_flow record count")
        t = f["trajectory/time"][:n, 0]
        check(np.all(np.diff(t) > 0) and t[-1] < f.attrs["extinction_time"], "ricci_flow times ascend before extinction")
        check(abs(f.attrs["extinction_time"] / f.attrs["extinction_time_closed_form"] - 1) < 1e-8,
              "ricci_flow extinction time vs closed form")
        g = f["trajectory/g"][:n]
        p = f["points/probe_x"].shape[0]
        check(g.shape == (n, p, 3, 3) and np.allclose(g, g.transpose(0, 1, 3, 2)), f"ricci_flow g {g.shape}")
        check(f["trajectory/ricci"].shape == g.shape and f["trajectory/scalar"].shape == (n, p), "ricci_flow Ric, R")
        names = f["trajectory"].attrs["term_names"].split(",")
        check(names == ["A", "B", "volume", "total_scalar", "total_scalar_squared"], f"ricci_flow terms {names}")
        a, b = f["trajectory/terms/A"][:n, 0], f["trajectory/terms/B"][:n, 0]
        check(np.allclose(f["trajectory/scalar"][:n, 0], 8 / a - 2 * b / a**2, rtol=1e-12, atol=0),
              "ricci_flow R = 8/A - 2B/A^2")


def check_compare(path):
    """A real_metric_flow run with compare.ricci_flow (docs/hdf5.md, "Trajectories", /compare)."""
    with h5py.File(path, "r") as f:
        check(f.attrs["kind"] == "real_metric_flow" and f.attrs["status"] == "complete", "compare run kind, status")
        c = f["compare/step"].shape[0]
        check(f["compare/step"].dtype == np.int64 and f["compare/step"].shape == (c, 1) and c >= 2, "compare/step")
        names = f["compare"].attrs["value_names"].split(",")
        check(names[:3] == ["time", "reference_time", "reference_alive"] and "scalar_w2" in names,
              f"compare value names {names}")
        for name in names:
            check(f[f"compare/{name}"].shape == (c, 1) and f[f"compare/{name}"].dtype == np.float64,
                  f"compare/{name} shape {f[f'compare/{name}'].shape}")
        steps = f["compare/step"][:, 0]
        t = f["compare/time"][:, 0]
        check(steps[0] == 0 and t[0] == 0 and np.all(np.diff(t) > 0), "compare rows start at step 0, t ascends")
        check(f["compare/deviation_max"][0, 0] < 1e-12, "the two flows start at the same g0")
        alive = f["compare/reference_alive"][:, 0] == 1
        check(np.array_equal(f["compare/reference_time"][alive, 0], t[alive]), "reference integrated to the same t")
        recorded = f["trajectory/step"][:, 0]
        last = np.searchsorted(recorded, steps[-1])
        check(recorded[last] == steps[-1] and f["trajectory/time"][last, 0] == t[-1], "compare t = trajectory t")
        p = f["points/probe_x"].shape[0]
        n = f["points/probe_x"].shape[1]
        check(f["compare/reference_g"].shape == (c, p, n, n) and f["compare/reference_scalar"].shape == (c, p),
              "compare reference fields")
        check(f["compare"].attrs["gauge"] == "invariant_frame" and f["compare"].attrs["extinction_time"] > 0,
              "compare attributes")


def main():
    args = sys.argv[1:]
    checks = {"--fixture": check_fixture, "--sample": check_sample, "--hypersurface": check_hypersurface,
              "--ricci-flow": check_ricci_flow, "--compare": check_compare}
    if not args or len(args) % 2 or any(flag not in checks for flag in args[::2]):
        print(__doc__)
        sys.exit(2)
    for flag, path in zip(args[::2], args[1::2]):
        checks[flag](path)
    print("h5py read every nmflow dataset and attribute")


if __name__ == "__main__":
    main()
