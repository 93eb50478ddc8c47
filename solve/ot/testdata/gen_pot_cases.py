"""Writes pot_cases.json: exact OT costs from POT's ot.emd2 (the reference
for TestPOTGenerated). Run from this folder with Debian's Python:

    /usr/bin/python3 gen_pot_cases.py

(apt-get install python3-pot). Seeded: rerunning gives the same file.
"""
import json

import numpy as np
import ot

rng = np.random.default_rng(20261129)


def clustered(n, d, c, off):
    centres = rng.uniform(-4, 4, (c, d)) + off
    return centres[rng.integers(0, c, n)] + 0.3 * rng.standard_normal((n, d))


def weights(n, zeros=0):
    w = rng.random(n)
    if zeros:
        w[rng.choice(n, zeros, replace=False)] = 0
    return w / w.sum()


cases = []


def add(name, x, y, a=None, b=None, cost="sqeuclidean"):
    n, m = len(x), len(y)
    ua = np.full(n, 1 / n) if a is None else a
    ub = np.full(m, 1 / m) if b is None else b
    # Coordinate differences (ot.dist expands |x|² + |y|² − 2x·y, which
    # cancels for clouds far from the origin).
    C = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    if cost == "euclidean":
        C = np.sqrt(C)
    emd = float(ot.emd2(ua, ub, C, numItermax=10**8))
    cases.append({"name": name, "x": x.tolist(), "y": y.tolist(),
                  "a": None if a is None else a.tolist(), "b": None if b is None else b.tolist(),
                  "cost": cost, "emd": emd})


add("uniform 300x400 2-D", rng.uniform(-4, 4, (300, 2)), rng.uniform(-4, 4, (400, 2)))
add("uniform 300x400 2-D euclidean", rng.uniform(-4, 4, (300, 2)), rng.uniform(-4, 4, (400, 2)), cost="euclidean")
add("clustered shifted 500x350 5-D", clustered(500, 5, 6, 0), clustered(350, 5, 5, 5))
add("clustered shifted 400x450 5-D euclidean", clustered(400, 5, 6, 0), clustered(450, 5, 5, 3), cost="euclidean")
add("weighted with zeros 200x250 3-D", rng.uniform(-4, 4, (200, 3)), rng.uniform(-4, 4, (250, 3)),
    weights(200, 20), weights(250, 5))
add("weighted 220x180 2-D euclidean", rng.uniform(-4, 4, (220, 2)), rng.uniform(-4, 4, (180, 2)),
    weights(220), weights(180), cost="euclidean")
x = rng.uniform(-4, 4, (400, 2))
add("equal 400 small displacement 2-D", x, x + 0.01 * rng.standard_normal((400, 2)))
add("1-D 300x200", rng.standard_normal((300, 1)), 2 + rng.standard_normal((200, 1)))
add("integer grid ties 150x170 2-D", rng.integers(0, 6, (150, 2)).astype(float),
    rng.integers(0, 6, (170, 2)).astype(float))
add("far from the origin 250x300 4-D", 1e4 + rng.uniform(-1, 1, (250, 4)), 1e4 + rng.uniform(-1, 1, (300, 4)))
with open("pot_cases.json", "w") as f:
    json.dump(cases, f)
print(len(cases), "cases")
