#!/usr/bin/env bash
# tests/bench/interp_speed.sh: instructions per second of the reference
# interpreter (target: at least 100 million per second on one core).
#
# Generates a program whose loop body is ~10,000 instructions (ALU64 and
# ALU32 arithmetic, shifts, stack stores and loads, a not-taken branch),
# runs it through `callfuzz interp --repeat`, and prints the rate. Not a
# unit test: run it by hand.
#
#   tests/bench/interp_speed.sh [ITERATIONS_PER_RUN] [RUNS]
set -eu
cd "$(dirname "$0")/../.."
build="${CALLFUZZ_BUILD:-build}"
iters="${1:-100}"
runs="${2:-50}"
[ -x "$build/callfuzz" ] || make -s -j2 "$build/callfuzz"

prog=$(mktemp /tmp/interp-speed.XXXXXX.s)
trap 'rm -f "$prog"' EXIT
{
	echo ".func main"
	echo "    r0 = 0"
	echo "    r1 = 1"
	echo "    r2 = 3"
	echo "    r3 = 5"
	echo "    *(u64 *)(r10 - 8) = r3"
	echo "    r6 = $iters"
	echo "loop:"
	for ((i = 0; i < 1000; i++)); do
		echo "    r0 += r1"
		echo "    r1 ^= r2"
		echo "    r2 *= 7"
		echo "    w3 += 11"
		echo "    r4 = r0"
		echo "    r4 >>= 3"
		echo "    *(u64 *)(r10 - 16) = r4"
		echo "    r5 = *(u64 *)(r10 - 8)"
		echo "    r0 += r5"
		echo "    if r0 == 12345 goto out"
	done
	echo "    r6 -= 1"
	echo "    if r6 != 0 goto loop"
	echo "out:"
	echo "    exit"
} >"$prog"

echo "program: $(grep -c '^    ' "$prog") instructions, loop body 10002, $iters iterations per run, $runs runs"
# --no-check: the checker walks every loop iteration and rightly refuses
# 100 x 10,000 processed insns; the benchmark measures the interpreter only.
out=$("$build/callfuzz" interp "$prog" --no-check --budget 1000000000 --repeat "$runs") || { echo "$out"; exit 1; }
echo "$out"
rate=$(sed -n 's/.*insns\/s: \([0-9]*\).*/\1/p' <<<"$out")
if [ "${rate:-0}" -ge 100000000 ]; then
	echo "interp speed: $((rate / 1000000)) M insns/s (target 100 M: met)"
else
	echo "interp speed: $((${rate:-0} / 1000000)) M insns/s (target 100 M: NOT met)"
fi
