#!/usr/bin/env bash
# tests/e2e/mutants_apply.sh: every deliberate JIT bug in tests/mutants/
# still applies to HEAD (`git apply --check`), has its one-line description
# in tests/mutants/README.md and, when it patches this tree, its witness
# program tests/mutants/<name>.s. Fast: no build. Patches for a kernel tree
# (kernel-*.patch, paths under arch/) are checked by their own benchmark.
# Exit 0 pass, 77 skip, else fail.
set -u
cd "$(dirname "$0")/../.."
dir=tests/mutants
[ -d "$dir" ] || { echo "no $dir"; exit 77; }
command -v git >/dev/null || { echo "git missing: install the Debian package git"; exit 77; }

# Check against HEAD, not the working tree (other people's uncommitted
# edits): a throwaway index holding HEAD, and --cached.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check=(git apply --check)
if git rev-parse --verify -q HEAD >/dev/null 2>&1; then
	GIT_INDEX_FILE=$tmp/index git read-tree HEAD || { echo "FAIL: git read-tree HEAD"; exit 1; }
	check=(env GIT_INDEX_FILE="$tmp/index" git apply --check --cached)
fi

n=0 bad=0
for p in "$dir"/*.patch; do
	[ -f "$p" ] || continue
	name=$(basename "$p" .patch)
	targets=$(sed -n 's|^+++ b/||p' "$p" | cut -f1)
	[ -n "$targets" ] || { echo "FAIL $name: no '+++ b/PATH' line (not a unified diff?)"; bad=$((bad + 1)); continue; }
	grep -q -- "$name" "$dir/README.md" 2>/dev/null || { echo "FAIL $name: no line in $dir/README.md"; bad=$((bad + 1)); }
	ours=1
	for t in $targets; do [ -e "$t" ] || ours=0; done
	if [ "$ours" = 0 ]; then
		echo "skip $name: patches $(echo $targets) (another tree)"
		continue
	fi
	n=$((n + 1))
	if ! out=$("${check[@]}" "$p" 2>&1); then
		echo "FAIL $name: does not apply to HEAD: $out"
		bad=$((bad + 1))
	fi
	[ -f "$dir/$name.s" ] || { echo "FAIL $name: no witness $dir/$name.s"; bad=$((bad + 1)); }
done
[ "$n" -gt 0 ] || { echo "FAIL: no mutant patches against this tree in $dir"; exit 1; }
echo "$n mutants apply to HEAD, $bad problem(s)"
[ "$bad" = 0 ]
