#!/bin/sh
# Side-by-side benchmark: 10-component full-covariance Gaussian mixture on
# 1,000 and 20,000 2-D points, jko (solve/density) against scikit-learn's
# GaussianMixture with the same settings. Same data for both (generated
# once from a fixed seed, saved as .npy). Prints, per size, the median
# fit wall time over seeds, the ratio jko/sklearn (goal ≤ 1) and the mean
# log-likelihood of each averaged over seeds (goal within 1%).
#
# Needs Debian's python3 with scikit-learn:
#   apt-get install -y python3-sklearn python3-scipy
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
py=${PYTHON:-/usr/bin/python3}
seeds=${SEEDS:-5}
reps=${REPS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$root" && go build -o "$tmp/density" ./bench/density)
"$tmp/density" -gen "$tmp"
echo "cores: $(nproc)  seeds: $seeds  reps: $reps  (times: median over seeds of the median over reps)"
printf '%-7s %12s %12s %8s %14s %14s %9s\n' n jko_s sklearn_s ratio jko_meanll skl_meanll rel_diff
for n in 1000 20000; do
	"$tmp/density" -fit "$tmp/points_$n.npy" -seeds "$seeds" -reps "$reps" >"$tmp/go_$n.txt"
	"$py" "$here/compare.py" "$tmp/points_$n.npy" "$seeds" "$reps" >"$tmp/py_$n.txt"
	"$py" - "$n" "$tmp/go_$n.txt" "$tmp/py_$n.txt" <<'PY'
import sys, statistics as st
def load(p):
    rows = [l.split() for l in open(p) if l.startswith("seed")]
    return [float(r[3]) for r in rows], [float(r[7]) for r in rows], [int(r[5]) for r in rows]
n = sys.argv[1]
gt, gl, gi = load(sys.argv[2])
pt, pl, pi = load(sys.argv[3])
g, p = st.median(gt), st.median(pt)
a, b = st.mean(gl), st.mean(pl)
print(f"{n:<7} {g:12.5f} {p:12.5f} {g/p:8.3f} {a:14.5f} {b:14.5f} {(a-b)/abs(b):9.2%}")
print(f"        iterations jko {gi}  sklearn {pi}")
PY
done
