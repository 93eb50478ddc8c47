"""Side-by-side timing of jko's exact OT against SciPy and POT, one run.

Usage: compare.py GOBENCH TMPDIR [--eb DIR] [--rep N] [--only SUBSTRING]

Generates seeded point clouds (and, with --eb, the EB train pairs: 60% of
each snapshot of DIR/data.npy by DIR/sample_labels.npy), saves them as .npy,
times SciPy's linear_sum_assignment and POT's ot.emd on them, runs the Go
binary on the very same files, and prints a Markdown table with the ratios
(reference / jko: how many times faster jko is) and the relative difference
of the optimal costs; CPU times (process time, all threads) in parentheses
and their ratio beside. The POT column is ot.emd alone on a precomputed cost
matrix; "POT+dist" adds ot.dist (what a user starting from clouds runs);
jko always starts from the clouds (it never builds the cost matrix).
"""
import argparse
import os
import subprocess
import time

import numpy as np
import ot
from scipy.optimize import linear_sum_assignment

ap = argparse.ArgumentParser()
ap.add_argument("gobench")
ap.add_argument("tmp")
ap.add_argument("--eb", help="folder with data.npy and sample_labels.npy")
ap.add_argument("--rep", type=int, default=3)
ap.add_argument("--only", help="time only the problems whose name contains this (the clouds stay the same)")
args = ap.parse_args()
GOBIN, OUT, REP = args.gobench, args.tmp, args.rep
rng = np.random.default_rng(20240601)


def best(f, rep=REP):
    """Least wall and least CPU time of rep calls, and the last result."""
    t = c = float("inf")
    obj = None
    for _ in range(rep):
        t0, c0 = time.perf_counter(), time.process_time()
        obj = f()
        t, c = min(t, time.perf_counter() - t0), min(c, time.process_time() - c0)
    return t, c, obj


def gobench(*a):
    out = subprocess.run([GOBIN, *a], check=True, capture_output=True, text=True).stdout.split()
    return float(out[1]), float(out[3]), float(out[2])


def save(name, arr):
    path = os.path.join(OUT, name + ".npy")
    np.save(path, np.ascontiguousarray(arr))
    return path


rows = []


def row(problem, ref_name, t_ref, c_ref, t_ref_dist, t_jko, c_jko, ref_obj, jko_obj):
    rel = abs(jko_obj - ref_obj) / abs(ref_obj)
    extra = f"{t_ref_dist:.3f} s ({t_ref_dist / t_jko:.1f}×)" if t_ref_dist else "—"
    rows.append(f"| {problem} | {ref_name} {t_ref:.3f} s ({c_ref:.3f}) | {extra} | {t_jko:.3f} s ({c_jko:.3f}) | "
                f"{t_ref / t_jko:.1f}× | {c_ref / c_jko:.1f}× | {rel:.1e} |")
    print(rows[-1], flush=True)


def emd_case(name, x, y, a=None, b=None, metric="w2sq"):
    if args.only and args.only not in name:
        return np.zeros(4)
    n, m = len(x), len(y)
    ua, ub = (np.full(n, 1 / n), np.full(m, 1 / m)) if a is None else (a, b)
    C = ot.dist(x, y) if metric == "w2sq" else ot.dist(x, y, metric="euclidean")
    t_emd, c_emd, obj = best(lambda: float(np.sum(ot.emd(ua, ub, C, numItermax=10**8) * C)))
    t_dist, _, _ = best(lambda: ot.dist(x, y) if metric == "w2sq" else ot.dist(x, y, metric="euclidean"))
    px, py = save(name + "_x", x), save(name + "_y", y)
    extra = [] if a is None else [save(name + "_a", a), save(name + "_b", b)]
    t_jko, c_jko, gobj = gobench("clouds", px, py, str(REP), metric, *extra)
    row(name, "POT", t_emd, c_emd, t_emd + t_dist, t_jko, c_jko, obj, gobj)
    return np.array([t_emd, c_emd, t_jko, c_jko])


def assign_case(name, x, y):
    if args.only and args.only not in name:
        return
    C = ot.dist(x, y)
    t_lsa, c_lsa, obj = best(lambda: float(C[linear_sum_assignment(C)].sum()) / len(x))
    t_dist, _, _ = best(lambda: ot.dist(x, y))
    px, py = save(name + "_x", x), save(name + "_y", y)
    t_jko, c_jko, gobj = gobench("clouds", px, py, str(REP), "w2sq")
    row(name, "SciPy", t_lsa, c_lsa, t_lsa + t_dist, t_jko, c_jko, obj, gobj)


print("| problem | reference wall (CPU) | reference + cost matrix | jko wall (CPU) | speed-up wall | speed-up CPU | cost rel. diff |")
print("|---|---|---|---|---|---|---|")
if args.eb:
    X = np.load(os.path.join(args.eb, "data.npy"))
    lab = np.load(os.path.join(args.eb, "sample_labels.npy")).astype(int)
    r = np.random.default_rng(0)
    snaps, tests = [], []
    for k in range(lab.max() + 1):
        idx = r.permutation(np.flatnonzero(lab == k))
        cut = int(round(0.6 * len(idx)))
        snaps.append(X[np.sort(idx[:cut])])
        tests.append(X[np.sort(idx[cut:])])
    tot = np.zeros(4)
    for k in range(len(snaps) - 1):
        x, y = snaps[k], snaps[k + 1]
        tot += emd_case(f"EB {len(x)}×{len(y)}, 5-D", x, y)
    rows.append(f"| EB train pairs, total | POT {tot[0]:.3f} s ({tot[1]:.3f}) | | {tot[2]:.3f} s ({tot[3]:.3f}) | "
                f"{tot[0] / tot[2]:.1f}× | {tot[1] / tot[3]:.1f}× | |")
    print(rows[-1], flush=True)
    # The one-step EMD's problems: W1 between consecutive test snapshots.
    tot = np.zeros(4)
    for k in range(len(tests) - 1):
        x, y = tests[k], tests[k + 1]
        tot += emd_case(f"EB test W1 {len(x)}×{len(y)}, 5-D", x, y, metric="w1")
    rows.append(f"| EB test W1, total ({sum(map(len, tests))} cells) | POT {tot[0]:.3f} s ({tot[1]:.3f}) | | "
                f"{tot[2]:.3f} s ({tot[3]:.3f}) | {tot[0] / tot[2]:.1f}× | {tot[1] / tot[3]:.1f}× | |")
    print(rows[-1], flush=True)
for d in (2, 5):
    for n, m in ((1000, 1300), (2500, 2000), (5000, 4000)):
        emd_case(f"uniform {n}×{m}, {d}-D", rng.uniform(-4, 4, (n, d)), rng.uniform(-4, 4, (m, d)))
for d in (2, 5):
    n, m = 2000, 2500
    a, b = rng.random(n), rng.random(m)
    a[rng.choice(n, n // 20, replace=False)] = 0
    emd_case(f"weighted {n}×{m}, {d}-D", rng.uniform(-4, 4, (n, d)), rng.uniform(-4, 4, (m, d)),
             a / a.sum(), b / b.sum())
for n in (1000, 2000, 5000):
    x = rng.uniform(-4, 4, (n, 2))
    assign_case(f"assignment {n}, 2-D, independent", x, rng.uniform(-4, 4, (n, 2)))
    assign_case(f"assignment {n}, 2-D, small displacement", x, x + 0.01 * rng.standard_normal((n, 2)))
