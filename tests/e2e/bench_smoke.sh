#!/usr/bin/env bash
# tests/e2e/bench_smoke.sh: the speed benchmarks still run and say what they
# should (tests/bench/exec_speed.sh, run_speed.sh; `callfuzz bench exec|run`),
# on tiny counts: figures are not checked here (docs/benchmarks.md), only
# that each stage is reported, that the floor ran the engine's very code
# (bench run checks the r0 sum), and that bad input is refused.
# Exit 0 pass, 77 skip, else fail.
set -u
cd "$(dirname "$0")/../.."
build=${CALLFUZZ_BUILD:-build}
cf=$build/callfuzz
[ -x "$cf" ] || { echo "no $cf (run make)"; exit 1; }
[ -f "$build/callfuzz-exec" ] || { echo "no $build/callfuzz-exec (needs gcc-aarch64-linux-gnu)"; exit 77; }
q=
if [ "$(uname -m)" != aarch64 ]; then
	q=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
	[ -n "$q" ] || { echo "qemu-aarch64 missing: install qemu-user-static"; exit 77; }
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

out=$("$cf" bench run --runs 16 --batches 1 tests/bench/progs/p100-*.s 2>&1) || fail "bench run exited $?: $out"
for stage in check interpret jit transfer execution compare; do
	grep -q "us/program:.* $stage [0-9.]*" <<<"$out" || fail "no $stage time: $out"
done
grep -q '^run engine: 8 programs' <<<"$out" || fail "not 8 programs: $out"
grep -qE 'engine/floor [0-9.]+ \(target 1.5\)' <<<"$out" || fail "no ratio: $out"

# A program the checker rejects is not measured.
printf '.func main\n    r0 = r2\n    exit\n' >"$tmp/bad.s"
out=$("$cf" bench run --runs 4 --batches 1 "$tmp/bad.s" tests/bench/progs/p100-20190.s 2>&1) &&
	fail "bench run measured a rejected program: $out"
grep -q 'bad.s: rejected' <<<"$out" || fail "rejection not named: $out"
"$cf" bench run --runs 0 tests/bench/progs/p100-20190.s >/dev/null 2>&1 && fail "--runs 0 accepted"

# The floor refuses what is not a code file.
printf 'CFFLOOR0' >"$tmp/notcode"
out=$(${q:+"$q"} "$build/callfuzz-exec" --code-ring --floor-code "$tmp/notcode" 10 2>&1) &&
	fail "--floor-code took a bad file: $out"
grep -q 'not a code file' <<<"$out" || fail "bad file not explained: $out"

out=$("$cf" bench exec --insns 64 --runs 200 --batches 1 2>&1) || fail "bench exec exited $?: $out"
grep -qE 'exec 64 insns: .*executor busy [0-9.]+ us, transfer [0-9.]+ us' <<<"$out" || fail "bench exec: $out"

# The executor's environment reaches it through the CLI (cli_exec_env):
# $CALLFUZZ_SPIN_US a fixed budget, 0 never; $CALLFUZZ_JOBS beyond half the
# CPUs: no spinning; --spin-us wins over the environment; $CALLFUZZ_EXEC
# and $CALLFUZZ_QEMU choose the binaries.
spin_of() { "$cf" bench exec --insns 64 --runs 20 --batches 1 "$@" 2>&1 | sed -n 's/^executor: [^,]*, //p'; }
s=$(CALLFUZZ_JOBS= CALLFUZZ_SPIN_US=123 spin_of)
[ "$s" = 'spin 123 us ($CALLFUZZ_SPIN_US)' ] || fail "CALLFUZZ_SPIN_US=123: '$s'"
s=$(CALLFUZZ_SPIN_US=0 spin_of)
[ "$s" = 'no spinning' ] || fail "CALLFUZZ_SPIN_US=0: '$s'"
s=$(CALLFUZZ_SPIN_US= CALLFUZZ_JOBS=100000 spin_of)
[ "$s" = 'no spinning' ] || fail "CALLFUZZ_JOBS=100000: '$s'"
s=$(CALLFUZZ_SPIN_US=0 spin_of --spin-us 77)
[ "$s" = 'spin 77 us' ] || fail "--spin-us 77 under CALLFUZZ_SPIN_US=0: '$s'"
out=$(CALLFUZZ_EXEC=/nonexistent/callfuzz-exec "$cf" bench exec --insns 64 --runs 20 --batches 1 2>&1) &&
	fail "CALLFUZZ_EXEC ignored: $out"
grep -q '/nonexistent/callfuzz-exec' <<<"$out" || fail "CALLFUZZ_EXEC not named: $out"
if [ -n "$q" ]; then
	out=$(CALLFUZZ_QEMU=/nonexistent/qemu-aarch64 "$cf" bench run --runs 4 --batches 1 tests/bench/progs/p100-20190.s 2>&1) &&
		fail "CALLFUZZ_QEMU ignored: $out"
	grep -q "qemu '/nonexistent/qemu-aarch64' not found" <<<"$out" || fail "CALLFUZZ_QEMU not named: $out"
fi

out=$(EXEC_BENCH_RUNS=200 EXEC_BENCH_ROUNDS=1 tests/bench/exec_speed.sh 64 2>&1) || fail "exec_speed.sh: $out"
grep -qE '64 insns: floor .* exec/floor [0-9.]+' <<<"$out" || fail "exec_speed.sh: $out"
out=$(tests/bench/run_speed.sh 20 2>&1) || fail "run_speed.sh: $out"
[ "$(grep -c 'engine/floor' <<<"$out")" = 2 ] || fail "run_speed.sh: $out"
echo "bench smoke: bench run, bench exec, --floor-code, exec_speed.sh, run_speed.sh"
