#!/usr/bin/env bash
# tests/e2e/vm_kernel_tree_bisect.sh: `callfuzz run --target vm --kernel-tree
# DIR` exits 125 when harness/target/kernel-tree.sh fails, so that `git bisect
# run` skips a commit that does not build instead of calling it bad; its own
# bad usage stays 2. The failing tree is an empty directory: kernel-tree.sh
# rejects it ("not a kernel source tree") before it configures, builds or
# fetches anything (only the tree `debian` is fetched), so this costs
# milliseconds and needs neither qemu nor a kernel image. Exit 0 pass, 1 fail.
set -u
cd "$(dirname "$0")/../.."
build=${CALLFUZZ_BUILD:-build}
cf=$build/callfuzz
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$cf" ] || fail "$cf not built"
tmp=$(mktemp -d /tmp/callfuzz-e2e-bisect.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/empty"
printf '.func main\n    r0 = 1\n    exit\n' >"$tmp/p.s"

"$cf" run --target vm --kernel-tree "$tmp/empty" "$tmp/p.s" >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
[ $rc = 125 ] || fail "a tree that does not build: exit $rc, want 125"
grep -q 'not a kernel source tree' "$tmp/out" || fail "kernel-tree.sh's reason is not shown"
[ -z "$(ls -A "$tmp/empty")" ] || fail "kernel-tree.sh wrote into the tree"

"$cf" run --target vm --kernel-tree "$tmp/missing" "$tmp/p.s" >/dev/null 2>&1
rc=$?
[ $rc = 2 ] || fail "--kernel-tree of a path that does not exist: exit $rc, want 2 (usage)"
"$cf" run --target vm --kernel "$tmp/p.s" --kernel-tree "$tmp/empty" "$tmp/p.s" >/dev/null 2>&1
rc=$?
[ $rc = 2 ] || fail "--kernel with --kernel-tree: exit $rc, want 2 (usage)"
"$cf" run --target vm --help | grep -q '125' || fail "callfuzz run --target vm --help does not name exit 125"
echo "vm_kernel_tree_bisect: a tree that does not build exits 125, bad usage 2"
