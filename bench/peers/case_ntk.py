"""Peer of case 4: empirical NTK of the 3×64 tanh metric network at nmflow's points with neural-tangents'
empirical_ntk_fn, every implementation it offers (1 Jacobian contraction, 2 NTK-vector products, 3 structured
derivatives; AUTO is documented as unreliable on CPU), trace_axes=() so the kernel is the full
[B, B', p, p] = Σ_θ ∂g_P(x)/∂θ ∂g_Q(x')/∂θ, the same sum convention as nmflow. Usage: case_ntk.py SCRATCH RESULTS reps"""
import sys

import jax
import jax.numpy as jnp
import numpy as np

import peers_common as pc

BLOCK = 256  # points per row block of the peer's kernel

# neural-tangents 0.6.5's structured-derivatives path reads jax.interpreters.ad.source_info_util
# and .config, re-exports that jax removed in 0.4.26 (now jax.extend.source_info_util, jax.config); neural-tangents
# has no newer release. Restore the two aliases.
from jax.extend import source_info_util as _source_info_util  # noqa: E402
from jax.interpreters import ad as _ad  # noqa: E402
_ad.source_info_util = _source_info_util
_ad.config = jax.config

import neural_tangents as nt  # noqa: E402


def packed_metric_fn(scales, n):
    """f(params, x): [B, n] → [B, p], the packed metric components g_P = δ_P + w_P f_P (w = 1 diagonal, 1/√2 off)."""
    weight = jnp.asarray([1.0 if i == j else 1.0 / np.sqrt(2.0) for i in range(n) for j in range(i, n)])

    def f(params, x):
        layers = [(w, b, s_w, s_b) for (w, b), (s_w, s_b) in zip(params, scales)]
        return pc.mlp_apply(layers, x, jnp.tanh) * weight
    return f


def main():
    scratch, results, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    path = f"{scratch}/ntk.h5"
    nmflow = pc.load_nmflow(scratch, "ntk")
    x = jnp.asarray(pc.read(path, "x"))
    layers = pc.read_mlp(path, "mlp")
    params = [(w, b) for w, b, _, _ in layers]
    scales = [(s_w, s_b) for _, _, s_w, s_b in layers]
    n, batch = x.shape[1], x.shape[0]
    p = n * (n + 1) // 2
    compare = int(nmflow["compare_points"])
    reference = pc.read(path, "theta_rows")  # [compare·p, B·p]
    f = packed_metric_fn(scales, n)
    rows = {}
    # Row blocks of at most BLOCK points against all points (x1 ≠ x2): a single 1024-point call reached 10 GB
    # resident here, too much for this shared 24 GB machine.
    block = min(batch, BLOCK)
    for implementation in (nt.NtkImplementation.JACOBIAN_CONTRACTION, nt.NtkImplementation.NTK_VECTOR_PRODUCTS,
                           nt.NtkImplementation.STRUCTURED_DERIVATIVES):
        kernel_fn = jax.jit(nt.empirical_ntk_fn(f, trace_axes=(), vmap_axes=0, implementation=implementation))

        last = {}

        def full_kernel():
            if block == batch:
                last["blocks"] = [jax.block_until_ready(kernel_fn(x, None, params))]  # [B, B, p, p]
            else:
                last["blocks"] = [jax.block_until_ready(kernel_fn(x[i:i + block], x, params))
                                  for i in range(0, batch, block)]
        # Compile on one row block (all blocks share its shape), then time `reps` whole kernels.
        first = pc.seconds_of(lambda: jax.block_until_ready(kernel_fn(x[:block], x, params)))
        seconds = [pc.seconds_of(full_kernel) for _ in range(reps)]
        theta = last.pop("blocks")[0]  # the first row block, [block, B, p, p]
        compared = np.asarray(theta[:compare]).transpose(0, 2, 1, 3).reshape(compare * p, batch * p)
        rows[implementation.name] = {
            "seconds": seconds,
            "seconds_median": pc.median(seconds),
            "compile_and_first_block_seconds": first,
            "max_rel_error_vs_nmflow": pc.relative_error(compared, reference),
        }
        del theta
    best = min(rows, key=lambda k: rows[k]["seconds_median"])
    pc.write_result(results, "ntk", {
        "case": "ntk",
        "target": "nmflow ≥ 2× neural-tangents' fastest implementation",
        "peer": "neural-tangents 0.6.5 empirical_ntk_fn(trace_axes=(), vmap_axes=0), jit",
        "points": int(batch), "n": int(n), "outputs": p, "row_block": block,
        "implementations": rows,
        "peer_best": best,
        "nmflow": nmflow,
        "ratio": rows[best]["seconds_median"] / nmflow["seconds_best"],
        "agreement": {"max_rel_error_" + k: v["max_rel_error_vs_nmflow"] for k, v in rows.items()},
    })


if __name__ == "__main__":
    main()
