#!/usr/bin/env python3
"""Plots of an `nmflow run` trajectory file (layout: docs/hdf5.md, "Trajectories").

    python tools/plot_run.py RUN.h5 [--out DIR]

Writes DIR/<stem>_loss.png (loss and its terms vs flow time t) and DIR/<stem>_scalar.png (scalar curvature at the
probe points vs t: min/mean/max band and the spread), and prints their paths. DIR defaults to the file's folder.
"""
import argparse
import pathlib
import sys

import h5py
import matplotlib

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt  # noqa: E402


def read_trajectory(path):
    with h5py.File(path, "r") as f:
        if "trajectory/step" not in f:
            sys.exit(f"plot_run: {path} has no trajectory/step: not an `nmflow run` file (docs/hdf5.md)")
        # Records are complete up to trajectory/step's length (written last in each record).
        n = f["trajectory/step"].shape[0]
        t = f["trajectory/time"][:n, 0]
        loss = f["trajectory/loss"][:n, 0]
        terms = {name: f[f"trajectory/terms/{name}"][:n, 0] for name in f["trajectory/terms"]}
        scalar = f["trajectory/scalar"][:n]
        scalar0 = f["initial/scalar"][:]
        title = f"{f.attrs.get('manifold', '?')} · {f.attrs.get('loss', '?')} · {f.attrs.get('optimizer', '?')}"
    return t, loss, terms, scalar, scalar0, title


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=pathlib.Path)
    parser.add_argument("--out", type=pathlib.Path, default=None)
    args = parser.parse_args()
    if not args.file.is_file():
        sys.exit(f"plot_run: no such file: {args.file}")
    out = args.out or args.file.parent
    out.mkdir(parents=True, exist_ok=True)
    t, loss, terms, scalar, scalar0, title = read_trajectory(args.file)

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogy(t, abs(loss), label="|loss|", lw=2)
    for name, values in terms.items():
        if (abs(values) > 0).all():
            ax.semilogy(t, abs(values), label=name, lw=1)
    ax.set_xlabel("flow time t = Σ η")
    ax.set_ylabel("value (log scale)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    loss_png = out / f"{args.file.stem}_loss.png"
    fig.savefig(loss_png, dpi=120)

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
    fig.tight_layout()
    scalar_png = out / f"{args.file.stem}_scalar.png"
    fig.savefig(scalar_png, dpi=120)
    print(loss_png)
    print(scalar_png)


if __name__ == "__main__":
    main()
