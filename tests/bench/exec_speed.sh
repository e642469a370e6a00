#!/usr/bin/env bash
# tests/bench/exec_speed.sh [INSNS...]: speed of the executor protocol.
#
# For each code size (default 64 and 1024 instructions), alternates ROUNDS
# times (EXEC_BENCH_ROUNDS, default 3) between
#   floor:  callfuzz-exec --code-ring --floor, qemu placing new code and
#           running it in a loop inside one process (what qemu itself costs),
#           with the placement the executor uses (the code ring,
#           docs/executor-protocol.md "Code placement"),
#   wx:     the same floor with --code-wx, the placement used before the
#           ring (two mprotects per new code), for reference, and
#   exec:   callfuzz bench exec, the same code sent through the protocol
#           (shared memory + doorbell, one round trip per run),
# and prints the best of each, exec/floor (target: within 1.5) and the lead's
# nominal floor (8 us + 0.32 us per instruction). Alternating keeps all
# under the same machine load. tests/bench/run_speed.sh does the same for
# whole programs through `callfuzz run`'s engine.
# Not a test: it prints figures and exits 0 (2 if something is missing).
set -u
cd "$(dirname "$0")/../.."
build=${CALLFUZZ_BUILD:-build}
rounds=${EXEC_BENCH_ROUNDS:-3}
runs=${EXEC_BENCH_RUNS:-3000}
sizes=("$@")
[ ${#sizes[@]} = 0 ] && sizes=(64 1024)

runner=()
wx=()
if [ "$(uname -m)" != aarch64 ]; then
	q=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
	[ -n "$q" ] || { echo "qemu-aarch64 missing: install the Debian package qemu-user-static"; exit 2; }
	runner=("$q")
	wx=(--code-ring) # what exec_start passes under qemu
fi
[ -x "$build/callfuzz" ] && [ -f "$build/callfuzz-exec" ] || { echo "build first: make"; exit 2; }

for n in "${sizes[@]}"; do
	best_floor= best_exec= best_wx=
	for ((r = 0; r < rounds; r++)); do
		f=$("${runner[@]}" "$build/callfuzz-exec" "${wx[@]}" --floor "$n" "$runs" |
			sed -n 's/.* \([0-9.]*\) us\/run.*/\1/p')
		w=$f
		[ ${#runner[@]} = 0 ] || w=$("${runner[@]}" "$build/callfuzz-exec" --code-wx --floor "$n" "$runs" |
			sed -n 's/.* \([0-9.]*\) us\/run.*/\1/p')
		e=$("$build/callfuzz" bench exec --insns "$n" --runs "$runs" --batches 1 |
			sed -n 's/.*(\([0-9.]*\) us\/run.*/\1/p')
		[ -n "$f" ] && [ -n "$e" ] || { echo "benchmark failed"; exit 2; }
		best_floor=$(awk -v a="$f" -v b="${best_floor:-1e99}" 'BEGIN { print (a < b) ? a : b }')
		best_exec=$(awk -v a="$e" -v b="${best_exec:-1e99}" 'BEGIN { print (a < b) ? a : b }')
		best_wx=$(awk -v a="$w" -v b="${best_wx:-1e99}" 'BEGIN { print (a < b) ? a : b }')
	done
	awk -v n="$n" -v f="$best_floor" -v e="$best_exec" -v w="$best_wx" 'BEGIN {
		nominal = 8 + 0.32 * n
		printf "%5d insns: floor %7.1f us (%6.0f runs/s)  exec %7.1f us (%6.0f runs/s)  exec/floor %.2f  (wx floor %.1f us; nominal floor %.1f us: exec/nominal %.2f)\n",
		       n, f, 1e6 / f, e, 1e6 / e, e / f, w, nominal, e / nominal
	}'
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
