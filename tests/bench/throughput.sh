#!/usr/bin/env bash
# tests/bench/throughput.sh: programs per second of the fuzz loop and where
# the time goes, against the executor's floors; memory per job; how the cost
# grows with program size and call depth.
#
#   1. fuzz/run --target model itself (libFuzzer, 1 job, FUZZ_SECONDS, default 60): its
#      summary (programs/s, per-stage split from the loop's counters,
#      fuzz/loop/loop.h) and the RSS of the job (fuzz-diff) and of its
#      executor (qemu-aarch64) at the end.
#   2. `callfuzz bench loop` on generator seeds (the default profile, no
#      libFuzzer): programs/s, stage split, sizes (BPF slots, arm64
#      instructions, interpreted instructions), RSS.
#   3. the floors for code of the loop's mean arm64 size: `callfuzz bench
#      exec` (protocol round trip + qemu translating fresh code) and
#      `callfuzz-exec --floor` (qemu alone, no protocol).
#   4. the same loop with --max-insns 50..1600, then --max-funcs 1..32 (the
#      call tree's size and depth grow with it).
# Not a test: prints figures (docs/benchmarks.md keeps them) and exits 0,
# or 2 when something is missing. Uses build/ and build-fuzz/ as they are
# (run ./build.sh and fuzz/run once first, or let step 1 build).
set -u
cd "$(dirname "$0")/../.."
build=${CALLFUZZ_BUILD:-build}
count=${LOOP_COUNT:-1000}
fuzz_seconds=${FUZZ_SECONDS:-60}
cf=$build/callfuzz
[ -x "$cf" ] && [ -f "$build/callfuzz-exec" ] || { echo "build first: ./build.sh"; exit 2; }
runner=()
wx=()
if [ "$(uname -m)" != aarch64 ]; then
	q=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
	[ -n "$q" ] || { echo "qemu-aarch64 missing: install the Debian package qemu-user-static"; exit 2; }
	runner=("$q")
	wx=(--code-ring) # the placement exec_start uses under qemu
fi

rss_tree() { # PID -> "self_kib children_kib"
	local self kids=0 c
	self=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		kids=$((kids + $(awk '/^VmRSS:/ { print $2 }' "/proc/$c/status" 2>/dev/null || echo 0)))
	done
	echo "${self:-0} $kids"
}

echo "== 1. fuzz/run --jobs 1 --time $fuzz_seconds (libFuzzer, the shipped corpus)"
tmp=$(mktemp -d /tmp/callfuzz-throughput-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
./fuzz/run --target model --jobs 1 --time "$fuzz_seconds" --corpus "$tmp/corpus" --artifacts "$tmp/artifacts" >"$tmp/run.log" 2>&1 &
runpid=$!
rss=
t0=$(date +%s)
while kill -0 "$runpid" 2>/dev/null; do
	sleep 0.5
	# sample near the end of the run (the corpus, and libFuzzer's RSS, grow)
	[ -z "$rss" ] && [ $(($(date +%s) - t0)) -ge $((fuzz_seconds - 3)) ] || continue
	job=$(pgrep -P "$runpid" -f fuzz-diff | head -n 1)
	[ -n "$job" ] && rss=$(rss_tree "$job")
done
wait "$runpid"
grep -E 'summary|per program' "$tmp/run.log" | sed 's/^fuzz\/run: /  /'
[ -n "$rss" ] && awk -v s="${rss% *}" -v c="${rss#* }" 'BEGIN { printf "  RSS per job near the end: fuzz-diff %.1f MiB, executor (qemu) %.1f MiB\n", s / 1024, c / 1024 }'

echo "== 2. callfuzz bench loop --count $count (default profile, generator seeds; best of 3)"
best=
for r in 1 2 3; do
	out=$("$cf" bench loop --count "$count" --seed $((1 + (r - 1) * count)))
	ps=$(sed -n 's/.*: \([0-9.]*\) programs\/s.*/\1/p' <<<"$out")
	if [ -z "$best" ] || awk -v a="$ps" -v b="$(sed -n 's/.*: \([0-9.]*\) programs\/s.*/\1/p' <<<"$best")" 'BEGIN { exit !(a > b) }'; then
		best=$out
	fi
done
sed 's/^/  /' <<<"$best"
arm=$(sed -n 's/.* \([0-9.]*\) arm64 insns.*/\1/p' <<<"$best" | cut -d. -f1)
exec_us=$(sed -n 's/.* execute \([0-9.]*\) .*/\1/p' <<<"$best")

echo "== 3. floors for ${arm} arm64 instructions (the loop's mean code size)"
fl=$("${runner[@]}" "$build/callfuzz-exec" "${wx[@]}" --floor "$arm" 3000 | sed -n 's/.* \([0-9.]*\) us\/run.*/\1/p')
ex=$("$cf" bench exec --insns "$arm" --runs 3000 --batches 3 | sed -n 's/.*(\([0-9.]*\) us\/run.*/\1/p')
awk -v e="$exec_us" -v x="$ex" -v f="$fl" 'BEGIN {
	printf "  qemu alone (callfuzz-exec --floor): %.1f us/run; protocol + qemu (bench exec): %.1f us/run\n", f, x
	printf "  the loop'"'"'s execute stage: %.1f us/program = %.1fx the protocol floor, %.1fx qemu alone\n", e, e / x, e / f
	printf "  (straight-line code: a program with loops and calls runs more instructions than its size)\n"
}'

echo "== 4. cost against program size and call depth (bench loop, --count $((count / 2)))"
printf '  %-16s %10s %10s %10s %12s %12s %10s\n' option programs/s us/program bpf-slots arm64-insns interp-insns exec-us
for opt in "--max-insns 50" "--max-insns 100" "--max-insns 400" "--max-insns 1600" \
	"--max-funcs 1" "--max-funcs 2" "--max-funcs 4" "--max-funcs 10" "--max-funcs 32"; do
	# shellcheck disable=SC2086 # opt is two words
	out=$("$cf" bench loop --count $((count / 2)) $opt)
	awk -v o="$opt" '
		/programs\/s/ { for (i = 1; i <= NF; i++) if ($i == "programs/s") ps = $(i - 1) }
		/^stage/ { for (i = 1; i <= NF; i++) { if ($i == "wall") w = $(i + 1); if ($i == "execute") x = $(i + 1) } }
		/^per program/ { b = $3; a = $6; n = $9 }
		END { printf "  %-16s %10s %10s %10s %12s %12s %10s\n", o, ps, w, b, a, n, x }' <<<"$out"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
