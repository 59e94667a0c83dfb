"""Shared helpers of the peer case scripts (bench/peers/run): float64 JAX, reading nmflow's HDF5 inputs, the
3×64 MLP rebuilt from nmflow's weights, timing, and the result JSON that joins both sides."""
import json
import os
import platform
import statistics
import time

import jax

jax.config.update("jax_enable_x64", True)  # every case is float64 on both sides

import h5py  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402


def read(path, name):
    """A dataset written by nmflow's Hdf5File: complex tensors carry a trailing (re, im) axis and nmflow_complex."""
    with h5py.File(path, "r") as f:
        data = f[name]
        array = data[()]
        if data.attrs.get("nmflow_complex", 0) == 1:
            array = array[..., 0] + 1j * array[..., 1]
        return array


def read_mlp(path, group):
    """[(W [out, in], b [out], s_w, s_b)] of an nmflow Mlp: layer l computes z = s_w W h + s_b b."""
    scales = read(path, group + "/scales")
    return [(jnp.asarray(read(path, f"{group}/W{l}")), jnp.asarray(read(path, f"{group}/b{l}")),
             float(scales[l, 0]), float(scales[l, 1])) for l in range(scales.shape[0])]


def mlp_apply(layers, h, activation):
    """h: [..., n_in] → [..., n_out]; activation after every layer but the last (as nmflow's Mlp)."""
    for l, (w, b, s_w, s_b) in enumerate(layers):
        h = s_w * h @ w.T + s_b * b
        if l + 1 < len(layers):
            h = activation(h)
    return h


def seconds_of(fn):
    """Wall seconds of one call of fn (which must block on its result)."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def time_reps(fn, reps):
    """(compile-and-first-call seconds, [seconds of each of `reps` further calls]); fn must block on its result."""
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    seconds = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return first, seconds


def median(values):
    return statistics.median(values)


def relative_error(a, b):
    """max |a − b| / max |b|: the agreement figure recorded in every result."""
    a = np.asarray(a)
    b = np.asarray(b)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def load_nmflow(scratch, stem):
    with open(os.path.join(scratch, stem + ".nmflow.json")) as f:
        return json.load(f)


def environment():
    import importlib.metadata as md
    return {
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_average": list(os.getloadavg()),
        "XLA_FLAGS": os.environ.get("XLA_FLAGS", ""),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", ""),
        "versions": {name: md.version(name) for name in
                     ["jax", "jaxlib", "flax", "optax", "mlgeometry-jax", "neural-tangents", "numpy"]},
    }


def write_result(results_dir, name, record):
    record["environment"] = environment()
    os.makedirs(results_dir, exist_ok=True)
    with open(os.path.join(results_dir, name + ".json"), "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
