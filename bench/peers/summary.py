"""Summary of one bench/peers/run: the ratio table (nmflow speed-up over each peer, against the issue's targets)
and the agreement checks, printed as Markdown; the run's metadata goes to results/run.json."""
import argparse
import json
import math
import os
import statistics


def load(results, name):
    path = os.path.join(results, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def fmt(seconds):
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def describe_sigma(values):
    """σ over shuffle seeds: the mean ± sample standard deviation and the count, or the one value."""
    if len(values) == 1:
        return f"{values[0]:.4f}"
    return f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f} ({len(values)} seeds)"


def difference_error(a, b):
    """Standard error of mean(a) − mean(b) for independent samples (0 when either has a single value)."""
    if len(a) < 2 or len(b) < 2:
        return 0.0
    return math.sqrt(statistics.variance(a) / len(a) + statistics.variance(b) / len(b))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    for key in ["command", "start", "load-before", "load-after", "cpu", "commit", "quick", "threads"]:
        parser.add_argument("--" + key, default="")
    args = parser.parse_args()
    run = {k: getattr(args, k.replace("-", "_")) for k in
           ["command", "start", "load_before", "load_after", "cpu", "commit", "quick", "threads"]}
    rows = []  # (case, nmflow, peer, ratio, target, accuracy condition met)
    agree = []
    curvature = load(args.results, "curvature")
    if curvature:
        for r in curvature["rows"]:
            rows.append((f"curvature n={r['n']} ({r['points']} pts)", fmt(r["nmflow"]["seconds_median"]),
                         f"JAX jacfwd(jacfwd) {fmt(r['peer_seconds_median'])}", r["ratio"], 5.0, True))
            rows.append((f"curvature n={r['n']}, nmflow's jet + fused_curvature on the whole batch at once",
                         fmt(r["nmflow"]["whole_batch_seconds_median"]), f"(same) {fmt(r['peer_seconds_median'])}",
                         r["ratio_whole_batch"], 5.0, True))
            a = r["agreement"]
            agree.append(f"curvature n={r['n']}: Ricci max rel err {a['ricci_max_rel_error']:.1e}, "
                         f"scalar {a['scalar_max_rel_error']:.1e}")
    cy = load(args.results, "cy")
    if cy:
        n = cy["nmflow"]
        ours_sigma = n.get("sigma_final_by_seed", [n["sigma_final"]])
        peer_sigma = cy.get("peer_sigma_final_by_seed", [cy["peer_sigma_final"]])
        # "At equal or better σ": nmflow's mean over shuffle seeds at most the peer's plus the standard error of
        # the difference of the two means (equal within the minibatch-order noise), or lower.
        sigma_ok = statistics.mean(ours_sigma) <= statistics.mean(peer_sigma) + difference_error(ours_sigma, peer_sigma)
        rows.append((f"CY epoch ({cy['train']} pts, batch {cy['batch']}, {cy['epochs']} epochs)",
                     f"{fmt(n['seconds_per_epoch'])}/epoch, σ {describe_sigma(ours_sigma)}",
                     f"MLGeometry-jax {fmt(cy['peer_seconds_per_epoch'])}/epoch, σ {describe_sigma(peer_sigma)}",
                     cy["ratio"], 3.0, sigma_ok))
        a = cy["agreement"]
        agree.append(f"CY: η of nmflow's trained weights by MLGeometry max rel err "
                     f"{a['eta_of_nmflow_trained_weights_max_rel_error']:.1e}; σ {a['sigma_of_nmflow_trained_weights_peer']:.6f}"
                     f" (peer) vs {a['sigma_of_nmflow_trained_weights_nmflow']:.6f} (nmflow); weights: mass/w constant to "
                     f"{a['mass_over_weights_rel_spread']:.1e}; |Ω|² rel err {a['omega_sq_max_rel_error']:.1e}; σ_FS "
                     f"{a['sigma_initial_peer_vs_nmflow'][0]:.6f} vs {a['sigma_initial_peer_vs_nmflow'][1]:.6f}")
    sampling = load(args.results, "sampling")
    if sampling:
        n = sampling["nmflow"]
        rows.append((f"sampling, with weights ({sampling['points']} pts)", f"{n['points_per_second'] / 1e3:.0f} k pts/s",
                     f"MLGeometry-jax {sampling['peer_points_per_second'] / 1e3:.1f} k pts/s", sampling["ratio"], 20.0, True))
        rows.append(("sampling, raw points", f"{n['raw_points_per_second'] / 1e3:.0f} k pts/s",
                     f"MLGeometry-jax {sampling['peer_raw_points_per_second'] / 1e3:.1f} k pts/s",
                     sampling["ratio_raw"], 20.0, True))
        a = sampling["agreement"]
        agree.append(f"sampling: σ_FS {a['sigma_fs_nmflow']:.4f} (nmflow points) vs {a['sigma_fs_peer']:.4f} (peer points)")
    ntk = load(args.results, "ntk")
    if ntk:
        n = ntk["nmflow"]
        best = ntk["implementations"][ntk["peer_best"]]
        others = ", ".join(f"{k.lower()} {fmt(v['seconds_median'])}" for k, v in ntk["implementations"].items())
        rows.append((f"empirical NTK ({ntk['points']} pts, p = {ntk['outputs']})",
                     f"{n['best_method']} {fmt(n['seconds_best'])}",
                     f"neural-tangents {ntk['peer_best'].lower()} {fmt(best['seconds_median'])} ({others})",
                     ntk["ratio"], 2.0, True))
        agree.append("NTK: " + ", ".join(f"{k.replace('max_rel_error_', '').lower()} max rel err {v:.1e}"
                                         for k, v in ntk["agreement"].items()))
    threads = run["threads"] or "1"
    print(f"Peers run {run['start']} ({'quick' if run['quick'] == '1' else 'full'}), commit {run['commit']}, "
          f"{run['cpu']}, {threads} thread{'' if threads == '1' else 's'} on each side; "
          f"load before {run['load_before']}, after {run['load_after']}")
    print()
    print("| case | nmflow | peer | nmflow speed-up | target | met |")
    print("|---|---|---|---|---|---|")
    for case, ours, peer, ratio, target, accurate in rows:
        met = "yes" if ratio >= target and accurate else ("no (σ)" if ratio >= target else "no")
        print(f"| {case} | {ours} | {peer} | {ratio:.2f}× | ≥ {target:g}× | {met} |")
    print()
    for line in agree:
        print("- " + line)
    with open(os.path.join(args.results, "run.json"), "w") as f:
        json.dump(run, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
