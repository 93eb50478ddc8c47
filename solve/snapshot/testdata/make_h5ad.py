"""Writes the small AnnData (and NumPy .npz) fixtures of solve/snapshot's tests.

Run from the repository root with Debian's python3-anndata (0.8):

    /usr/bin/python3 solve/snapshot/testdata/make_h5ad.py

Every fixture holds the same 15 cells (4, 6 and 5 at three time points);
cells.csv holds their time and X_pca coordinates as text, the reference
the Go tests compare with.
"""
import os

import anndata as ad
import h5py
import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata._io.specs import write_elem

out = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(0)
counts = [4, 6, 5]
n = sum(counts)
days = ["Day 00-03", "Day 06-09", "Day 12-15"]
day = pd.Categorical(np.repeat(days, counts), categories=days, ordered=True)
day_num = pd.Categorical(np.repeat([0, 6, 12], counts), categories=[0, 6, 12])
day_na = pd.Categorical(np.repeat(days, counts), categories=days)
day_na[7] = np.nan
obs = pd.DataFrame(
    {
        "day": day,
        "day_num": day_num,
        "day_na": day_na,
        "t": np.repeat([0.0, 1.5, 3.0], counts),
        "batch": np.ones(n),
    },
    index=[f"cell{i}" for i in range(n)],
)
X = rng.normal(size=(n, 4)).astype(np.float32)
a = ad.AnnData(X=X, obs=obs, dtype=np.float32)
a.obsm["X_pca"] = rng.normal(size=(n, 3))
a.write_h5ad(os.path.join(out, "cells.h5ad"))
a.write_h5ad(os.path.join(out, "cells_gzip.h5ad"), compression="gzip")

# The same cells written with h5py's newest file format (superblock v3).
with h5py.File(os.path.join(out, "cells_latest.h5ad"), "w", libver="latest") as f:
    write_elem(f, "/", a)

# A NaN in the embedding, at cell 7.
b = a.copy()
b.obsm["X_pca"][7, 1] = np.nan
b.write_h5ad(os.path.join(out, "cells_nan.h5ad"))

# obs (15 cells) disagreeing with obsm/X_pca (14 rows): anndata refuses to
# write such a file, so the embedding is replaced with h5py.
a.write_h5ad(os.path.join(out, "cells_mismatch.h5ad"))
with h5py.File(os.path.join(out, "cells_mismatch.h5ad"), "r+") as f:
    v = f["obsm/X_pca"][:-1]
    del f["obsm/X_pca"]
    f["obsm/X_pca"] = v

# A sparse X.
c = ad.AnnData(X=sp.csr_matrix(X), obs=obs, dtype=np.float32)
c.obsm["X_pca"] = a.obsm["X_pca"]
c.write_h5ad(os.path.join(out, "cells_sparse.h5ad"))

with open(os.path.join(out, "cells.csv"), "w") as f:
    f.write("t,pc1,pc2,pc3\n")
    for i in range(n):
        f.write(",".join([repr(float(obs["t"][i]))] + [repr(float(v)) for v in a.obsm["X_pca"][i]]) + "\n")

# The same cells as NumPy arrays: TrajectoryNet's layout (pcs, sample_labels).
np.savez(
    os.path.join(out, "cells.npz"),
    pcs=a.obsm["X_pca"],
    sample_labels=np.repeat([0, 1, 2], counts).astype(np.int64),
)
