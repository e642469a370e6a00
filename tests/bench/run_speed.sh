#!/usr/bin/env bash
# tests/bench/run_speed.sh [RUNS]: programs per second through `callfuzz
# run`'s engine (check, interpreter, JIT, executor, compare) for the fixed
# program sets in tests/bench/progs/ (8 programs of about 100 BPF
# instructions, 8 of about 1,000), split by stage, next to the floor of qemu
# placing and running the same arm64 code alone (`callfuzz bench run`,
# docs/executor-protocol.md "Performance"). Target: jit + transfer +
# execution + compare within 1.5x of the floor.
# RUNS (default 2000 for the small set; a tenth for the large one) per
# batch, 3 batches alternating engine and floor, best of each.
# Not a test: it prints figures and exits 0 (2 if something is missing).
set -u
cd "$(dirname "$0")/../.."
build=${CALLFUZZ_BUILD:-build}
runs=${1:-2000}
[ -x "$build/callfuzz" ] && [ -f "$build/callfuzz-exec" ] || { echo "build first: make"; exit 2; }

echo "== about 100 BPF instructions (tests/bench/progs/p100-*.s)"
"$build/callfuzz" bench run --runs "$runs" tests/bench/progs/p100-*.s || exit 2
echo "== about 1,000 BPF instructions (tests/bench/progs/p1000-*.s)"
"$build/callfuzz" bench run --runs $((runs / 10 > 0 ? runs / 10 : 1)) tests/bench/progs/p1000-*.s || exit 2
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
