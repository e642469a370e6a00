#!/usr/bin/env bash
# tests/e2e/vm_kcov.sh: kernel coverage on a KCOV kernel
# (harness/target/kernel-tree.sh --kcov): the agent says KCOV in its HELLO,
# each program brings back the PCs of its load and test run, and `callfuzz
# cover` maps them to lines of the arch's bpf_jit_comp.c and of the
# verifier. The seeds (seeds/*.s: calls with stack arguments) must reach the
# JIT's prologue and its BPF-to-BPF call code, and a libFuzzer input must
# reach it too (the same path through the fuzz loop).
#
# The kernel: $CALLFUZZ_KCOV_KERNEL, else the newest
# build/kernel-tree/ARCH-*/ whose fragment has CONFIG_KCOV=y. None (CI has
# no kernel build): exit 77. Exit 0 pass, 77 skip, else fail.
set -u
cd "$(dirname "$0")/../.."
build=${CALLFUZZ_BUILD:-build}
cf=$build/callfuzz
[ -x "$cf" ] || { echo "no $cf (run make)"; exit 1; }
arch=${CALLFUZZ_ARCH:-arm64}
# the JIT's prologue: arm64 build_prologue, x86-64 emit_prologue (inlined in do_jit)
case $arch in
arm64) img=arch/arm64/boot/Image qemu=qemu-system-aarch64 prologue=build_prologue ;;
*) img=arch/x86/boot/bzImage qemu=qemu-system-x86_64 prologue=emit_prologue ;;
esac
kernel=${CALLFUZZ_KCOV_KERNEL:-}
if [ -z "$kernel" ]; then
	for d in $(ls -td build/kernel-tree/"$arch"-*/ 2>/dev/null); do
		if grep -qx CONFIG_KCOV=y "$d/.callfuzz-fragment" 2>/dev/null && [ -f "$d/$img" ] && [ -f "$d/vmlinux" ]; then
			kernel=$d$img
			break
		fi
	done
fi
if [ -z "$kernel" ]; then
	echo "no KCOV kernel for $arch: build one with 'harness/target/kernel-tree.sh --kcov --arch $arch debian' or set CALLFUZZ_KCOV_KERNEL=IMAGE"
	exit 77
fi
command -v "$qemu" >/dev/null || { echo "$qemu not installed"; exit 77; }
[ -f "$build/agent/$arch/initramfs.cpio.gz" ] || { echo "no agent initramfs in $build (make agent)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# the seeds (.s) and one libFuzzer input of the seed corpus
mkdir -p "$tmp/corpus"
cp seeds/*.s "$tmp/corpus/"
cp seeds/corpus/nargs-00-0 "$tmp/corpus/input-0"
"$cf" cover --kernel "$kernel" --save-pcs "$tmp/pcs" "$tmp/corpus" >"$tmp/out" 2>"$tmp/err" ||
	{ cat "$tmp/err" "$tmp/out"; fail "callfuzz cover exited $?"; }
cat "$tmp/out" | head -n 40
grep -q 'KCOV: yes' "$tmp/err" || { cat "$tmp/err"; fail "the agent did not announce KCOV"; }
grep -q "^cover: 5 .s programs, 1 libFuzzer inputs" "$tmp/out" || fail "not every program ran"
n=$(wc -l <"$tmp/pcs")
[ "$n" -gt 100 ] || fail "only $n kernel PCs"
jit=$(grep -E "^arch/[a-z0-9]+/net/bpf_jit_comp.c: " "$tmp/out")
reached=$(sed -n 's/.*: \([0-9]*\)\/\([0-9]*\) lines.*/\1/p' <<<"$jit")
total=$(sed -n 's/.*: \([0-9]*\)\/\([0-9]*\) lines.*/\2/p' <<<"$jit")
[ -n "$reached" ] && [ "$reached" -gt 0 ] && [ "$total" -gt "$reached" ] || fail "JIT lines: '$jit'"
# programs with calls: the JIT's prologue and call emission ran
grep -qE "^  $prologue +[1-9]" "$tmp/out" || fail "$prologue not reached"
grep -qE '^kernel/bpf/verifier.c: [1-9][0-9]*/' "$tmp/out" || fail "no verifier line reached"
# the PCs saved are call sites of this vmlinux, but for the few that a tail
# call (x86-64: jmp __sanitizer_cov_trace_pc) records in its caller
stray=$(sed -n 's/^cover: \([0-9]*\) PCs are no call site.*/\1/p' "$tmp/out")
[ "${stray:-0}" -le $((n / 20)) ] || fail "$stray of $n PCs outside the vmlinux's call sites"
# --pcs alone: the same figure without running anything
"$cf" cover --kernel "$kernel" --pcs "$tmp/pcs" --summary >"$tmp/sum" 2>&1 || { cat "$tmp/sum"; fail "cover --pcs --summary"; }
grep -q "^$n PCs; arch/.*/bpf_jit_comp.c $reached/$total lines" "$tmp/sum" || { cat "$tmp/sum"; fail "--summary differs from the report"; }
echo "ok: $n PCs, $jit"
