#!/usr/bin/env bash
# tests/bench/min_mutants.sh: for every JIT mutant under tests/mutants/
# (patches against jit/), build a scratch tree with it, let the generator
# find a program on which the mutant JIT and the interpreter disagree
# (`callfuzz gen` seeds, `callfuzz run` each), then `callfuzz min` it and
# report size before/after and the time. Target (issue 7): at most 25
# instructions, found within 30 s.
#
#   tests/bench/min_mutants.sh [MUTANT.patch...]   (default: every JIT mutant,
#                                                   tests/mutants/*.patch but kernel-*)
# The program comes from the generator (the first of SEEDS programs that
# mismatches, with LSE atomics, then with --no-lse), else the mutant's
# witness NAME.s (column "from").
# Environment: MIN_TIME (default 30), SEEDS (programs to try, default 400),
# KEEP=1 keeps the scratch trees (printed).
set -u
cd "$(dirname "$0")/../.."
root=$PWD
min_time=${MIN_TIME:-30}
nseeds=${SEEDS:-400}
patches=("$@")
if [ ${#patches[@]} -eq 0 ]; then
	for p in tests/mutants/*.patch; do
		case $(basename "$p") in kernel-*) ;; *) patches+=("$p") ;; esac
	done
fi

# A copy of the tracked tree (with its current content) and the objects of
# build/ (times kept, so that make only recompiles what the patch touches).
scratch_tree() { # patch dir
	local patch=$1 dir=$2
	mkdir -p "$dir"
	git ls-files -z | xargs -0 cp -p --parents -t "$dir" 2>/dev/null
	[ -d build/obj ] && mkdir -p "$dir/build" && cp -a build/obj "$dir/build/"
	(cd "$dir" && patch -s -p1 <"$root/$patch" && make -s -j2 build/callfuzz build/callfuzz-exec >build.log 2>&1) ||
		{ echo "build of $patch failed: $dir/build.log"; return 1; }
}

printf '%-40s %-28s %6s %6s %7s %s\n' mutant signature before after time from
status=0
for patch in "${patches[@]}"; do
	name=$(basename "$patch" .patch)
	dir=$(mktemp -d /tmp/callfuzz-mutant-XXXXXX)
	if ! scratch_tree "$patch" "$dir"; then
		status=1
		continue
	fi
	cf=$dir/build/callfuzz
	mkdir -p "$dir/progs"
	"$cf" gen --seed 1 --count "$nseeds" -o "$dir/progs" >/dev/null
	found= flags=
	for lse in "" --no-lse; do
		for s in $(seq 1 "$nseeds"); do
			f=$dir/progs/gen-$s.s
			[ -f "$f" ] || continue
			if "$cf" run "$f" $lse 2>&1 | grep -q '^mismatch:'; then
				found=$f flags=$lse
				break 2
			fi
		done
	done
	witness=${patch%.patch}.s
	if [ -z "$found" ] && [ -f "$witness" ]; then
		cp "$witness" "$dir/witness.s"
		found=$dir/witness.s
		flags=$(sed -n 's/^; run: *//p' "$witness" | head -n 1)
	fi
	if [ -z "$found" ]; then
		printf '%-40s %-28s %6s %6s %7s %s\n' "$name" "(no mismatch: $nseeds programs, no witness)" - - - -
		status=1
	else
		start=$(date +%s.%N)
		out=$("$cf" min "$found" $flags --time "$min_time" -q 2>&1)
		end=$(date +%s.%N)
		line=$(grep '^min: .* -> ' <<<"$out")
		sig=$(sed -n 's/^min: \([^:]*\): .*/\1/p' <<<"$line")
		before=$(sed -n 's/.*: \([0-9]*\) -> \([0-9]*\) insns.*/\1/p' <<<"$line")
		after=$(sed -n 's/.*: \([0-9]*\) -> \([0-9]*\) insns.*/\2/p' <<<"$line")
		printf '%-40s %-28s %6s %6s %6.1fs %s\n' "$name" "${sig:-?}" "${before:-?}" "${after:-?}" \
			"$(echo "$end - $start" | bc)" "$(basename "$found")${flags:+ $flags}"
		if [ -z "$after" ] || [ "$after" -gt 25 ]; then
			echo "$out" | tail -5
			status=1
		fi
	fi
	if [ "${KEEP:-0}" = 1 ]; then echo "  kept $dir"; else rm -rf "$dir"; fi
done
exit $status
