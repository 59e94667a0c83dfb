#!/usr/bin/env python3
"""PNG plots of an nmflow HDF5 file (layouts: docs/hdf5.md), chosen by the file's root attribute `kind`.

    python tools/plot_run.py FILE.h5 [--out DIR]        (or: nmflow plot FILE.h5 [-o DIR])

  real_metric_flow   (nmflow run)  <stem>_loss.png: loss and its terms vs flow time t;
                                   <stem>_scalar.png: scalar curvature at the probes vs t (band and spread);
                                   <stem>_ntk.png: NTK drift and top eigenvalues vs t when the file has /ntk;
                                   <stem>_compare.png when it has /compare: mean R (∫R dV / Vol) of the network
                                   and of the reference Ricci flow vs t, and the deviations (d max/mean, d of g₀, W₂ of R)
  ricci_flow         (nmflow run)  <stem>_scalar.png: R at the probes vs t (band, mean, closed form, extinction
                                   time) and the invariants Vol, ∫R dV, ∫R² dV; <stem>_metric.png: g_ij at three
                                   probes vs t
  local_ricci_check  (nmflow run, nmflow check local-ricci)  <stem>_ladder.png: NN flow vs Ricci flow, max
                                   deviation vs width per case, with the tolerances and fitted exponents;
                                   <stem>_ladder_ntk.png: NTK drift and non-local mass vs width;
                                   <stem>_deviation_vs_time.png when the file has per-rung `times`/`deviations`
  ntk                (nmflow ntk -o)  <stem>_spectrum.png: eigenvalues of Θ(x, x) (top ones marked; the frozen
                                   kernel's when present); <stem>_locality.png: ‖Θ_bb'‖_F of the point blocks;
                                   <stem>_methods.png: time per method; <stem>_drift.png when `drift/*` is present
  cy_metric          (nmflow run, Calabi–Yau)  <stem>_sigma.png: σ, κ and training loss vs epoch;
                                   <stem>_sigma_hist.png: weighted histogram of |1 − η/κ| on the validation points
  cy_free_metric     (nmflow run, free CY metric)  as cy_metric, with L_K and L_T vs epoch in <stem>_sigma.png
  donaldson          (nmflow run, balanced metrics)  <stem>_sigma_vs_k.png: σ_k vs k with the 1/k² guide
  cy_width_ladder    (nmflow run, the width ladder)  <stem>_ladder.png: the four panels of
                                   tools/plot_width_ladder.py (σ and NTK drift vs width, σ vs drift, σ vs epoch)

Prints the paths of the PNGs written. DIR defaults to the file's folder. A file of another kind is an error (exit 1,
one line on stderr naming the kinds this script knows).
"""
import argparse
import pathlib
import sys

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt  # noqa: E402
from plot_width_ladder import ladder_figure, read_runs  # noqa: E402  (the script's folder is on sys.path)


def fail(message):
    sys.exit(f"plot_run: {message}")


def text_attr(f, name, default="?"):
    value = f.attrs.get(name, default)
    return value.decode() if isinstance(value, bytes) else str(value)


def save(fig, out, stem, what):
    path = out / f"{stem}_{what}.png"
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def records(f, group, last):
    """Length of an extendible record group: that of its dataset written last in each record."""
    return f[f"{group}/{last}"].shape[0]


# --- real_metric_flow -------------------------------------------------------------------------------------------

