#!/usr/bin/env python3
"""tools/plot_run.py on every kind it plots, from small synthetic files written here with h5py in the layouts of
docs/hdf5.md (real_metric_flow with and without /ntk, local_ricci_check, ntk, cy_metric, donaldson,
cy_free_metric, cy_width_ladder, ricci_flow), plus the errors: an unknown kind and a file without one. Each plot must print the
PNG paths it promises and write non-empty PNG files. Exit 77 (skipped) without h5py/matplotlib.

    python tests/io/plot_run_kinds.py --script tools/plot_run.py --work DIR
"""
import argparse
import pathlib
import subprocess
import sys

try:
    import h5py
    import matplotlib  # noqa: F401
    import numpy as np
except ImportError as e:
    print(f"SKIPPED: {e}")
    sys.exit(77)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def records(f, name, values, dtype):
    """An extendible [N, 1] record dataset, as nmflow's recorder writes it."""
    values = np.asarray(values, dtype=dtype).reshape(-1, 1)
    f.create_dataset(name, data=values, maxshape=(None, 1), chunks=True)


def write_real_metric_flow(path, ntk):
    """A short `nmflow run` trajectory; with ntk, the /ntk rows of recording.ntk_every ([N] and [N, k])."""
    t = np.linspace(0.0, 0.2, 6)
    with h5py.File(path, "w") as f:
        f.attrs.update({"kind": "real_metric_flow", "manifold": "round_sphere", "loss": "einstein",
                        "optimizer": "sgd"})
        records(f, "trajectory/time", t, np.float64)
        records(f, "trajectory/loss", 1.0 / (1.0 + t), np.float64)
        records(f, "trajectory/terms/einstein", 0.5 / (1.0 + t), np.float64)
        f["trajectory/scalar"] = 6.0 + np.outer(np.exp(-t), np.linspace(-1.0, 1.0, 4))
        f["initial/scalar"] = 6.0 + np.linspace(-1.0, 1.0, 4)
        records(f, "trajectory/step", np.arange(6) * 20, np.int64)
        if ntk:
            f["ntk/flow_time"] = t[::2]
            f["ntk/relative_drift"] = np.array([0.0, 0.01, 0.03])
            f["ntk/nonlocal_mass"] = np.array([0.4, 0.41, 0.42])
            f["ntk/top_eigenvalues"] = np.array([[5.0, 2.0, 1.0], [5.1, 2.1, 0.9], [5.2, 2.2, 0.8]])
            f["ntk/step"] = np.arange(3) * 40


def write_ricci_flow(path, compact):
    """A reference Ricci-flow trajectory (kind ricci_flow): R and g at 4 probes of a shrinking round S^3, with the
    closed form and, when compact, the invariants as record terms."""
    t = np.linspace(0.05, 0.2, 4)
    rho = 1.0 - 4.0 * t
    with h5py.File(path, "w") as f:
        f.attrs.update({"kind": "ricci_flow", "family": "round_sphere", "gauge": "invariant_frame",
                        "extinction_time": 0.25})
        records(f, "trajectory/time", t, np.float64)
        records(f, "trajectory/terms/rho", rho, np.float64)
        if compact:
            records(f, "trajectory/terms/volume", 2 * np.pi ** 2 * rho ** 1.5, np.float64)
        records(f, "closed_form/scalar", 6.0 / rho, np.float64)
        f["trajectory/scalar"] = np.outer(6.0 / rho, np.ones(4))
        f["trajectory/g"] = rho[:, None, None, None] * np.eye(3)[None, None] * np.ones((4, 4, 1, 1))
        f["initial/scalar"] = np.full(4, 6.0)
        f["initial/g"] = np.tile(np.eye(3), (4, 1, 1))
        records(f, "trajectory/step", np.arange(1, 5), np.int64)


