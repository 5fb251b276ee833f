#!/usr/bin/env bash
# `cabacheck bench` at small bounds, twice per ratio row, so that the bench
# (its child processes, the SPIN rows, the medians and ratios) cannot rot;
# its figures on a CI machine mean nothing and are not checked.
set -euo pipefail
out="$(bin/cabacheck bench --quick --runs 2)"
echo "$out"
for want in "2 workers / 1 worker" "SPIN pan -u2 / cabacheck 2 workers" "median of 2 runs in turn"; do
	grep -q "$want" <<<"$out" || { echo "bench --quick printed no '$want'"; exit 1; }
done