def plot_real_metric_flow(f, path, out):
    if "trajectory/step" not in f:
        fail(f"{path} has no trajectory/step: not a complete `nmflow run` file (docs/hdf5.md, Trajectories)")
    n = records(f, "trajectory", "step")  # records are complete up to trajectory/step's length
    t = f["trajectory/time"][:n, 0]
    loss = f["trajectory/loss"][:n, 0]
    terms = {name: f[f"trajectory/terms/{name}"][:n, 0] for name in f["trajectory/terms"]}
    scalar = f["trajectory/scalar"][:n]
    scalar0 = f["initial/scalar"][:]
    title = f"{text_attr(f, 'manifold')} · {text_attr(f, 'loss')} · {text_attr(f, 'optimizer')}"

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogy(t, abs(loss), label="|loss|", lw=2)
    for name, values in terms.items():
        if (abs(values) > 0).all():
            ax.semilogy(t, abs(values), label=name, lw=1)
    ax.set_xlabel("flow time t = Σ η")
    ax.set_ylabel("value (log scale)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    loss_png = save(fig, out, path.stem, "loss")

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.fill_between(t, scalar.min(axis=1), scalar.max(axis=1), alpha=0.3, label="min–max over probes")
    ax1.plot(t, scalar.mean(axis=1), lw=2, label="mean")
    ax1.axhline(scalar0.mean(), color="grey", ls=":", label="mean at t = 0")
    ax1.set_xlabel("flow time t")
    ax1.set_ylabel("scalar curvature R")
    ax1.legend(fontsize=8)
    spread = scalar.max(axis=1) - scalar.min(axis=1)
    ax2.semilogy(t, spread, lw=2)
    ax2.set_xlabel("flow time t")
    ax2.set_ylabel("max R − min R over probes")
    fig.suptitle(title)
    pngs = [loss_png, save(fig, out, path.stem, "scalar")]
    if "ntk/step" in f:
        pngs.append(plot_run_ntk(f, path, out, title))
    if "compare/step" in f:
        pngs.append(plot_run_compare(f, path, out, title))
    return pngs


def plot_run_compare(f, path, out, title):
    c = records(f, "compare", "step")  # rows are complete up to compare/step's length
    t = f["compare/time"][:c, 0]
    mean_r = f["compare/total_scalar"][:c, 0] / f["compare/volume"][:c, 0]
    mean_r_ref = f["compare/total_scalar_reference"][:c, 0] / f["compare/volume_reference"][:c, 0]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(t, mean_r, "o-", lw=2, label="network (Monte-Carlo ∫R dV / Vol)")
    ax1.plot(t, mean_r_ref, "s--", lw=2, label="Ricci flow from the same g₀")
    extinction = float(f["compare"].attrs.get("extinction_time", np.nan))
    if np.isfinite(extinction) and extinction <= 1.2 * t[-1]:
        ax1.axvline(extinction, color="grey", ls=":", label="reference extinction")
    ax1.set_xlabel("flow time t")
    ax1.set_ylabel("mean scalar curvature")
    ax1.legend(fontsize=8)
    for name, label in (("deviation_max", "d(g, g_ref) max over probes"),
                        ("deviation_mean", "d(g, g_ref) mean over probes"),
                        ("reference_drift_max", "d(g₀, g_ref) max: a network that does not move"),
                        ("scalar_w2", "W₂ of R (dV-weighted)")):
        values = f[f"compare/{name}"][:c, 0]
        shown = np.isfinite(values) & (values > 0)
        ax2.semilogy(t[shown], values[shown], "o-", lw=1.5, label=label)
    ax2.set_xlabel("flow time t")
    ax2.set_ylabel("deviation from Ricci flow (log scale)")
    ax2.legend(fontsize=8)
    fig.suptitle(f"{title} vs {text_attr(f['compare'], 'reference')}")
    return save(fig, out, path.stem, "compare")


def plot_run_ntk(f, path, out, title):
    m = records(f, "ntk", "step")  # rows are complete up to ntk/step's length
    t = f["ntk/flow_time"][:m]
    drift = f["ntk/relative_drift"][:m]
    eig = f["ntk/top_eigenvalues"][:m]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(t, drift, "o-", lw=2)
    ax1.set_xlabel("flow time t")
    ax1.set_ylabel("NTK drift ‖Θ_t − Θ_0‖_F / ‖Θ_0‖_F")
    for i in range(eig.shape[1]):
        ax2.semilogy(t, eig[:, i], "o-", lw=1, label=f"λ_{i + 1}")
    ax2.set_xlabel("flow time t")
    ax2.set_ylabel("top eigenvalues of Θ_t (log scale)")
    ax2.legend(fontsize=8)
    fig.suptitle(title)
    return save(fig, out, path.stem, "ntk")


# --- ricci_flow -------------------------------------------------------------------------------------------------

def plot_ricci_flow(f, path, out):
    if "trajectory/step" not in f:
        fail(f"{path} has no trajectory/step: the run wrote no record (docs/hdf5.md, Reference Ricci-flow runs)")
    n = records(f, "trajectory", "step")
    t = np.concatenate([[0.0], f["trajectory/time"][:n, 0]])
    scalar = np.concatenate([f["initial/scalar"][:][None, :], f["trajectory/scalar"][:n]])  # [n + 1, P]
    g = np.concatenate([f["initial/g"][:][None], f["trajectory/g"][:n]])  # [n + 1, P, d, d]
    title = f"reference Ricci flow: {text_attr(f, 'family')} ({text_attr(f, 'gauge')} gauge)"
    extinction = f.attrs.get("extinction_time")

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.fill_between(t, scalar.min(axis=1), scalar.max(axis=1), alpha=0.3, label="min–max over probes")
    ax1.plot(t, scalar.mean(axis=1), lw=2, label="mean over probes")
    if "closed_form/scalar" in f:
        ax1.plot(t[1:], f["closed_form/scalar"][:n, 0], "k.", label="closed form")
    if extinction is not None:
        ax1.axvline(float(extinction), color="grey", ls=":", label=f"extinction t = {float(extinction):.6g}")
    ax1.set_xlabel("flow time t")
    ax1.set_ylabel("scalar curvature R")
    ax1.legend(fontsize=8)
    invariants = [name for name in ("volume", "total_scalar", "total_scalar_squared") if f"trajectory/terms/{name}" in f]
    if invariants:
        for name in invariants:
            ax2.plot(t[1:], f[f"trajectory/terms/{name}"][:n, 0], "o-", lw=1, label=name)
        ax2.set_yscale("symlog", linthresh=1e-3)  # ∫R dV may be 0 (Gauss–Bonnet on T²) or negative
        ax2.set_ylabel("∫ dV, ∫ R dV, ∫ R² dV (symlog)")
        ax2.legend(fontsize=8)
    else:
        ax2.plot(t, scalar.max(axis=1) - scalar.min(axis=1), lw=2)
        ax2.set_ylabel("max R − min R over probes")
    ax2.set_xlabel("flow time t")
    fig.suptitle(title)
    pngs = [save(fig, out, path.stem, "scalar")]

    d = g.shape[-1]
    fig, axes = plt.subplots(1, min(3, g.shape[1]), figsize=(12, 4), squeeze=False)
    for p, ax in enumerate(axes[0]):
        for i in range(d):
            for j in range(i, d):
                ax.plot(t, g[:, p, i, j], lw=1.5 if i == j else 1, ls="-" if i == j else "--", label=f"g_{i}{j}")
        ax.set_xlabel("flow time t")
        ax.set_title(f"probe {p}", fontsize=9)
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel("metric components at the probe (chart)")
    fig.suptitle(title)
    pngs.append(save(fig, out, path.stem, "metric"))
    return pngs


# --- local_ricci_check ------------------------------------------------------------------------------------------

def ladder_variable(width, bandwidth):
    """What a case's rungs vary: 'bandwidth' when it changes (the width may grow with it), else 'width'."""
    if len(np.unique(bandwidth)) > 1:
        return "bandwidth"
    return "width" if len(np.unique(width)) > 1 else None


def plot_local_ricci(f, path, out):
    names = text_attr(f, "case_names").split(",")
    case = f["case"][:]  # rows are complete up to case's length (a killed run may have written more of the others)
    n = len(case)
    columns = {"width": f["width"][:n], "bandwidth": f["bandwidth"][:n]}
    deviation = f["max_relative_deviation"][:n]
    # tolerance_<ladder> attributes, one label per value ("round_s3, berger_s3 0.02")
    tolerances = {}
    for name, value in f.attrs.items():
        if name.startswith("tolerance_"):
            tolerances.setdefault(float(value), []).append(name[len("tolerance_"):])
    final_time = np.unique(f["final_time"][:n])
    title = (f"local-flow Ricci recovery: NN flow vs Ricci flow to t = {', '.join(f'{t:g}' for t in final_time)}"
             f" ({'passed' if f.attrs.get('passed', 0) else 'FAILED'})")
    cases = [(k, name, case == k) for k, name in enumerate(names) if (case == k).any()]
    # The x axis of each case: its ladder's variable; a single-row case (a control) takes that of the longest
    # laddered case its name extends (berger_s3_flat_kernel → berger_s3), else width.
    ladders = {name: ladder_variable(columns["width"][rows], columns["bandwidth"][rows]) for _, name, rows in cases}
    axis_of = {}
    for name, variable in ladders.items():
        parents = [p for p, v in ladders.items() if v is not None and name.startswith(p)]
        axis_of[name] = variable or (ladders[max(parents, key=len)] if parents else "width")
    variables = sorted(set(axis_of.values()), reverse=True)  # width first

    def ladder_figure(quantities, what):
        fig, axes = plt.subplots(len(quantities), len(variables), figsize=(5.5 * len(variables), 3.8 * len(quantities)),
                                 squeeze=False)
        for column, variable in enumerate(variables):
            for row, (label, values, log, with_tolerance) in enumerate(quantities):
                ax = axes[row][column]
                for k, name, rows in cases:
                    if axis_of[name] != variable:
                        continue
                    exponent = f.attrs.get(f"exponent_{name}")
                    legend = name if exponent is None or row > 0 else f"{name} (∝ {variable}^{float(exponent):.2f})"
                    ax.plot(columns[variable][rows], values[rows], "o-" if rows.sum() > 1 else "s", label=legend)
                if with_tolerance:
                    for value, ladders in tolerances.items():
                        ax.axhline(value, color="grey", ls=":", lw=1)
                        ax.annotate(f"{', '.join(ladders)} {value:g}", (0.01, value),
                                    xycoords=("axes fraction", "data"), fontsize=7, color="grey", va="bottom")
                ax.set_xscale("log")
                if log:
                    ax.set_yscale("log")
                ax.set_xlabel(variable)
                ax.set_ylabel(label)
                ax.legend(fontsize=7)
        fig.suptitle(title, fontsize=9)
        return save(fig, out, path.stem, what)

    pngs = [ladder_figure([("max deviation from Ricci flow", deviation, True, True)], "ladder")]
    pngs.append(ladder_figure([("NTK drift ‖Θ_T − Θ_0‖_F / ‖Θ_0‖_F", f["ntk_drift"][:n], True, False),
                               ("non-local mass of Θ_0", f["nonlocal_mass"][:n], False, False)], "ladder_ntk"))

    if "times" in f and "deviations" in f:  # per-rung deviation at each comparison time: [rows, T]
        times = f["times"][:n]
        deviations = f["deviations"][:n]
        fig, ax = plt.subplots(figsize=(6.5, 4.5))
        for r in range(len(case)):
            ax.semilogy(times[r], deviations[r], "o-", lw=1,
                        label=f"{names[case[r]]}, width {columns['width'][r]}, bandwidth {columns['bandwidth'][r]:g}")
        ax.set_xlabel("flow time t")
        ax.set_ylabel("deviation from Ricci flow")
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=7)
        pngs.append(save(fig, out, path.stem, "deviation_vs_time"))
    return pngs