def write_local_ricci(path):
    """Width ladders (S³), a bandwidth ladder (T²) and single-row controls."""
    with h5py.File(path, "w") as f:
        f.attrs["kind"] = "local_ricci_check"
        f.attrs["case_names"] = "round_s3,berger_s3,berger_s3_flat_kernel,conformal_t2"
        f.attrs["tolerance_round_s3"] = 0.02
        f.attrs["tolerance_conformal_t2"] = 0.01
        f.attrs["passed"] = 1
        f.attrs["exponent_round_s3"] = -0.5
        f.attrs["exponent_berger_s3"] = -0.45
        f.attrs["exponent_conformal_t2"] = -1.5
        f["case"] = np.array([0, 0, 0, 1, 1, 1, 2, 3, 3], dtype=np.int64)
        f["width"] = np.array([64, 256, 1024, 64, 256, 1024, 1024, 484, 484], dtype=np.int64)
        f["bandwidth"] = np.array([2.0] * 7 + [2.0, 4.0])
        f["omega"] = np.full(9, 3.1)
        deviation = np.array([0.04, 0.02, 0.01, 0.05, 0.025, 0.012, 0.3, 0.28, 0.09])
        f["max_relative_deviation"] = deviation
        f["ntk_drift"] = np.array([0.1, 0.05, 0.025, 0.1, 0.05, 0.025, 0.02, 0.08, 0.08])
        f["nonlocal_mass"] = np.full(9, 0.3)
        f["final_time"] = np.array([0.04] * 7 + [0.1, 0.1])
        times = np.tile(np.array([0.02, 0.04]), (9, 1))
        f["times"] = times
        f["deviations"] = times * deviation[:, None] / 0.04


def write_ntk(path, frozen):
    rng = np.random.default_rng(0)
    b, p = 6, 3
    j = rng.standard_normal((b * p, 40))
    theta = j @ j.T
    with h5py.File(path, "w") as f:
        f.attrs["kind"] = "ntk"
        for name, value in [("manifold", "flat_torus"), ("head", "symmetric"), ("hidden", "32"),
                            ("activation", "erf"), ("reference_method", "jacobian")]:
            f.attrs[name] = value
        f.attrs["components"] = p
        f.attrs["points"] = b
        f.attrs["nonlocal_mass"] = 0.7
        f["theta"] = theta
        f["eigenvalues"] = np.sort(np.linalg.eigvalsh(theta))[::-1][:5]
        f["methods/seconds"] = np.array([0.5, 0.01])
        f["methods/max_relative_difference"] = np.array([0.0, 3e-16])
        f["methods"].attrs["names"] = "jacobian,structured"
        if frozen:
            f["frozen/theta"] = theta + 0.1 * np.eye(b * p)
            f.attrs["frozen_relative_gap"] = 0.05
            f["drift/time"] = np.array([0.0, 0.1, 0.2])
            f["drift/relative_drift"] = np.array([0.0, 0.01, 0.03])


def write_cy_metric(path, final, kind="cy_metric"):
    rng = np.random.default_rng(1)
    with h5py.File(path, "w") as f:
        f.attrs["kind"] = kind
        f.attrs["hypersurface"] = "fermat_quintic"
        f.attrs["optimizer"] = "adam"
        epochs = np.arange(1, 6)
        records(f, "epochs/steps", epochs * 10, np.int64)
        for name, values in [("wall_seconds", epochs * 1.0), ("cpu_seconds", epochs * 2.0),
                             ("train_loss", 0.3 / epochs), ("sigma", 0.37 / epochs), ("kappa", 1 + 0.01 * epochs)]:
            records(f, f"epochs/{name}", values, np.float64)
        if kind == "cy_free_metric":  # L_K and L_T: rounding at epoch 1 (g_FS), then trained values
            records(f, "epochs/kahler", np.where(epochs > 1, 1e-3 * epochs, 1e-33), np.float64)
            records(f, "epochs/transition", np.where(epochs > 1, 1e-5 * epochs, 1e-33), np.float64)
        records(f, "epochs/epoch", epochs, np.int64)
        if final:
            f["final/validation/eta_ratio"] = 1 + 0.1 * rng.standard_normal(500)
            f["final/validation/weights"] = rng.uniform(0.5, 1.5, 500)
            f["final/sigma"] = 0.08


def write_donaldson(path):
    with h5py.File(path, "w") as f:
        f.attrs["kind"] = "donaldson"
        f.attrs["hypersurface"] = "fermat_quintic"
        f.attrs["sigma_fs"] = 0.37
        k = np.arange(1, 5)
        for name, values in [("sections", 5 * k), ("iterations", 10 + 0 * k)]:
            records(f, f"donaldson/{name}", values, np.int64)
        for name, values in [("residual", 1e-6 + 0 * k), ("sigma", 0.3 / k**2), ("kappa", 1 + 0 * k),
                             ("seconds", 0.1 * k)]:
            records(f, f"donaldson/{name}", values, np.float64)
        records(f, "donaldson/k", k, np.int64)


