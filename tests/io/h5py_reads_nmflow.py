"""h5py reads what nmflow writes: dtypes, shapes, complex layout, bool enum, strings, extendible data.

Usage: h5py_reads_nmflow.py [--fixture FILE] [--sample FILE] [--hypersurface FILE]
--fixture: written by `io_tests "[.h5py_fixture]"`; --sample: by `nmflow sample --manifold`;
--hypersurface: by `nmflow sample --hypersurface`.
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


def main():
    args = sys.argv[1:]
    checks = {"--fixture": check_fixture, "--sample": check_sample, "--hypersurface": check_hypersurface}
    if not args or len(args) % 2 or any(flag not in checks for flag in args[::2]):
        print(__doc__)
        sys.exit(2)
    for flag, path in zip(args[::2], args[1::2]):
        checks[flag](path)
    print("h5py read every nmflow dataset and attribute")


if __name__ == "__main__":
    main()
