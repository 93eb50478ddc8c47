"""scikit-learn side of the GMM benchmark (see compare.sh).

Usage: python3 compare.py FILE.npy [SEEDS] [REPS]

Fits GaussianMixture(n_components=10, covariance_type="full") with the
library defaults (n_init=1, tol=1e-3, max_iter=100, reg_covar=1e-6,
init_params="kmeans") once per random_state 0..SEEDS-1, each fit timed
REPS times (median kept), and prints lines in the Go command's format.
"""
import sys
import time
import warnings

import numpy as np
from sklearn.mixture import GaussianMixture

warnings.filterwarnings("ignore")
x = np.load(sys.argv[1])
seeds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 3
for s in range(seeds):
    times = []
    for _ in range(reps):
        gm = GaussianMixture(n_components=10, covariance_type="full", random_state=s)
        t0 = time.perf_counter()
        gm.fit(x)
        times.append(time.perf_counter() - t0)
    times.sort()
    print(f"seed {s} time_s {times[len(times) // 2]:.6f} iters {gm.n_iter_} meanll {gm.score(x):.6f}")
