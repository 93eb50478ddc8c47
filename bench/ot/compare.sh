#!/bin/sh
# Side-by-side comparison of jko's exact OT with SciPy's
# linear_sum_assignment and POT's ot.emd on identical point clouds, one run,
# then the large runs (jko only: POT's dense cost matrix would not fit) with
# peak memory. Needs Debian's python3-scipy and python3-pot
# (apt-get install -y python3-pot python3-scipy).
#
#   EB=/path/to/eb_pca5 SCALE="20000 50000" sh bench/ot/compare.sh
#
# EB (optional) is a folder with data.npy and sample_labels.npy (the EB
# train pairs: 60% of each snapshot); SCALE lists the N of the N×N 5-D
# runs (default 20000 50000 100000; empty to skip).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$here/../.." && go build -o "$tmp/gobench" ./bench/ot/gobench)
/usr/bin/python3 "$here/compare.py" "$tmp/gobench" "$tmp" ${EB:+--eb "$EB"}
for n in ${SCALE-20000 50000 100000}; do
	/usr/bin/time -v "$tmp/gobench" scale "$n" 5 2>"$tmp/time.txt"
	grep -E "Maximum resident|Elapsed|User time|System time" "$tmp/time.txt"
done
