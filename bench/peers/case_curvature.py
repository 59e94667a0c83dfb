"""Peer of case 1: Ricci tensor and scalar curvature of the 3×64 tanh metric g = I + P(f) at nmflow's points, by
JAX jacfwd(jacfwd) under jit and vmap (the pattern CYJAX and MLGeometry use for metric derivatives), then the
docs/design.md §2 formulas in einsum. Usage: case_curvature.py SCRATCH RESULTS n [n …] reps"""
import sys

import jax
import jax.numpy as jnp
import numpy as np

import peers_common as pc


def metric_fn(layers, n):
    """x: [n] → g: [n, n], g = I + P(f): packed upper triangle, weight 1 on the diagonal, 1/√2 off it."""
    index = np.zeros((n, n), dtype=np.int32)
    weight = np.full((n, n), 1.0 / np.sqrt(2.0))
    p = 0
    for i in range(n):
        for j in range(i, n):
            index[i, j] = index[j, i] = p
            p += 1
        weight[i, i] = 1.0
    index = jnp.asarray(index)
    weight = jnp.asarray(weight)

    def g(x):
        f = pc.mlp_apply(layers, x, jnp.tanh)
        return jnp.eye(n) + f[index] * weight
    return g


def curvature_fn(g):
    """x: [n] → (Ric [n, n], R). dg[i, j, c] = ∂_c g_ij, d2g[i, j, c, e] = ∂_c ∂_e g_ij."""
    dg_fn = jax.jacfwd(g)
    d2g_fn = jax.jacfwd(dg_fn)

    def curvature(x):
        metric, dg, d2g = g(x), dg_fn(x), d2g_fn(x)
        inv = jnp.linalg.inv(metric)
        # Γ_dab = ½(∂_a g_bd + ∂_b g_ad − ∂_d g_ab), Γ^c_ab = g^cd Γ_dab
        first = 0.5 * (jnp.einsum("bda->dab", dg) + jnp.einsum("adb->dab", dg) - jnp.einsum("abd->dab", dg))
        gamma = jnp.einsum("cd,dab->cab", inv, first)
        # ∂_e Γ^c_ab = −g^cp ∂_e g_pq Γ^q_ab + g^cd ∂_e Γ_dab
        dfirst = 0.5 * (jnp.einsum("bdae->edab", d2g) + jnp.einsum("adbe->edab", d2g)
                        - jnp.einsum("abde->edab", d2g))
        dgamma = (-jnp.einsum("cp,pqe,qab->ecab", inv, dg, gamma) + jnp.einsum("cd,edab->ecab", inv, dfirst))
        # R_bd = ∂_a Γ^a_db − ∂_d Γ^a_ab + Γ^a_ae Γ^e_db − Γ^a_de Γ^e_ab
        ricci = (jnp.einsum("aadb->bd", dgamma) - jnp.einsum("daab->bd", dgamma)
                 + jnp.einsum("aae,edb->bd", gamma, gamma) - jnp.einsum("ade,eab->bd", gamma, gamma))
        return ricci, jnp.einsum("bd,bd->", inv, ricci)
    return curvature


def run_n(scratch, n, reps):
    path = f"{scratch}/curvature_n{n}.h5"
    x = jnp.asarray(pc.read(path, "x"))
    layers = pc.read_mlp(path, "mlp")
    fn = jax.jit(jax.vmap(curvature_fn(metric_fn(layers, n))))
    ricci, scalar = fn(x)
    compile_seconds, seconds = pc.time_reps(lambda: jax.block_until_ready(fn(x)), reps)
    peer_time = pc.median(seconds)
    nmflow = pc.load_nmflow(scratch, f"curvature_n{n}")
    return {
        "n": n,
        "points": int(x.shape[0]),
        "peer": "JAX jit(vmap(jacfwd(jacfwd(g)))) + einsum Γ, ∂Γ, Ricci",
        "peer_seconds": seconds,
        "peer_seconds_median": peer_time,
        "peer_first_call_seconds": compile_seconds,
        "nmflow": nmflow,
        "ratio": peer_time / nmflow["seconds_median"],
        "ratio_whole_batch": peer_time / nmflow["whole_batch_seconds_median"],
        "agreement": {
            "ricci_max_rel_error": pc.relative_error(ricci, pc.read(path, "ricci")),
            "scalar_max_rel_error": pc.relative_error(scalar, pc.read(path, "scalar")),
        },
    }


def main():
    scratch, results = sys.argv[1], sys.argv[2]
    dims, reps = [int(a) for a in sys.argv[3:-1]], int(sys.argv[-1])
    rows = [run_n(scratch, n, reps) for n in dims]
    pc.write_result(results, "curvature", {
        "case": "curvature",
        "target": "nmflow ≥ 5× JAX (ratio = peer seconds / nmflow seconds)",
        "rows": rows,
    })


if __name__ == "__main__":
    main()
