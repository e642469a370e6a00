#!/usr/bin/env bash
# tests/bench/mutants.sh [options] [NAME...]: how fast ./fuzz/run finds each
# deliberate JIT bug of tests/mutants/ (the bug-finding benchmark).
#
# Builds HEAD (`git archive HEAD`) once in a scratch directory (build/ and the
# libFuzzer build build-fuzz/), then for each mutant a copy with its patch
# applied (only the patched files and the links are rebuilt), and runs there,
# RUNS times,
#     ./fuzz/run --no-build --target model --time TIME --stop-on-mismatch --jobs JOBS
# with a fresh corpus (seeded from seeds/corpus/ as fuzz/run does) and fresh
# artifacts. Time to detection runs from the start of that command (start of
# the executor and of libFuzzer included) to the time of the first artifact's
# input file; the wall time of the whole command (stopping included) is in
# results.tsv too. After the first run that finds the
# bug, `callfuzz min` (of the mutant's build) shrinks the artifact, and the
# table gives the size of min.s in BPF instructions.
#
# Prints one markdown table row per mutant (docs/benchmarks.md keeps them)
# and writes every run to SCRATCH/results.tsv. Targets: every mutant found,
# median under 60 s. Exit 0 when every mutant was found in every run, 1
# otherwise, 2 on a build error, 77 when a tool is missing.
#
# options:
#   --runs N       runs per mutant (default 3; the median is of these)
#   --time S       give up a run after S seconds (default 600)
#   --jobs J       fuzz/run --jobs (default 2)
#   --min-time S   callfuzz min --time (default 60); --no-min skips it
#   --no-seeds     start from a one-byte corpus instead of seeds/corpus/
#   NAME...        only these mutants (default: every patch against this tree)
# MUTANTS_SCRATCH=DIR keeps the scratch trees and logs there (default: a
# temporary directory, removed at the end unless a run failed).
set -u
cd "$(dirname "$0")/../.."
root=$PWD
runs=3 time_limit=600 jobs=2 min_time=60 do_min=1 seeds=1
names=()
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--time) time_limit=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--min-time) min_time=$2; shift 2 ;;
	--no-min) do_min=0; shift ;;
	--no-seeds) seeds=0; shift ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "mutants.sh: unknown option $1" >&2; exit 2 ;;
	*) names+=("$1"); shift ;;
	esac
done

command -v clang >/dev/null || { echo "clang missing: install the Debian package clang"; exit 77; }
if [ "$(uname -m)" != aarch64 ] && ! command -v qemu-aarch64-static >/dev/null && ! command -v qemu-aarch64 >/dev/null; then
	echo "qemu-aarch64 missing: install the Debian package qemu-user-static"; exit 77
fi
git rev-parse --verify -q HEAD >/dev/null || { echo "not a git checkout: git archive HEAD needs one"; exit 77; }

if [ ${#names[@]} = 0 ]; then
	for p in tests/mutants/*.patch; do
		ours=1
		for t in $(sed -n 's|^+++ b/||p' "$p" | cut -f1); do [ -e "$t" ] || ours=0; done
		[ "$ours" = 1 ] && names+=("$(basename "$p" .patch)")
	done
fi

if [ -n "${MUTANTS_SCRATCH:-}" ]; then
	scratch=$MUTANTS_SCRATCH
	mkdir -p "$scratch"
	keep=1
else
	scratch=$(mktemp -d /tmp/callfuzz-mutants-XXXXXX)
	keep=0
fi
results=$scratch/results.tsv

# The fuzz target links no subcommand (harness/cli_*.c but cli.c), so that a
# subcommand that clang does not compile at the moment cannot stop the
# benchmark, and the build is shorter.
fuzz_harness_src= # set once HEAD is extracted
fuzz_harness_src_of() { cd "$1" && ls harness/*.c | grep -v -E '^harness/(main|env|cli_[a-z_]+)\.c$' | tr '\n' ' '; }
build() { # DIR: both builds, incremental
	make -C "$1" -s -j2 build/callfuzz build/callfuzz-exec >"$1/mutant-build.log" 2>&1 &&
		make -C "$1" -s -j2 BUILD=build-fuzz CC=clang FUZZ=1 SAN= HARNESS_SRC="$fuzz_harness_src" \
			build-fuzz/fuzz-diff build-fuzz/callfuzz-exec >>"$1/mutant-build.log" 2>&1 &&
		echo "CC=clang FUZZ=1 SAN=" >"$1/build-fuzz/.fuzz-flags"
}
insns_of() { # FILE.s -> BPF instruction lines (no labels, directives, comments)
	awk '{ sub(/[;#].*/, ""); sub(/\/\/.*/, "") } /^[ \t]+[^ \t]/ { n++ } END { print n + 0 }' "$1"
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