def write_cy_width_ladder(path):
    """Two widths × adam and linearised_adam; a third group beyond /ladder's run count (a run cut off by a kill)."""
    with h5py.File(path, "w") as f:
        f.attrs.update({"kind": "cy_width_ladder", "hypersurface": "fermat_quartic", "train_points": 400})
        ladder = f.create_group("ladder")
        ladder.attrs.update({"depth": 1, "init": "centred", "runs": 4})
        epoch = np.array([0, 1, 2])
        for i, (width, regime) in enumerate([(8, "adam"), (8, "linearised_adam"), (32, "adam"),
                                             (32, "linearised_adam"), (64, "adam")]):
            g = f.create_group(f"runs/{i}")
            g.attrs.update({"width": width, "seed": 0, "regime": regime})
            g["epoch"] = epoch
            g["sigma"] = 0.2 / (1.0 + epoch * (1.0 + 0.01 * width))
            g["ntk_drift"] = 0.0 * epoch if regime.startswith("linearised") else 0.3 * epoch / np.sqrt(width)


def run(script, path, out):
    return subprocess.run([sys.executable, str(script), str(path), "--out", str(out)], capture_output=True, text=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--script", type=pathlib.Path, required=True)
    parser.add_argument("--work", type=pathlib.Path, required=True)
    args = parser.parse_args()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    cases = {
        "synthetic_real_metric_flow": (lambda p: write_real_metric_flow(p, ntk=False), ["loss", "scalar"]),
        "synthetic_real_metric_flow_ntk": (lambda p: write_real_metric_flow(p, ntk=True), ["loss", "scalar", "ntk"]),
        "synthetic_local_ricci": (write_local_ricci, ["ladder", "ladder_ntk", "deviation_vs_time"]),
        "synthetic_ntk": (lambda p: write_ntk(p, frozen=False), ["spectrum", "locality", "methods"]),
        "synthetic_ntk_frozen": (lambda p: write_ntk(p, frozen=True), ["spectrum", "locality", "methods", "drift"]),
        "synthetic_cy_metric": (lambda p: write_cy_metric(p, final=True), ["sigma", "sigma_hist"]),
        "synthetic_cy_metric_running": (lambda p: write_cy_metric(p, final=False), ["sigma"]),
        "synthetic_donaldson": (write_donaldson, ["sigma_vs_k"]),
        "synthetic_cy_free_metric": (lambda p: write_cy_metric(p, final=True, kind="cy_free_metric"),
                                     ["sigma", "sigma_hist"]),
        "synthetic_cy_width_ladder": (write_cy_width_ladder, ["ladder"]),
        "synthetic_ricci_flow": (lambda p: write_ricci_flow(p, compact=True), ["scalar", "metric"]),
        "synthetic_ricci_flow_noncompact": (lambda p: write_ricci_flow(p, compact=False), ["scalar", "metric"]),
    }
    failures = []
    for stem, (write, plots) in cases.items():
        path = work / f"{stem}.h5"
        write(path)
        result = run(args.script, path, work / "plots")
        expected = [work / "plots" / f"{stem}_{what}.png" for what in plots]
        printed = [pathlib.Path(line) for line in result.stdout.split()]
        if result.returncode != 0:
            failures.append(f"{stem}: exit {result.returncode}: {result.stderr.strip()}")
        elif printed != expected:
            failures.append(f"{stem}: printed {printed}, expected {expected}")
        else:
            for png in expected:
                if not png.read_bytes().startswith(PNG_MAGIC) or png.stat().st_size < 2000:
                    failures.append(f"{png}: not a PNG with content")
        print(f"{stem}: {'ok' if not failures or not failures[-1].startswith(stem) else 'FAILED'}")

    for stem, attrs, expected_message in [
        ("synthetic_unknown_kind", {"kind": "teapot"}, "unknown kind 'teapot'; plotted kinds: real_metric_flow, "
                                                       "local_ricci_check, ntk, cy_metric, donaldson"),
        ("synthetic_no_kind", {}, "has no root attribute 'kind'"),
    ]:
        path = work / f"{stem}.h5"
        with h5py.File(path, "w") as f:
            f.attrs.update(attrs)
        result = run(args.script, path, work / "plots")
        lines = result.stderr.strip().splitlines()
        if result.returncode == 0 or len(lines) != 1 or expected_message not in lines[0] \
                or not lines[0].startswith("plot_run: "):
            failures.append(f"{stem}: expected one line 'plot_run: …{expected_message}…' and a non-zero exit, got "
                            f"exit {result.returncode}, stderr {result.stderr!r}")
        print(f"{stem}: {'ok' if not failures or not failures[-1].startswith(stem) else 'FAILED'}")

    if failures:
        print("\n".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
