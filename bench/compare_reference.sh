#!/usr/bin/env bash
# Side-by-side: jko against the NumPy + POT + scikit-learn port of the
# JKOnet* reference pipeline (bench/reference), on the same data, in one
# run. For each potential: jko simulate writes the data; both sides fit the
# paper's linear potential model on the train split and report the
# one-step-ahead EMD on the test split, with wall and CPU times.
#
# INTERACTION=1 runs the full paper_linear model instead (potential,
# interaction and entropy features, 249 parameters) on the 4.3 problem
# wavy_plateau + flowers, β = 0.1, 2,000 particles (PARTICLES to change).
# Needs: apt-get install -y python3-pot python3-sklearn python3-scipy
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o /tmp/jko-bench ./cmd/jko
potentials=${POTENTIALS:-"styblinski_tang holder_table zigzag_ridge oakley_ohagan watershed ishigami friedman sphere bohachevsky flowers wavy_plateau double_exp relu rotational flat"}
model=paper_linear_potential
refargs=--potential-only
if [ "${INTERACTION:-0}" = 1 ]; then
  potentials="wavy_plateau+flowers"
  model=paper_linear
  refargs=
fi
# Times: "s jko" is the wall time of `jko fit` + `jko eval` (processes
# included); "s ref" is the port's own in-process total (couplings,
# densities, features, solve, eval; Python start-up and imports excluded,
# to its advantage). "cpu" columns are user + system CPU seconds of the
# processes (the port's with its start-up and imports), from /usr/bin/time.
printf "%-22s %12s %12s %9s %9s %7s %9s %9s %7s\n" potential "EMD jko" "EMD ref" "s jko" "s ref" "ratio" "cpu jko" "cpu ref" "ratio"
cpu() { /usr/bin/time -f "%U %S" -a -o "$1" "${@:2}"; }
for p in $potentials; do
  d=$(mktemp -d)
  if [ "$p" = "wavy_plateau+flowers" ]; then
    cat > "$d/truth.jko" <<'EOF'
fn wavy_plateau(v) = sum(cos(pi*v) + 0.5*v^4 - 3*v^2 + 1)
potential wavy_plateau(x) = wavy_plateau(x)
fn flowers(v) = sum(v + 2*sin(abs(v)^1.2))
interaction U(z) = flowers(z)
internal H(rho) = 0.1*rho*log(rho)
EOF
    /tmp/jko-bench simulate "$d/truth.jko" --particles "${PARTICLES:-2000}" -o "$d/data" >/dev/null
  else
    /tmp/jko-bench simulate "$p" -o "$d/data" >/dev/null
  fi
  t0=$(date +%s.%N)
  cpu "$d/jko.cpu" /tmp/jko-bench fit "$model" "$d/data" -o "$d/fit.jko" >/dev/null
  ev=$(cpu "$d/jko.cpu" /tmp/jko-bench eval "$d/fit.jko" "$d/data" --only-w1 --json)
  t1=$(date +%s.%N)
  emd=$(echo "$ev" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["one_step"]["mean"])')
  ref=$(cpu "$d/ref.cpu" /usr/bin/python3 bench/reference/jkonet_star_linear.py "$d/data" $refargs)
  remd=$(echo "$ref" | /usr/bin/python3 -c 'import json,sys; r=json.loads(sys.stdin.read().strip().splitlines()[-1]); print(r["emd_mean"])')
  rsec=$(echo "$ref" | /usr/bin/python3 -c 'import json,sys; r=json.loads(sys.stdin.read().strip().splitlines()[-1]); print(r["seconds"]["total"])')
  jcpu=$(awk '{s += $1 + $2} END {print s}' "$d/jko.cpu")
  rcpu=$(awk '{s += $1 + $2} END {print s}' "$d/ref.cpu")
  awk -v p="$p" -v e="$emd" -v r="$remd" -v a="$t0" -v b="$t1" -v c="$rsec" -v jc="$jcpu" -v rc="$rcpu" \
    'BEGIN{printf "%-22s %12.4g %12.4g %9.3f %9.3f %7.3f %9.2f %9.2f %7.3f\n", p, e, r, b-a, c, (b-a)/c, jc, rc, jc/rc}'
  rm -rf "$d"
done
