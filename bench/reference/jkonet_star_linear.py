#!/usr/bin/python3
"""NumPy + POT + scikit-learn re-implementation of the JKOnet* *linear*
pipeline (public code: data_generator.py, utils/ot.py, utils/density.py,
models/jkonet_star.py:JKOnetStarLinear, dataset.py, train.py), used as a
measuring tool for the Go implementation. See README.md beside this file.

Stages (each timed):
  couplings  ot.emd between consecutive TRAIN snapshots (sq. Euclidean cost),
             rows (x, y, t_next, w) with w > 1/(10 max(n, m)), halving the
             threshold while nothing survives; index batches of 1000 if balanced
  densities  one GaussianMixture(10, full, random_state=seed) per train
             snapshot, components with det(Sigma) <= 1e-4 dropped, weights
             renormalised; rho and grad rho at the y's of each coupling
             (mixture of snapshot t+1), rho clipped >= 1e-5 (grad 0 there)
  solve      features at x: potential grad g(x), interaction
             mean_rows grad g(x_i - x_j), internal grad rho / rho (at y);
             A = reg I + sum_k mean_rows(Y^T Y), b = sum_k sum_rows w Y^T (y - x),
             theta = -A^{-1} b / tau   (tau = 1 as in the reference, see README)
  eval       one step ahead on the TEST split: from true test snapshot t,
             x' = x - tau gradV(x) + tau mean_j(-gradU(x - x_j))
                  - sqrt(beta) sqrt(2 tau) xi   (xi shared by all t),
             W1 = ot.emd2(uniform, uniform, Euclidean distances) to test t+1.

Prints one JSON line.
"""
import argparse
import glob
import itertools
import json
import os
import time

import numpy as np
import ot
from sklearn.mixture import GaussianMixture


# ----------------------------------------------------------------- data
def load_split(path, name):
    data = np.load(os.path.join(path, f"{name}_data.npy"))
    labels = np.load(os.path.join(path, f"{name}_sample_labels.npy"))
    uniq = np.unique(labels)  # sorted; relabelled 0..K as PopulationEvalDataset
    return [data[labels == u] for u in uniq], uniq


def read_args(path):
    out = {}
    p = os.path.join(path, "args.txt")
    if os.path.exists(p):
        for line in open(p):
            if "=" in line:
                k, v = line.strip().split("=", 1)
                out[k] = v
    return out


# ------------------------------------------------------------ couplings
def relevant_couplings(x, y, t_next, P):
    n, m = P.shape
    thr = 1.0 / (10 * max(n, m))
    while True:
        i, j = np.nonzero(P > thr)
        if len(i):
            break
        thr /= 2
    return np.column_stack([x[i], y[j], np.full(len(i), float(t_next)), P[i, j]])


def couplings_step(x, y, t_next, batch_size):
    def one(xb, yb):
        a = np.full(len(xb), 1.0 / len(xb))
        b = np.full(len(yb), 1.0 / len(yb))
        P = ot.emd(a, b, ot.dist(xb, yb), numItermax=1000000)
        return relevant_couplings(xb, yb, t_next, P)
    if batch_size < 0 or len(x) != len(y):
        return one(x, y)
    return np.concatenate([one(x[s:s + batch_size], y[s:s + batch_size])
                           for s in range(0, len(x), batch_size)])


# ------------------------------------------------------------ densities
class Mixture:
    def __init__(self, data, n_components, seed):
        gm = GaussianMixture(n_components=n_components, random_state=seed).fit(data)
        dets = np.linalg.det(gm.covariances_)
        keep = dets > 1e-4
        d = data.shape[1]
        self.means = gm.means_[keep].astype(np.float64)
        self.icov = np.linalg.inv(gm.covariances_[keep]).astype(np.float64)
        self.den = 1.0 / np.sqrt((2 * np.pi) ** d * dets[keep])
        w = gm.weights_[keep]
        self.w = w / w.sum()

    def rho_grad(self, y):
        diff = y[:, None, :] - self.means[None]                    # n,C,d
        sd = np.einsum("cij,ncj->nci", self.icov, diff)             # Sigma^-1 (y-mu)
        maha = np.einsum("nci,nci->nc", diff, sd)
        terms = self.w * self.den * np.exp(-0.5 * maha)             # n,C
        rho = terms.sum(axis=1)
        grad = -np.einsum("nc,nci->ni", terms, sd)
        clipped = rho < 1e-5           # JAX: clip(.., a_min=1e-5) has zero gradient there
        rho = np.where(clipped, 1e-5, rho)
        grad[clipped] = 0.0
        return rho, grad


