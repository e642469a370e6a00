#!/usr/bin/env bash
# tests/e2e/fuzz_mutant.sh: the fuzzer finds a deliberate JIT bug. The
# mutant (tests/mutants/call_no_mov_x8.patch: x0 not moved into x8 after a
# call, found in seconds) is applied to a scratch copy of the tree, built
# there and fuzzed with `fuzz/run --stop-on-mismatch` for at most 120 s; an
# artifact must appear. tests/bench/fuzz_mutants.sh runs every mutant.
# Exit 0 pass, 77 skip, else fail.
set -u
cd "$(dirname "$0")/../.."
tests/mutants/run_jit_mutant.sh tests/mutants/call_no_mov_x8.patch 120
rc=$?
case $rc in
0) exit 0 ;;
77) exit 77 ;;
*) echo "FAIL: the mutant was not detected (exit $rc)"; exit 1 ;;
esac
