#!/usr/bin/env bash
# tests/bench/fuzz_clean.sh [MINUTES] [JOBS]: ./fuzz/run on the clean tree
# for MINUTES (default 10) with JOBS jobs (default: one per core), in a
# fresh corpus seeded from seeds/corpus/ and a scratch artifacts directory.
# Expected: zero mismatches. Prints programs/s and the per-stage split
# (generate, check, jit, execute = transfer + run under qemu, interpret on
# the worker thread, the wait it did not hide, compare). Any mismatch here
# is a bug of the JIT, the interpreter or the generator: the buckets are
# kept in the printed directory for triage.
# TARGET=vm fuzzes the real kernel instead of the model JIT.
# Exit 0 no mismatch, 1 mismatches, else the fuzz/run error.
set -u
cd "$(dirname "$0")/../.."
minutes=${1:-10}
jobs=${2:-$(nproc 2>/dev/null || echo 2)}
out=$(mktemp -d /tmp/callfuzz-clean-XXXXXX)
echo "fuzz_clean: $minutes min, $jobs job(s), corpus and artifacts in $out"
./fuzz/run --target "${TARGET:-model}" --time $((minutes * 60)) --jobs "$jobs" --interval 30 --corpus "$out/corpus" --artifacts "$out/artifacts"
rc=$?
if [ $rc = 0 ]; then
	rm -rf "$out"
	echo "fuzz_clean: no mismatch"
else
	echo "fuzz_clean: fuzz/run exited $rc; artifacts kept in $out/artifacts"
fi
exit $rc
