#!/usr/bin/python3
"""Reference data generator for the JKOnet* benchmark (NumPy only).

Re-implements, without JAX, data_generator.py + utils/sde_simulator.py
(SDESimulator) + the train/test split of the public JKOnet* code, and writes
the JKOnet* directory layout:

  data.npy               float32 (K+1)*N x d, snapshots stacked in label order
  sample_labels.npy      int32   (K+1)*N, the snapshot index 0..K of each row
  train_data.npy         float32, train_sample_labels.npy int32
  test_data.npy          float32, test_sample_labels.npy  int32
  args.txt               potential=, internal=, beta=, interaction=, dt= (as the reference)

Only the random streams differ from the reference (NumPy PCG64 here, JAX
threefry there), so the data are statistically, not bitwise, identical.

Usage:
  /usr/bin/python3 generate.py --potential styblinski_tang --out /tmp/st
  /usr/bin/python3 generate.py --potential wavy_plateau --interaction flowers \
        --beta 0.1 --out /tmp/wp
"""
import argparse
import json
import os
import time

import numpy as np

from potentials import GRAD, NAMES


def simulate(grad_v, grad_u, beta, dt, n_steps, init, rng):
    """Explicit Euler-Maruyama exactly as SDESimulator.forward_sampling:

        x <- x - dt*gradV(x) - sqrt(|beta|)*sqrt(2 dt)*xi + dt*mean_j(-gradU(x_i - x_j))

    every term evaluated at the old x; the interaction mean runs over all j
    including j = i (so gradU(0)/N enters, as in the reference).
    """
    x = init.copy()
    traj = [x.copy()]
    for _ in range(n_steps):
        step = np.zeros_like(x)
        if grad_v is not None:
            step -= dt * grad_v(x)
        if beta:
            step -= np.sqrt(abs(beta)) * np.sqrt(2 * dt) * rng.standard_normal(x.shape)
        if grad_u is not None:
            step += dt * interaction_drift(grad_u, x)
        x = x + step
        traj.append(x.copy())
    return np.stack(traj)


def interaction_drift(grad_u, x, chunk=200):
    """mean_j(-gradU(x_i - x_j)) for every i, in chunks of i."""
    n, d = x.shape
    out = np.empty_like(x)
    for s in range(0, n, chunk):
        z = (x[s:s + chunk, None, :] - x[None, :, :]).reshape(-1, d)
        out[s:s + chunk] = -grad_u(z).reshape(-1, n, d).mean(axis=1)
    return out


def train_test_split(values, labels, test_ratio, split_trajectories, seed):
    """Bit-for-bit the split of data_generator.py:train_test_split (legacy
    np.random.seed + np.random.shuffle, so the indices match the reference
    for the same seed and sizes)."""
    np.random.seed(seed)
    uniq, counts = np.unique(labels, return_counts=True)
    if split_trajectories:
        assert np.all(counts == counts[0]), "unbalanced: cannot split by trajectories"
        n = counts[0]
        idx = np.arange(n)
        np.random.shuffle(idx)
        ts = int(n * test_ratio)
        tr_b, te_b = idx[:-ts], idx[-ts:]
        tr, te = [], []
        for lab in uniq:
            tr.extend(tr_b + lab * n)
            te.extend(te_b + lab * n)
    else:
        tr, te = [], []
        for lab in uniq:
            ii = np.where(labels == lab)[0]
            np.random.shuffle(ii)
            sp = int(len(ii) * (1 - test_ratio))
            tr.extend(ii[:sp])
            te.extend(ii[sp:])
    tr, te = np.array(tr), np.array(te)
    return values[tr], labels[tr], values[te], labels[te]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--potential", default="none", choices=NAMES + ["none"])
    ap.add_argument("--interaction", default="none", choices=NAMES + ["none"])
    ap.add_argument("--beta", type=float, default=0.0,
                    help="noise: -sqrt(beta)*sqrt(2dt)*xi per step (reference: --internal wiener --beta)")
    ap.add_argument("--dt", type=float, default=0.01)
    ap.add_argument("--n-timesteps", type=int, default=5)
    ap.add_argument("--n-particles", type=int, default=2000)
    ap.add_argument("--dimension", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--test-ratio", type=float, default=0.5)
    ap.add_argument("--split-population", action="store_true",
                    help="split each snapshot independently (reference flag of the same name)")
    ap.add_argument("--unpaired", action="store_true",
                    help="NOT in the reference: snapshot k is taken from an independent "
                         "simulation started afresh at t=0, so no identity is shared across time")
    ap.add_argument("--float64", action="store_true",
                    help="save float64 instead of the reference's float32")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    t0 = time.time()
    rng = np.random.default_rng(a.seed)
    gv = GRAD[a.potential] if a.potential != "none" else None
    gu = GRAD[a.interaction] if a.interaction != "none" else None
    K, N, d = a.n_timesteps, a.n_particles, a.dimension
    if not a.unpaired:
        init = rng.uniform(-4, 4, size=(N, d))
        traj = simulate(gv, gu, a.beta, a.dt, K, init, rng)
    else:
        snaps = []
        for k in range(K + 1):
            init = rng.uniform(-4, 4, size=(N, d))
            snaps.append(simulate(gv, gu, a.beta, a.dt, k, init, rng)[-1])
        traj = np.stack(snaps)
    dtype = np.float64 if a.float64 else np.float32
    data = traj.reshape(-1, d).astype(dtype)
    labels = np.repeat(np.arange(K + 1), N).astype(np.int32)
    os.makedirs(a.out, exist_ok=True)
    np.save(os.path.join(a.out, "data.npy"), data)
    np.save(os.path.join(a.out, "sample_labels.npy"), labels)
    with open(os.path.join(a.out, "args.txt"), "w") as f:
        f.write(f"potential={a.potential}\n")
        f.write(f"internal={'wiener' if a.beta else 'none'}\n")
        f.write(f"beta={a.beta}\n")
        f.write(f"interaction={a.interaction}\n")
        f.write(f"dt={a.dt}\n")
    if a.test_ratio > 0:
        trv, trl, tev, tel = train_test_split(data, labels, a.test_ratio,
                                              not a.split_population, a.seed)
        np.save(os.path.join(a.out, "test_data.npy"), tev)
        np.save(os.path.join(a.out, "test_sample_labels.npy"), tel)
    else:
        trv, trl = data, labels
    np.save(os.path.join(a.out, "train_data.npy"), trv)
    np.save(os.path.join(a.out, "train_sample_labels.npy"), trl)
    print(json.dumps({"out": a.out, "potential": a.potential, "interaction": a.interaction,
                      "beta": a.beta, "dt": a.dt, "K": K, "N": N, "d": d, "seed": a.seed,
                      "unpaired": a.unpaired, "n_train": int(len(trv)),
                      "finite": bool(np.isfinite(data).all()),
                      "seconds": round(time.time() - t0, 3)}))


if __name__ == "__main__":
    main()
