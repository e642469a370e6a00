#!/usr/bin/env bash
# tests/bench/gen_speed.sh [COUNT]: speed and pass rate of the generator.
#
#   1. generation alone: `callfuzz gen --stats` over 100,000 seeds, the
#      time per program of gen_program (target: under 20 us);
#   2. the pass rate: COUNT programs (default 100,000; GEN_BENCH_COUNT) of
#      each profile through cf_check and the interpreter
#      (`callfuzz gen --verify`); any program that fails is printed (a
#      generator bug, design.md "The oracle"). Target: 100%.
# Not a test: it prints figures; exits 0, 1 if a program failed, 2 if
# something is missing.
set -u
cd "$(dirname "$0")/../.."
build=${CALLFUZZ_BUILD:-build}
count=${1:-${GEN_BENCH_COUNT:-100000}}
seed=${GEN_BENCH_SEED:-1}
[ -x "$build/callfuzz" ] || { echo "build first: make"; exit 2; }

echo "== generation: 100000 programs (model profile, seeds $seed..)"
"$build/callfuzz" gen --seed "$seed" --count 100000 --stats | grep -E '^(programs|generation)'

rc=0
for profile in "model --max-args 12" "kernel --max-args 5" "kernel --max-args 12"; do
	echo "== checker + interpreter: $count programs, --profile $profile"
	# shellcheck disable=SC2086
	"$build/callfuzz" gen --seed "$seed" --count "$count" --verify --profile $profile || rc=1
done
exit $rc
