"""Side-by-side timing of jko's exact OT against SciPy and POT.

Generates one seeded set of point clouds, saves the cost matrices as .npy,
times scipy.optimize.linear_sum_assignment and ot.emd on them, runs the Go
binary on the very same files, and prints the ratios (jko / reference).
"""
import os
import subprocess
import sys
import time

import numpy as np
import ot
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

GOBIN, OUT = sys.argv[1], sys.argv[2]
REP = 3
rng = np.random.default_rng(20240601)


def best(f):
    t, obj = float("inf"), None
    for _ in range(REP):
        t0 = time.perf_counter()
        obj = f()
        t = min(t, time.perf_counter() - t0)
    return t, obj


def gobench(*args):
    out = subprocess.run([GOBIN, *args], check=True, capture_output=True, text=True).stdout.split()
    return float(out[1]), float(out[2])


print(f"{'problem':<28}{'reference':>12}{'jko':>10}{'ratio':>8}  objective check")
for n in (1000, 2000):
    x, y = rng.uniform(-4, 4, (n, 2)), rng.uniform(-4, 4, (n, 2))
    C = np.ascontiguousarray(cdist(x, y, "sqeuclidean"))
    path = os.path.join(OUT, f"assign{n}.npy")
    np.save(path, C)
    ts, obj = best(lambda: C[linear_sum_assignment(C)].sum())
    tg, gobj = gobench("assign", path, str(REP))
    print(f"{f'assignment {n}x{n} 2-D':<28}{ts:>11.4f}s{tg:>9.4f}s{tg/ts:>8.2f}  "
          f"scipy {obj:.12g} jko {gobj:.12g}")

x, y = rng.uniform(-4, 4, (1000, 2)), rng.uniform(-4, 4, (800, 2))
a, b = rng.random(1000), rng.random(800)
a[rng.choice(1000, 50, replace=False)] = 0
a, b = a / a.sum(), b / b.sum()
C = np.ascontiguousarray(cdist(x, y, "sqeuclidean"))
for name, arr in (("a", a), ("b", b), ("cost", C)):
    np.save(os.path.join(OUT, f"emd_{name}.npy"), arr)
tp, obj = best(lambda: float((ot.emd(a, b, C, numItermax=10**8) * C).sum()))
tg, gobj = gobench("emd", *(os.path.join(OUT, f"emd_{k}.npy") for k in ("a", "b", "cost")), str(REP))
print(f"{'emd 1000x800 general':<28}{tp:>11.4f}s{tg:>9.4f}s{tg/tp:>8.2f}  "
      f"POT {obj:.12g} jko {gobj:.12g}")
