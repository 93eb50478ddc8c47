#!/usr/bin/env bash
# Side-by-side: jko against the NumPy + POT + scikit-learn port of the
# JKOnet* reference pipeline (bench/reference), on the same data, in one
# run. For each potential: jko simulate writes the data; both sides fit the
# paper's linear potential model on the train split and report the
# one-step-ahead EMD on the test split, with wall times.
# Needs: apt-get install -y python3-pot python3-sklearn python3-scipy
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o /tmp/jko-bench ./cmd/jko
potentials=${POTENTIALS:-"styblinski_tang holder_table zigzag_ridge oakley_ohagan watershed ishigami friedman sphere bohachevsky flowers wavy_plateau double_exp relu rotational flat"}
# Times: jko is the wall time of `jko fit` + `jko eval` (processes included);
# ref is the port's own in-process total (couplings, densities, features,
# solve, eval; Python start-up and imports excluded, to its advantage).
printf "%-16s %12s %12s %10s %10s %8s\n" potential "EMD jko" "EMD ref" "s jko" "s ref" "ratio"
for p in $potentials; do
  d=$(mktemp -d)
  /tmp/jko-bench simulate "$p" -o "$d" >/dev/null
  t0=$(date +%s.%N)
  /tmp/jko-bench fit paper_linear_potential "$d" -o "$d/fit.jko" >/dev/null
  ev=$(/tmp/jko-bench eval "$d/fit.jko" "$d" --only-w1 --json)
  t1=$(date +%s.%N)
  emd=$(echo "$ev" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["one_step"]["mean"])')
  ref=$(/usr/bin/python3 bench/reference/jkonet_star_linear.py "$d" --potential-only)
  remd=$(echo "$ref" | /usr/bin/python3 -c 'import json,sys; r=json.loads(sys.stdin.read().strip().splitlines()[-1]); print(r["emd_mean"])')
  rsec=$(echo "$ref" | /usr/bin/python3 -c 'import json,sys; r=json.loads(sys.stdin.read().strip().splitlines()[-1]); print(r["seconds"]["total"])')
  awk -v p="$p" -v e="$emd" -v r="$remd" -v a="$t0" -v b="$t1" -v c="$rsec" 'BEGIN{printf "%-16s %12.4g %12.4g %10.3f %10.3f %8.3f\n", p, e, r, b-a, c, (b-a)/c}'
  rm -rf "$d"
done
