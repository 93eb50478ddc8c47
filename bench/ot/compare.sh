#!/bin/sh
# Side-by-side comparison of jko's exact OT solvers with SciPy's
# linear_sum_assignment and POT's ot.emd on identical cost matrices, then
# the 10k×10k scale runs with peak memory. Needs Debian's python3-scipy and
# python3-pot (apt-get install -y python3-pot python3-scipy).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$here/../.." && go build -o "$tmp/gobench" ./bench/ot/gobench)
/usr/bin/python3 "$here/compare.py" "$tmp/gobench" "$tmp"
if [ "${SKIP_SCALE:-0}" != 1 ]; then
	for d in 2 50; do
		/usr/bin/time -v "$tmp/gobench" scale 10000 $d 2>"$tmp/time.txt"
		grep -E "Maximum resident|Elapsed" "$tmp/time.txt"
	done
fi