rm -rf "$scratch/base"
mkdir -p "$scratch/base"
git archive HEAD | tar -x -C "$scratch/base"
fuzz_harness_src=$(fuzz_harness_src_of "$scratch/base")
echo "mutants.sh: HEAD $(git rev-parse --short HEAD), ${#names[@]} mutants, $runs run(s) each, --time $time_limit --jobs $jobs, corpus $([ "$seeds" = 1 ] && echo seeds/corpus || echo 'one byte'); scratch $scratch"
build "$scratch/base" || { tail -n 20 "$scratch/base/mutant-build.log"; echo "mutants.sh: HEAD does not build"; exit 2; }
printf 'mutant\trun\tfound\tseconds\twall\tprograms\tsignature\n' >"$results"

echo
echo "| mutant | found | median s | min..max s | programs to find (median) | signature (first run) | min.s insns |"
echo "|---|---|---|---|---|---|---|"
all_found=1
for name in "${names[@]}"; do
	m=$scratch/$name
	rm -rf "$m"
	cp -a "$scratch/base" "$m"
	if ! (cd "$m" && git apply "$root/tests/mutants/$name.patch") 2>"$scratch/$name.apply.log"; then
		echo "| $name | does not apply | | | | | |"; all_found=0; continue
	fi
	if ! build "$m"; then
		echo "| $name | does not build | | | | | |"; all_found=0; continue
	fi
	found=0 times=() progs=() sig1= minsz=-
	for ((r = 1; r <= runs; r++)); do
		corpus=$m/corpus-$r art=$m/artifacts-$r
		rm -rf "$corpus" "$art"
		mkdir -p "$corpus"
		[ "$seeds" = 1 ] || printf '\0' >"$corpus/one-byte"
		t0=$(date +%s.%N)
		(cd "$m" && ./fuzz/run --no-build --target model --time "$time_limit" --stop-on-mismatch --jobs "$jobs" \
			--corpus "$corpus" --artifacts "$art" >"$m/run-$r.log" 2>&1)
		t1=$(date +%s.%N)
		wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
		secs=$wall
		nprog=$(sed -n 's/.*summary: [0-9]*s, \([0-9]*\) programs.*/\1/p' "$m/run-$r.log")
		bucket=$(find "$art" -mindepth 2 -maxdepth 2 -name input ! -path '*/.*' -printf '%T@ %h\n' 2>/dev/null | sort -n | head -n 1)
		if [ -n "$bucket" ]; then
			secs=$(awk -v a="$t0" -v b="${bucket%% *}" 'BEGIN { printf "%.1f", b - a }')
			bucket=$(basename "${bucket#* }")
		fi
		if [ -n "$bucket" ] && [ -s "$art/$bucket/prog.s" ]; then
			found=$((found + 1))
			times+=("$secs")
			progs+=("${nprog:-0}")
			printf '%s\t%d\t1\t%s\t%s\t%s\t%s\n' "$name" "$r" "$secs" "$wall" "${nprog:-0}" "$bucket" >>"$results"
			if [ -z "$sig1" ]; then
				sig1=$bucket
				if [ "$do_min" = 1 ] &&
					"$m/build/callfuzz" min "$art/$bucket" --time "$min_time" -q >"$m/min.log" 2>&1 &&
					[ -f "$art/$bucket/min.s" ]; then
					minsz=$(insns_of "$art/$bucket/min.s")
				fi
			fi
		else
			all_found=0
			printf '%s\t%d\t0\t%s\t%s\t%s\t-\n' "$name" "$r" "$secs" "$wall" "${nprog:-0}" >>"$results"
		fi
	done
	if [ "$found" = 0 ]; then
		echo "| $name | 0/$runs | not found in ${time_limit} s | | $(printf '%s\n' "$nprog" | head -n 1) programs ran | - | - |"
	else
		tmin=$(printf '%s\n' "${times[@]}" | sort -n | head -n 1)
		tmax=$(printf '%s\n' "${times[@]}" | sort -n | tail -n 1)
		echo "| $name | $found/$runs | $(printf '%s\n' "${times[@]}" | median) | $tmin..$tmax | $(printf '%s\n' "${progs[@]}" | median) | $sig1 | $minsz |"
	fi
	# keep the first run's artifacts, drop the trees
	[ "$keep" = 1 ] || { mkdir -p "$scratch/kept/$name"; cp -r "$m"/artifacts-* "$m"/run-*.log "$scratch/kept/$name/" 2>/dev/null; rm -rf "$m"; }
done
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "mutants.sh: results in $results$([ "$keep" = 0 ] && echo " (scratch kept: $scratch)")"
[ "$all_found" = 1 ]
