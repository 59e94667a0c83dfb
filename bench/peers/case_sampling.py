"""Peer of case 3: Fermat-quintic points per second with MLGeometry-jax's sampler — Hypersurface(n_pairs) (random
lines, companion-matrix roots, Newton refinement, autopatch) plus generate_dataset (Ω Ω̄, restriction, mass), the
equivalent of nmflow's sample_cy_points — and its raw points alone (solve_points, sympy functions cached).
σ of Fubini–Study from each side's own points and weights checks both samplers (docs/design.md §6: ≈ 0.372).
Usage: case_sampling.py SCRATCH RESULTS points reps"""
import sys
import time

import numpy as np
import sympy as sp

import peers_common as pc

import MLGeometry as mlg  # noqa: E402

mlg.set_precision(64)


def sigma_fs(mass):
    """σ of g_FS: η = det g_FS/|Ω|² = c/mass, so σ follows from the mass alone (docs/design.md §3)."""
    eta = 1.0 / mass
    vol_cy, vol_k = np.mean(mass), np.mean(mass * eta)
    return float(np.mean(mass * np.abs(1.0 - eta * vol_cy / vol_k)) / vol_cy)


def main():
    scratch, results, points, reps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    coordinates = sp.symbols("z0:5")
    quintic = sum(c ** 5 for c in coordinates)
    pairs = points // 5
    np.random.seed(0)
    full, raw = [], []
    mass = None
    for _ in range(reps):
        start = time.perf_counter()
        surface = mlg.hypersurface.Hypersurface(coordinates, quintic, n_pairs=pairs)
        mass = np.asarray(mlg.dataset.generate_dataset(surface)["mass"])
        full.append(time.perf_counter() - start)
    cached = mlg.hypersurface.Hypersurface(coordinates, quintic, n_pairs=1)
    for _ in range(reps):
        start = time.perf_counter()
        cached.solve_points(pairs)
        raw.append(time.perf_counter() - start)
    nmflow = pc.load_nmflow(scratch, "sampling")
    peer_rate = 5 * pairs / pc.median(full)
    peer_raw_rate = 5 * pairs / pc.median(raw)
    pc.write_result(results, "sampling", {
        "case": "sampling",
        "target": "nmflow ≥ 20× the peers' samplers (points/s with weights)",
        "peer": "MLGeometry-jax 2.2.2 Hypersurface(n_pairs) + generate_dataset; raw: solve_points",
        "points": 5 * pairs,
        "peer_seconds": full,
        "peer_points_per_second": peer_rate,
        "peer_raw_seconds": raw,
        "peer_raw_points_per_second": peer_raw_rate,
        "nmflow": nmflow,
        "ratio": nmflow["points_per_second"] / peer_rate,
        "ratio_raw": nmflow["raw_points_per_second"] / peer_raw_rate,
        "agreement": {"sigma_fs_peer": sigma_fs(mass), "sigma_fs_nmflow": nmflow["sigma_fs"],
                      "note": "independent random points on each side: σ_FS must agree to Monte-Carlo error"},
    })


if __name__ == "__main__":
    main()
