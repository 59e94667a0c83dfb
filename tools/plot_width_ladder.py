#!/usr/bin/env python3
"""Plots of the Halverson–Ruehle width ladder (`nmflow run`, kind cy_width_ladder; layout in docs/hdf5.md).

    .venv/bin/python tools/plot_width_ladder.py LADDER.h5 [MORE.h5 ...] --out docs/images/width_ladder.png

Runs of all files are pooled (e.g. one file per batch of seeds). One figure, four panels:
  (a) σ reached (held-out, last epoch) vs width per regime, every seed a point, the seed mean a line, σ_FS dashed;
  (b) metric-NTK drift ‖Θ_T − Θ_0‖_F/‖Θ_0‖_F vs width for the trained networks, with a width^{-1/2} guide;
  (c) σ reached vs metric-NTK drift (the HR comparison), marker size growing with width;
  (d) σ vs epoch under Adam, the lowest seed of each width (networks solid, linearised models dashed).
Prints the path of the PNG written.
"""
import argparse
import collections
import pathlib
import sys

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt  # noqa: E402

COLOURS = {"adam": "C0", "sgd": "C1", "linearised_adam": "C2", "linearised_sgd": "C3"}


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def read_runs(f, runs, meta):
    """Appends the runs of one open ladder file to `runs` and fills `meta` from the first file read."""
    # `hypersurface` in files of nmflow run, `surface` in those of the former bench driver
    meta.setdefault("surface", text(f.attrs.get("hypersurface", f.attrs.get("surface", "?"))))
    meta.setdefault("train", int(f.attrs.get("train_points", 0)))
    ladder = f["ladder"].attrs
    meta.setdefault("depth", int(ladder["depth"]))
    meta.setdefault("init", text(ladder["init"]))
    count = int(ladder["runs"]) if "runs" in ladder else len(f["runs"])  # the runs a reader may trust
    for key in range(count):
        g = f["runs"][str(key)]
        runs.append({
            "width": int(g.attrs["width"]),
            "seed": int(g.attrs["seed"]),
            "regime": text(g.attrs["regime"]),
            "epoch": g["epoch"][:],
            "sigma": g["sigma"][:],
            "ntk_drift": g["ntk_drift"][:],
        })


def ladder_figure(runs, meta):
    """The four panels of the module docstring for `runs` (at least one)."""
    by_regime = collections.defaultdict(list)
    for run in runs:
        by_regime[run["regime"]].append(run)
    sigma_fs = runs[0]["sigma"][0]
    fig, axes = plt.subplots(2, 2, figsize=(11, 8.5))
    ax_sigma, ax_drift, ax_scatter, ax_curve = axes.ravel()
    for regime, group in by_regime.items():
        colour = COLOURS.get(regime, "k")
        widths = sorted({r["width"] for r in group})
        final = {w: [r["sigma"][-1] for r in group if r["width"] == w] for w in widths}
        for w in widths:
            ax_sigma.scatter([w] * len(final[w]), final[w], color=colour, s=14, alpha=0.6)
        ax_sigma.plot(widths, [np.mean(final[w]) for w in widths], color=colour, label=regime)
        if not regime.startswith("linearised"):
            drift = {w: [r["ntk_drift"][-1] for r in group if r["width"] == w] for w in widths}
            for w in widths:
                ax_drift.scatter([w] * len(drift[w]), drift[w], color=colour, s=14, alpha=0.6)
            ax_drift.plot(widths, [np.mean(drift[w]) for w in widths], color=colour, label=regime)
        for r in group:
            ax_scatter.scatter(max(r["ntk_drift"][-1], 1e-4), r["sigma"][-1], color=colour,
                               s=12 + 10 * np.log2(r["width"]), alpha=0.7)
    ax_sigma.axhline(sigma_fs, color="grey", ls="--", lw=1, label="σ_FS")
    ax_sigma.set(xscale="log", yscale="log", xlabel="width", ylabel="σ reached (held-out)",
                 title="(a) σ after the same budget")
    ax_sigma.legend(fontsize=8)
    w_all = np.array(sorted({r["width"] for r in runs}), dtype=float)
    ref = [r["ntk_drift"][-1] for r in runs if r["width"] == w_all[0] and not r["regime"].startswith("lin")]
    if ref:
        ax_drift.plot(w_all, np.mean(ref) * (w_all / w_all[0]) ** -0.5, "k:", lw=1, label="∝ width$^{-1/2}$")
    ax_drift.set(xscale="log", yscale="log", xlabel="width", ylabel="‖Θ_T − Θ_0‖/‖Θ_0‖ (probes)",
                 title="(b) metric-NTK drift (linearised: 0 by construction)")
    ax_drift.legend(fontsize=8)
    for regime, colour in COLOURS.items():
        if regime in by_regime:
            ax_scatter.scatter([], [], color=colour, label=regime)
    ax_scatter.set(xscale="log", yscale="log", xlabel="metric-NTK drift (linearised plotted at 1e-4)",
                   ylabel="σ reached", title="(c) σ vs NTK drift (marker size ~ log width)")
    ax_scatter.legend(fontsize=8)
    widths = sorted({r["width"] for r in runs})
    shades = {w: plt.cm.viridis(i / max(1, len(widths) - 1)) for i, w in enumerate(widths)}
    first_seed = {w: min(r["seed"] for r in runs if r["width"] == w) for w in widths}
    for r in runs:
        if r["seed"] != first_seed[r["width"]] or r["regime"] not in ("adam", "linearised_adam"):
            continue
        style = "--" if r["regime"].startswith("linearised") else "-"
        label = f"w={r['width']}" if style == "-" else None
        ax_curve.plot(r["epoch"], r["sigma"], style, color=shades[r["width"]], label=label)
    ax_curve.set(yscale="log", xlabel="epoch", ylabel="σ (held-out)",
                 title="(d) Adam, lowest seed per width: network vs linearised (--)")
    ax_curve.legend(fontsize=8)
    fig.suptitle(f"{meta['surface']}: φ-model, {meta['depth']} hidden layer(s), NTK parameterisation, "
                 f"{meta['init']} init, {meta['train']} training points")
    fig.tight_layout()
    return fig


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+")
    parser.add_argument("--out", default="width_ladder.png")
    args = parser.parse_args()
    runs, meta = [], {}
    for path in args.files:
        with h5py.File(path, "r") as f:
            read_runs(f, runs, meta)
    if not runs:
        sys.exit(f"plot_width_ladder: no finished runs in {', '.join(args.files)}")
    fig = ladder_figure(runs, meta)
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    print(out)


if __name__ == "__main__":
    main()
