#!/usr/bin/env bash
# tests/bench/mutants_witness.sh [NAME...]: each deliberate JIT bug of
# tests/mutants/ is shown by its witness program.
#
# For every NAME.patch that patches this tree (default: all of them), builds
# HEAD (`git archive HEAD`) once in a scratch directory, then a copy with the
# patch applied (only the patched files and the link are rebuilt), and runs
# tests/mutants/NAME.s through `callfuzz run` on both: the clean tree must say
# "equal" (exit 0) and the mutant "mismatch" (exit 1). A line "; run: FLAGS"
# in the witness adds flags (e.g. --no-lse). One line per mutant, then a
# summary; exit 0 when every witness shows its bug, 1 otherwise, 2 when the
# build fails, 77 when a tool is missing.
#
# MUTANTS_SCRATCH=DIR keeps the scratch trees there (default: a temporary
# directory, removed at the end).
set -u
cd "$(dirname "$0")/../.."
root=$PWD
if [ "$(uname -m)" != aarch64 ] && ! command -v qemu-aarch64-static >/dev/null && ! command -v qemu-aarch64 >/dev/null; then
	echo "qemu-aarch64 missing: install the Debian package qemu-user-static"; exit 77
fi
[ "$(uname -m)" = aarch64 ] || command -v aarch64-linux-gnu-gcc >/dev/null ||
	{ echo "aarch64-linux-gnu-gcc missing: install gcc-aarch64-linux-gnu and libc6-dev-arm64-cross"; exit 77; }
git rev-parse --verify -q HEAD >/dev/null || { echo "not a git checkout: git archive HEAD needs one"; exit 77; }

if [ -n "${MUTANTS_SCRATCH:-}" ]; then
	scratch=$MUTANTS_SCRATCH
	mkdir -p "$scratch"
else
	scratch=$(mktemp -d /tmp/callfuzz-witness-XXXXXX)
	trap 'rm -rf "$scratch"' EXIT
fi

names=("$@")
if [ ${#names[@]} = 0 ]; then
	for p in tests/mutants/*.patch; do
		ours=1
		for t in $(sed -n 's|^+++ b/||p' "$p" | cut -f1); do [ -e "$t" ] || ours=0; done
		[ "$ours" = 1 ] && names+=("$(basename "$p" .patch)")
	done
fi

build() { # DIR -> 0 if build/callfuzz and the executor built
	make -C "$1" -s -j2 build/callfuzz build/callfuzz-exec >"$1/witness-build.log" 2>&1
}
verdict() { # callfuzz-output -> one short line
	awk 'NR == 1 { sub(/ \(jit .*/, ""); print; exit }' <<<"$1" | cut -c1-90
}

rm -rf "$scratch/base"
mkdir -p "$scratch/base"
git archive HEAD | tar -x -C "$scratch/base"
echo "mutants_witness: building HEAD ($(git rev-parse --short HEAD)) in $scratch/base"
build "$scratch/base" || { tail -n 20 "$scratch/base/witness-build.log"; echo "mutants_witness: HEAD does not build"; exit 2; }

shown=0 failed=0
for name in "${names[@]}"; do
	patch=$root/tests/mutants/$name.patch
	wit=$root/tests/mutants/$name.s
	if [ ! -f "$patch" ] || [ ! -f "$wit" ]; then
		printf '%-36s FAIL  no %s\n' "$name" "$([ -f "$patch" ] && echo "witness $name.s" || echo "patch $name.patch")"
		failed=$((failed + 1)); continue
	fi
	flags=$(sed -n 's/^; run: //p' "$wit" | head -n 1)
	m=$scratch/$name
	rm -rf "$m"
	cp -a "$scratch/base" "$m"
	if ! (cd "$m" && git apply "$patch" 2>"$m/apply.log"); then
		printf '%-36s FAIL  does not apply: %s\n' "$name" "$(head -n 1 "$m/apply.log")"
		failed=$((failed + 1)); continue
	fi
	if ! build "$m"; then
		printf '%-36s FAIL  does not build: %s\n' "$name" "$(grep -m 1 error "$m/witness-build.log")"
		failed=$((failed + 1)); continue
	fi
	# shellcheck disable=SC2086 # flags are words
	clean_out=$("$scratch/base/build/callfuzz" run "$wit" $flags 2>&1); clean_rc=$?
	# shellcheck disable=SC2086
	mut_out=$("$m/build/callfuzz" run "$wit" $flags 2>&1); mut_rc=$?
	if [ "$clean_rc" = 0 ] && [ "$mut_rc" = 1 ] && grep -q '^mismatch' <<<"$mut_out"; then
		printf '%-36s ok    clean: equal | mutant: %s\n' "$name" "$(verdict "$mut_out")"
		shown=$((shown + 1))
	else
		printf '%-36s FAIL  clean (exit %d): %s | mutant (exit %d): %s\n' "$name" "$clean_rc" \
			"$(verdict "$clean_out")" "$mut_rc" "$(verdict "$mut_out")"
		failed=$((failed + 1))
	fi
	[ -n "${MUTANTS_SCRATCH:-}" ] || rm -rf "$m"
done
echo "mutants_witness: ${#names[@]} mutants, $shown shown by their witness, $failed not"
[ "$failed" = 0 ]
