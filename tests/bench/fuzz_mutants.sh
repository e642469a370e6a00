#!/usr/bin/env bash
# tests/bench/fuzz_mutants.sh [SECONDS]: every deliberate JIT bug in
# tests/mutants/*.patch (those against jit/), each in its own scratch copy of
# the tree, fuzzed with `fuzz/run --stop-on-mismatch --jobs 1` for at most
# SECONDS (default 120). Reports the time to detection and the signature.
# Exit 0 when every mutant was detected.
set -u
cd "$(dirname "$0")/../.."
seconds=${1:-120}
detected=0 total=0
for p in tests/mutants/*.patch; do
	grep -q '^--- a/jit/' "$p" || continue # kernel mutants have their own bench
	total=$((total + 1))
	if tests/mutants/run_jit_mutant.sh "$p" "$seconds"; then
		detected=$((detected + 1))
	fi
done
echo "fuzz_mutants: $detected of $total JIT mutants detected within $seconds s each"
[ "$detected" = "$total" ]