# ------------------------------------------------------------- features
class Features:
    """Polynomials prod x_i^e_i, e in {0..degree}^d, sum(e) > 0 (itertools.product
    order), then 'const' RBFs exp(-|x-c|^2/sigma) * 1 on a n_centers^d grid."""

    def __init__(self, d, degree=4, n_centers=10, domain=(-4.0, 4.0), sigma=0.5):
        self.exps = np.array([e for e in itertools.product(range(degree + 1), repeat=d)
                              if sum(e) > 0], dtype=int)
        grid = np.linspace(domain[0], domain[1], n_centers)
        self.centers = np.array(list(itertools.product(grid, repeat=d)))
        self.sigma = sigma
        self.degree = degree
        self.F = len(self.exps) + len(self.centers)

    def grad(self, x):
        """(n, d) -> (n, d, F): column f is grad g_f(x)."""
        n, d = x.shape
        P = np.ones((n, d, self.degree + 1))
        for p in range(1, self.degree + 1):
            P[:, :, p] = P[:, :, p - 1] * x
        E = self.exps                                                # F1,d
        pw = P[:, np.arange(d)[None, :], E]                          # n,F1,d: x_j^e_j
        gpoly = np.empty((n, d, len(E)))
        for i in range(d):
            others = np.prod(np.delete(pw, i, axis=2), axis=2)       # n,F1
            di = E[:, i] * P[:, i, np.maximum(E[:, i] - 1, 0)]       # n,F1
            gpoly[:, i, :] = di * others
        diff = x[:, None, :] - self.centers[None]                   # n,C,d
        val = np.exp(-np.sum(diff * diff, axis=2) / self.sigma)      # n,C
        grbf = (-2.0 / self.sigma) * diff * val[:, :, None]          # n,C,d
        return np.concatenate([gpoly, grbf.transpose(0, 2, 1)], axis=2)

    def _dim_factors(self, u, centers_1d):
        """per-dimension factor tables for d = 2: [u^0..u^deg, exp(-(u-c)^2/s)]
        and their derivatives."""
        deg = self.degree
        P = np.empty(u.shape + (deg + 1,))
        P[..., 0] = 1.0
        for p in range(1, deg + 1):
            P[..., p] = P[..., p - 1] * u
        dP = np.zeros_like(P)
        for p in range(1, deg + 1):
            dP[..., p] = p * P[..., p - 1]
        diff = u[..., None] - centers_1d
        E = np.exp(-diff * diff / self.sigma)
        dE = (-2.0 / self.sigma) * diff * E
        return np.concatenate([P, E], -1), np.concatenate([dP, dE], -1)

    def mean_pair_grad(self, x, others=None, chunk=100):
        """row i: mean_j grad g(x_i - others_j) (others defaults to x)."""
        if others is None:
            others = x
        n, d = x.shape
        if d == 2:
            return self._mean_pair_grad_2d(x, others, chunk)
        return self._mean_pair_grad_generic(x, others, chunk // 2)

    def _mean_pair_grad_2d(self, x, others, chunk):
        """d = 2 fast path: every feature is a product f_a(z1) * f_b(z2), so
        mean_j over pairs is a batched (15 x n) @ (n x 15) product."""
        grid = np.unique(self.centers[:, 0])
        deg1 = self.degree + 1
        # (a, b) factor indices of each feature, in feature order
        ia = np.concatenate([self.exps[:, 0],
                             deg1 + np.searchsorted(grid, self.centers[:, 0])])
        ib = np.concatenate([self.exps[:, 1],
                             deg1 + np.searchsorted(grid, self.centers[:, 1])])
        n, m = len(x), len(others)
        out = np.empty((n, 2, self.F))
        for s in range(0, n, chunk):
            z = x[s:s + chunk, None, :] - others[None]                 # c,m,2
            Fu, dFu = self._dim_factors(z[..., 0], grid)
            Fv, dFv = self._dim_factors(z[..., 1], grid)
            Mu = np.matmul(dFu.transpose(0, 2, 1), Fv) / m            # c,15,15
            Mv = np.matmul(Fu.transpose(0, 2, 1), dFv) / m
            out[s:s + chunk, 0, :] = Mu[:, ia, ib]
            out[s:s + chunk, 1, :] = Mv[:, ia, ib]
        return out

    def _mean_pair_grad_generic(self, x, others, chunk):
        n, d = x.shape
        out = np.empty((n, d, self.F))
        for s in range(0, n, chunk):
            z = (x[s:s + chunk, None, :] - others[None]).reshape(-1, d)
            out[s:s + chunk] = self.grad(z).reshape(-1, len(others), d, self.F).mean(axis=1)
        return out


# ------------------------------------------------------------------ main
def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", help="directory in the JKOnet* layout (train_/test_ files)")
    ap.add_argument("--potential-only", action="store_true",
                    help="jkonet-star-linear-potential (paper_linear_potential): potential features only")
    ap.add_argument("--reg", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0,
                    help="GaussianMixture random_state and evaluation noise")
    ap.add_argument("--tau", type=float, default=1.0,
                    help="tau of the fit and of the prediction step; the reference uses 1.0 "
                         "(PopulationEvalDataset.dt); predictions do not depend on it")
    ap.add_argument("--batch-size", type=int, default=1000,
                    help="coupling index batches as data_generator.py (negative: none)")
    ap.add_argument("--n-gmm-components", type=int, default=10)
    ap.add_argument("--eval", default="test", choices=["test", "train"])
    ap.add_argument("--float32", action="store_true",
                    help="emulate the reference's float32 arithmetic in A, b and the solve")
    ap.add_argument("--write-preprocessed", metavar="DIR",
                    help="also write couplings_*.npy and density_and_grads_*.npy (reference format)")
    a = ap.parse_args()

    T = {}
    t_all = time.perf_counter()
    train, tlabels = load_split(a.data, "train")
    K = len(train) - 1
    d = train[0].shape[1]

    # couplings
    t0 = time.perf_counter()
    couplings = [couplings_step(train[k].astype(np.float64), train[k + 1].astype(np.float64),
                                int(tlabels[k + 1]), a.batch_size) for k in range(K)]
    T["couplings"] = time.perf_counter() - t0

    # densities: the reference fits every train snapshot (0..K), uses 1..K
    t0 = time.perf_counter()
    dens = []
    if not a.potential_only:
        mix = [Mixture(train[k], a.n_gmm_components, a.seed) for k in range(K + 1)]
        for k in range(K):
            c = couplings[k]
            dens.append(mix[k + 1].rho_grad(c[:, d:2 * d]))
    T["densities"] = time.perf_counter() - t0

    if a.write_preprocessed:
        os.makedirs(a.write_preprocessed, exist_ok=True)
        for k in range(K):
            l0, l1 = int(tlabels[k]), int(tlabels[k + 1])
            np.save(os.path.join(a.write_preprocessed, f"couplings_{l0}_to_{l1}.npy"),
                    couplings[k].astype(np.float32))
            if dens:
                rho, g = dens[k]
                np.save(os.path.join(a.write_preprocessed, f"density_and_grads_{l0}_to_{l1}.npy"),
                        np.column_stack([rho, g]).astype(np.float32))

    # features + normal equations
    t0 = time.perf_counter()
    feats = Features(d)
    F = feats.F
    dim = F if a.potential_only else 2 * F + 1
    ftype = np.float32 if a.float32 else np.float64
    A = (np.eye(dim) * a.reg).astype(ftype)
    b = np.zeros(dim, dtype=ftype)
    for k in range(K):
        c = couplings[k]
        xs, ys, ws = c[:, :d], c[:, d:2 * d], c[:, -1]
        blocks = [feats.grad(xs)]
        if not a.potential_only:
            blocks.append(feats.mean_pair_grad(xs))
            rho, g = dens[k]
            blocks.append((g / rho[:, None])[:, :, None])
        Y = np.concatenate(blocks, axis=2).astype(ftype)                 # R,d,dim
        A += np.einsum("ijk,ijh->kh", Y, Y) / len(xs)
        b += np.einsum("i,ijk,ij->k", ws.astype(ftype), Y, (ys - xs).astype(ftype))
    sol = np.linalg.solve(A, b)
    theta = (-sol / a.tau).astype(np.float64)
    residual = float(np.sum((A @ sol - b) ** 2))
    cond = float(np.linalg.cond(A.astype(np.float64)))
    th_v = theta[:F]
    th_u = np.zeros(F) if a.potential_only else theta[F:2 * F]
    beta = 0.0 if a.potential_only else abs(float(theta[-1]))
    T["features_solve"] = time.perf_counter() - t0

    # one-step-ahead evaluation
    t0 = time.perf_counter()
    test, _ = load_split(a.data, a.eval)
    test = [s.astype(np.float64) for s in test]
    rng = np.random.default_rng(a.seed)
    xi = rng.standard_normal(test[0].shape)   # reference: same key_eval for every t
    emd = []
    for k in range(len(test) - 1):
        x = test[k]
        pred = x - a.tau * (feats.grad(x) @ th_v)
        if not a.potential_only:
            pred = pred - a.tau * (feats.mean_pair_grad(x) @ th_u)
            if beta:
                pred = pred - np.sqrt(beta) * np.sqrt(2 * a.tau) * xi[:len(x)]
        y = test[k + 1]
        M = ot.dist(pred, y, metric="euclidean")
        emd.append(float(ot.emd2(np.full(len(pred), 1 / len(pred)), np.full(len(y), 1 / len(y)),
                                 M, numItermax=1000000)))
    T["eval"] = time.perf_counter() - t0
    T["total"] = time.perf_counter() - t_all

    args = read_args(a.data)
    out = {
        "data": a.data,
        "method": "paper_linear_potential" if a.potential_only else "paper_linear",
        "reg": a.reg, "seed": a.seed, "tau": a.tau, "float32": a.float32,
        "K": K, "n_train": [len(s) for s in train], "n_eval": [len(s) for s in test],
        "coupling_rows": [len(c) for c in couplings],
        "n_features": F, "theta_dim": dim, "cond_A": cond, "residual": residual,
        "emd": emd, "emd_mean": float(np.mean(emd)), "emd_std": float(np.std(emd)),
    }
    if not a.potential_only:
        out["beta_fit_tau"] = beta          # |theta_internal| at the fit's tau (reference prints this with tau=1)
        if "dt" in args:
            out["beta_fit_physical"] = beta * a.tau / float(args["dt"])
            out["beta_true"] = float(args.get("beta", "nan"))
    out["seconds"] = {k: round(v, 4) for k, v in T.items()}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