# --- ntk --------------------------------------------------------------------------------------------------------

def plot_ntk(f, path, out):
    theta = f["theta"][:]
    top = f["eigenvalues"][:]
    p = int(f.attrs["components"])
    b = theta.shape[0] // p
    title = (f"metric-NTK of {text_attr(f, 'manifold')}: {text_attr(f, 'head')} head, hidden [{text_attr(f, 'hidden')}]"
             f" {text_attr(f, 'activation')}, {b} points")

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    spectrum = np.sort(np.linalg.eigvalsh((theta + theta.T) / 2))[::-1]
    floor = spectrum[0] * 1e-16  # rounding level of a float64 eigensolver
    ax.semilogy(np.arange(1, len(spectrum) + 1), np.clip(spectrum, floor, None), lw=1.5,
                label=f"Θ ({text_attr(f, 'reference_method')})")
    ax.semilogy(np.arange(1, len(top) + 1), top, "o", ms=4, label=f"top {len(top)}")
    if "frozen/theta" in f:
        frozen = f["frozen/theta"][:]
        frozen_spectrum = np.sort(np.linalg.eigvalsh((frozen + frozen.T) / 2))[::-1]
        gap = float(f.attrs.get("frozen_relative_gap", np.nan))
        ax.semilogy(np.arange(1, len(frozen_spectrum) + 1), np.clip(frozen_spectrum, floor, None), "--", lw=1.5,
                    label=f"Θ∞ (infinite width; gap {gap:.3g})")
    ax.set_xlabel("index (descending)")
    ax.set_ylabel("eigenvalue (clipped at 1e-16 × the largest)")
    ax.set_ylim(bottom=floor / 3)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    pngs = [save(fig, out, path.stem, "spectrum")]

    blocks = np.sqrt((theta.reshape(b, p, b, p) ** 2).sum(axis=(1, 3)))  # ‖Θ_bb'‖_F of each pair of points
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    image = ax.imshow(blocks, cmap="viridis")
    fig.colorbar(image, ax=ax, label="‖Θ_bb'‖_F")
    ax.set_xlabel("point b'")
    ax.set_ylabel("point b")
    ax.set_title(f"point blocks; non-local mass {float(f.attrs.get('nonlocal_mass', np.nan)):.3f}", fontsize=9)
    pngs.append(save(fig, out, path.stem, "locality"))

    names = f["methods"].attrs["names"]
    names = (names.decode() if isinstance(names, bytes) else str(names)).split(",")
    seconds = f["methods/seconds"][:]
    difference = f["methods/max_relative_difference"][:]
    fig, ax = plt.subplots(figsize=(6.5, 0.6 * len(names) + 1.5))
    ax.barh(names, seconds)
    for k in range(len(names)):
        ax.text(seconds[k], k, f" {seconds[k]:.3g} s, Δ {difference[k]:.1e}", va="center", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("seconds (Δ: max relative difference to the reference)")
    ax.set_title(f"NTK methods on [{theta.shape[0]}, {theta.shape[1]}]", fontsize=9)
    ax.set_xlim(seconds.min() / 2, seconds.max() * 30)
    pngs.append(save(fig, out, path.stem, "methods"))

    if "drift/time" in f and "drift/relative_drift" in f:
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(f["drift/time"][:].ravel(), f["drift/relative_drift"][:].ravel(), "o-")
        ax.set_xlabel("flow time t")
        ax.set_ylabel("‖Θ_t − Θ_0‖_F / ‖Θ_0‖_F")
        ax.set_title(title, fontsize=9)
        pngs.append(save(fig, out, path.stem, "drift"))
    return pngs


# --- cy_metric --------------------------------------------------------------------------------------------------

def plot_cy_metric(f, path, out):
    if "epochs/epoch" not in f:
        fail(f"{path} has no epochs/epoch: not a Calabi–Yau `nmflow run` file (docs/hdf5.md)")
    n = records(f, "epochs", "epoch")  # `epoch` is written last in each record
    epoch = f["epochs/epoch"][:n, 0]
    sigma = f["epochs/sigma"][:n, 0]
    kappa = f["epochs/kappa"][:n, 0]
    loss = f["epochs/train_loss"][:n, 0]
    title = f"{text_attr(f, 'hypersurface', text_attr(f, 'variety'))} · {text_attr(f, 'optimizer')}"

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.semilogy(epoch, sigma, "o-", lw=2, label="σ (validation)")
    ax1.semilogy(epoch, np.abs(loss), "s-", lw=1, label="|training loss|")
    if "epochs/kahler" in f:  # cy_free_metric: L_K and L_T, where above rounding (at g_FS they are ~1e-33)
        for name, label in (("kahler", "L_K (validation)"), ("transition", "L_T (validation)")):
            values = f[f"epochs/{name}"][:n, 0]
            shown = values > 1e-25
            ax1.semilogy(epoch[shown], values[shown], "^-", lw=1, label=label)
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("value (log scale)")
    ax1.legend(fontsize=8)
    ax2.plot(epoch, kappa, "o-")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("κ = Vol_K / Vol_CY")
    fig.suptitle(title)
    pngs = [save(fig, out, path.stem, "sigma")]

    if "final/validation/eta_ratio" in f:
        ratio = f["final/validation/eta_ratio"][:]
        weights = f["final/validation/weights"][:]
        deviation = np.abs(1.0 - ratio)
        sigma_final = (weights * deviation).sum() / weights.sum()  # σ = mean(w |1 − η/κ|) / mean(w)
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.hist(deviation, bins=60, weights=weights / weights.sum(), alpha=0.8)
        ax.axvline(sigma_final, color="k", ls="--", label=f"σ = {sigma_final:.4g}")
        ax.set_xlabel("|1 − η Vol_CY / Vol_K| on the validation points")
        ax.set_ylabel("weighted fraction of points")
        ax.set_title(title)
        ax.legend(fontsize=8)
        pngs.append(save(fig, out, path.stem, "sigma_hist"))
    return pngs


# --- donaldson --------------------------------------------------------------------------------------------------

def plot_donaldson(f, path, out):
    n = records(f, "donaldson", "k")  # `k` is written last in each record
    k = f["donaldson/k"][:n, 0]
    sigma = f["donaldson/sigma"][:n, 0]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogy(k, sigma, "o-", lw=2, label="σ_k (balanced metric)")
    if n:
        ax.semilogy(k, sigma[0] * (k[0] / k) ** 2, ":", color="grey", label="∝ 1/k²")
    if "sigma_fs" in f.attrs:
        ax.axhline(float(f.attrs["sigma_fs"]), color="grey", ls="--", label="Fubini–Study")
    ax.set_xlabel("degree k")
    ax.set_ylabel("σ")
    ax.set_title(f"Donaldson balanced metrics on {text_attr(f, 'hypersurface', text_attr(f, 'variety'))}")
    ax.legend(fontsize=8)
    return [save(fig, out, path.stem, "sigma_vs_k")]


# --- cy_width_ladder ------------------------------------------------------------------------------------------

def plot_cy_width_ladder(f, path, out):
    runs, meta = [], {}
    read_runs(f, runs, meta)
    if not runs:
        fail(f"{path}: the ladder has no finished run yet; nothing to plot")
    return [save(ladder_figure(runs, meta), out, path.stem, "ladder")]


PLOTTERS = {
    "real_metric_flow": plot_real_metric_flow,
    "local_ricci_check": plot_local_ricci,
    "ntk": plot_ntk,
    "cy_metric": plot_cy_metric,
    "donaldson": plot_donaldson,
    "cy_free_metric": plot_cy_metric,
    "cy_width_ladder": plot_cy_width_ladder,
    "ricci_flow": plot_ricci_flow,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=pathlib.Path)
    parser.add_argument("--out", type=pathlib.Path, default=None)
    args = parser.parse_args()
    if not args.file.is_file():
        fail(f"no such file: {args.file}")
    out = args.out or args.file.parent
    out.mkdir(parents=True, exist_ok=True)
    try:
        f = h5py.File(args.file, "r")
    except OSError as e:
        fail(f"{args.file}: not a readable HDF5 file ({e})")
    with f:
        kind = text_attr(f, "kind", None) if "kind" in f.attrs else None
        allowed = ", ".join(PLOTTERS)
        if kind is None:
            fail(f"{args.file} has no root attribute 'kind': not an nmflow output file; plotted kinds: {allowed}")
        if kind not in PLOTTERS:
            fail(f"{args.file}: unknown kind '{kind}'; plotted kinds: {allowed}")
        status = text_attr(f, "status", None) if "status" in f.attrs else None
        if status == "failed":
            # A failed run keeps the records written before the failure (docs/hdf5.md, "Run status"): plot those,
            # and say why the run ended; a run that failed before its first record has nothing to plot.
            failure = text_attr(f, "failure", "no message recorded") if "failure" in f.attrs else "no message recorded"
            print(f"plot_run: {args.file}: the run failed: {failure}", file=sys.stderr)
            if kind == "real_metric_flow" and "trajectory/step" not in f:
                fail(f"{args.file}: the run failed before its first record; nothing to plot")
        for png in PLOTTERS[kind](f, args.file, out):
            print(png)


if __name__ == "__main__":
    main()
