#!/usr/bin/env bash
# tests/e2e/kernel_tree_patch.sh: `harness/target/kernel-tree.sh --patch`
# builds incrementally from the plain build of the same tree (the base):
# the patched build directory starts as a copy of the base's, make runs with
# the patched scratch copy mounted over the tree's path, so that kbuild's
# command lines stay the same and only the patched file is compiled again.
#
# The patch adds a global variable at the end of the arch's JIT
# (arch/ARCH/net/bpf_jit_comp.c), made here from the tree itself, so the
# image must differ from the base's. Checked: the build went the incremental
# way, the only object compiled again is the JIT's (every other object of
# the kernel keeps the base's mtime), the image differs from the base's, the
# tree is not modified.
#
# Needs the kernel source (build/kernel-src/linux-source-7.2, or
# CALLFUZZ_KERNEL_SRC) and a plain build of it for x86_64 or arm64
# (`harness/target/kernel-tree.sh --arch A SRC`, 15-60 min on 2 cores), and
# root (unshare -m). Without them it skips: it never builds a kernel from
# nothing (kernel-tree.sh --no-base-build), so a fresh clone (CI) skips in
# milliseconds. With them: a copy of the base (~0.5 GB) and one link, about
# a minute. Exit 0 pass, 77 skip, else fail.
set -u
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: $*"; exit 1; }
src=${CALLFUZZ_KERNEL_SRC:-build/kernel-src/linux-source-7.2}
if [ ! -f "$src/Makefile" ]; then
	echo "no kernel source in $src: 'harness/target/kernel-tree.sh --fetch-only debian' or CALLFUZZ_KERNEL_SRC=DIR"
	exit 77
fi
src=$(cd "$src" && pwd -P)

tmp=$(mktemp -d /tmp/callfuzz-e2e-ktpatch.XXXXXX)
scratch=
cleanup() {
	rm -rf "$tmp"
	# the scratch copy this run made (hard links to the tree: no data)
	case "$scratch" in */src-*) rm -rf "$scratch" ;; esac
}
trap cleanup EXIT

skipped=()
for arch in x86_64 arm64; do
	case $arch in
	x86_64) jit=arch/x86/net/bpf_jit_comp.c image=arch/x86/boot/bzImage ;;
	arm64) jit=arch/arm64/net/bpf_jit_comp.c image=arch/arm64/boot/Image ;;
	esac
	[ -f "$src/$jit" ] || { skipped+=("$arch: no $jit in $src"); continue; }
	# the patch: one more global variable, after the file's last line
	{ cat "$src/$jit"; echo 'int callfuzz_e2e_patch_marker = 0x5a17;'; } >"$tmp/jit.c"
	diff -u --label "a/$jit" --label "b/$jit" "$src/$jit" "$tmp/jit.c" >"$tmp/marker-$arch.patch"
	[ $? = 1 ] || fail "could not make the patch"

	t0=$SECONDS
	harness/target/kernel-tree.sh --arch $arch --no-base-build --patch "$tmp/marker-$arch.patch" \
		--out "$tmp/out-$arch" "$src" >"$tmp/stdout" 2>"$tmp/stderr"
	rc=$?
	scratch=$(sed -n 's/^kernel-tree: scratch copy of .* in \(.*\) (hard links)$/\1/p' "$tmp/stderr" | head -n 1)
	if [ $rc = 3 ]; then
		skipped+=("$arch: $(tail -n 1 "$tmp/stderr")")
		continue
	fi
	cat "$tmp/stderr"
	[ $rc = 0 ] || fail "kernel-tree.sh --patch: exit $rc"
	out=$tmp/out-$arch
	[ "$(tail -n 1 "$tmp/stdout")" = "$out/$image" ] || fail "last line of stdout is not $out/$image"
	[ -s "$out/$image" ] || fail "no image"
	base=$(sed -n 's/^kernel-tree: seeding .* from the base build \(.*\) (cp -a, once)$/\1/p' "$tmp/stderr")
	[ -n "$base" ] && [ -s "$base/$image" ] || fail "the build was not seeded from a base build"
	grep -q 'mounted over' "$tmp/stderr" || fail "make did not run with the scratch copy mounted over the tree"
	grep -q '^include '"$src"'/Makefile$' "$out/Makefile" || fail "the patched build names another source path: $(tail -n 1 "$out/Makefile")"

	# the patch is in the image, and only there
	cmp -s "$base/$image" "$out/$image" && fail "the patched image is the base's"
	grep -q callfuzz_e2e_patch_marker "$src/$jit" && fail "the tree was modified"
	grep -q callfuzz_e2e_patch_marker "$out/System.map" || fail "the marker is not in the patched kernel's System.map"
	grep -q callfuzz_e2e_patch_marker "$base/System.map" && fail "the base build was modified"

	# what make compiled again: the JIT's object, nothing else of the tree
	jit_o=${jit%.c}.o
	(cd "$out" && find . -name '*.o' ! -name 'vmlinux.o' ! -path './.tmp_*' ! -path './init/version-timestamp.o' \
		! -path "./arch/*/boot/*" ! -path './scripts/*' ! -path './tools/*' | sed 's|^\./||' | sort) >"$tmp/objs"
	changed=()
	n=0
	while read -r o; do
		n=$((n + 1))
		[ -f "$base/$o" ] || { changed+=("$o(new)"); continue; }
		[ "$(stat -c %Y "$out/$o")" = "$(stat -c %Y "$base/$o")" ] || changed+=("$o")
	done <"$tmp/objs"
	[ "$n" -ge 100 ] || fail "only $n objects in $out"
	[ "${changed[*]:-}" = "$jit_o" ] ||
		fail "objects compiled again: ${changed[*]:-none} (want $jit_o alone: the base was not reused)"
	grep -qE "^ +CC +$jit_o\$" "$out/build.log" || fail "build.log does not show $jit_o compiled"
	echo "kernel_tree_patch: $arch: the patched build compiled $jit_o alone, kept $((n - 1)) objects of $base, image differs ($((SECONDS - t0)) s)"
	exit 0
done
echo "no base build to start from (${skipped[*]}): build one with 'harness/target/kernel-tree.sh --arch x86_64 $src' (15-60 min)"
exit 77
