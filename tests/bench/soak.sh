#!/usr/bin/env bash
# tests/bench/soak.sh [--time S] [--jobs J]: reliability of fuzz/run against
# a JIT that crashes and hangs.
#
# Builds HEAD (`git archive HEAD`) in a scratch directory with two mutants
# applied together: tests/mutants/jit-19-kfunc12-wild-branch.patch (a call of
# kf_args12 branches to an unmapped address: SIGSEGV in the executor) and
# jit-20-prologue-spin-7args.patch (a 7-argument function's prologue spins:
# the watchdog kills the executor). Runs
#     ./fuzz/run --no-build --target model --time S --jobs J
# (default 1800 s, 2 jobs) and checks, at the end:
#   - no job died (fuzz/run exit status 1: mismatches found, never 3);
#   - the executor was restarted (stats exec_restarts) and fuzzing went on;
#   - no artifact lost: every mismatch the jobs counted has its hit line in a
#     bucket, every bucket has input, prog.s and report.txt, no .tmp-* left,
#     and the CRASH and TIMEOUT buckets are there;
#   - RSS of each job (fuzz-diff) and of its executor (qemu) after 30 s and
#     near the end.
# Prints the figures; exit 0 when every check holds, 1 otherwise, 2 on a
# build error. SOAK_SCRATCH=DIR keeps the scratch tree there.
set -u
cd "$(dirname "$0")/../.."
root=$PWD
seconds=1800 jobs=2
while [ $# -gt 0 ]; do
	case "$1" in
	--time) seconds=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "soak.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
if [ -n "${SOAK_SCRATCH:-}" ]; then
	scratch=$SOAK_SCRATCH
	rm -rf "$scratch"
	mkdir -p "$scratch"
else
	scratch=$(mktemp -d /tmp/callfuzz-soak-XXXXXX)
	trap 'rm -rf "$scratch"' EXIT
fi
tree=$scratch/tree
mkdir -p "$tree"
git archive HEAD | tar -x -C "$tree"
for m in jit-19-kfunc12-wild-branch jit-20-prologue-spin-7args; do
	(cd "$tree" && git apply "$root/tests/mutants/$m.patch") || { echo "soak.sh: $m does not apply"; exit 2; }
done
echo "soak.sh: HEAD $(git rev-parse --short HEAD) + jit-19 (crash) + jit-20 (hang); building in $tree"
if ! { make -C "$tree" -s -j2 build/callfuzz build/callfuzz-exec &&
	make -C "$tree" -s -j2 BUILD=build-fuzz CC=clang FUZZ=1 SAN= build-fuzz/fuzz-diff build-fuzz/callfuzz-exec; } \
	>"$scratch/build.log" 2>&1; then
	tail -n 20 "$scratch/build.log"; echo "soak.sh: build failed"; exit 2
fi
echo "CC=clang FUZZ=1 SAN=" >"$tree/build-fuzz/.fuzz-flags"

rss_of() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
rss_line() { # fuzz/run pid -> "job:KiB+KiB ..." (fuzz-diff + its qemu)
	local line= j c kids
	for j in $(pgrep -P "$1" -f fuzz-diff); do
		kids=0
		for c in $(cat /proc/"$j"/task/*/children 2>/dev/null); do kids=$((kids + $(rss_of "$c"))); done
		line+=" $(awk -v s="$(rss_of "$j")" -v k="$kids" 'BEGIN { printf "%.1f+%.1f", s / 1024, k / 1024 }')"
	done
	echo "${line:- (no job running)}"
}

art=$scratch/artifacts
(cd "$tree" && exec ./fuzz/run --no-build --target model --time "$seconds" --jobs "$jobs" --corpus "$scratch/corpus" \
	--artifacts "$art" --interval 30) >"$scratch/run.log" 2>&1 &
runpid=$!
t0=$(date +%s)
rss_start= rss_end=
while kill -0 "$runpid" 2>/dev/null; do
	sleep 1
	el=$(($(date +%s) - t0))
	[ -z "$rss_start" ] && [ "$el" -ge 30 ] && rss_start=$(rss_line "$runpid")
	[ "$el" -ge $((seconds - 10)) ] && [ "$el" -lt "$seconds" ] && rss_end=$(rss_line "$runpid")
done
wait "$runpid"
rc=$?

stat() { cat "$art"/.stats/run-*/* 2>/dev/null | awk -v k="$1" '$1 == k { s += $2 } END { printf "%.0f", s }'; }
programs=$(stat programs) mismatches=$(stat mismatches) restarts=$(stat exec_restarts)
hits=0 buckets=0 incomplete=0
for b in "$art"/*/; do
	[ -d "$b" ] || continue
	buckets=$((buckets + 1))
	hits=$((hits + $(wc -l <"$b/hits" 2>/dev/null || echo 0)))
	for f in input prog.s report.txt; do [ -s "$b/$f" ] || { incomplete=$((incomplete + 1)); echo "  incomplete bucket: $b ($f missing)"; }; done
done
tmps=$(find "$art" -mindepth 1 -maxdepth 1 -name '.tmp-*' | wc -l)
grep -E 'summary|per program' "$scratch/run.log" | sed 's/^fuzz\/run: /  /'
echo "  buckets: $(find "$art" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%f ' | tr -s ' ')"
echo "  programs $programs, mismatches $mismatches, hit lines $hits, executor restarts $restarts"
echo "  RSS MiB (fuzz-diff+executor per job) after 30 s:${rss_start:- (not sampled)}; near the end:${rss_end:- (not sampled)}"

ok=1
check() { if eval "$2"; then echo "  ok    $1"; else echo "  FAIL  $1"; ok=0; fi; }
check "fuzz/run exit status $rc (1: mismatches found; 3 would be a job that died)" '[ "$rc" = 1 ]'
check "the executor was restarted ($restarts times) and fuzzing went on ($programs programs)" '[ "$restarts" -gt 0 ] && [ "$programs" -gt "$restarts" ]'
check "no artifact lost: $hits hit lines for $mismatches counted mismatches" '[ "$hits" -ge "$mismatches" ] && [ "$mismatches" -gt 0 ]'
check "every bucket complete, no .tmp-* left ($tmps)" '[ "$incomplete" = 0 ] && [ "$tmps" = 0 ]'
check "a CRASH and a TIMEOUT bucket" 'ls "$art" | grep -q "^CRASH" && ls "$art" | grep -q "^TIMEOUT"'
[ "$ok" = 1 ]
