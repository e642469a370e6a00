#!/usr/bin/env bash
# tests/e2e/vm_interp_may_goto_frame.sh: the kernel's interpreter is no
# voice for a function with may_goto whose frame, with the timed may_goto's
# 16 bytes, passes 512: 7.2 adds them after check_max_stack_depth and
# refuses only a program that is not JITed ("stack size 528(extra 16) is
# too large", kernel/bpf/fixups.c). Found by a 300 s fuzz/run on the clean
# x86-64 tinyconfig kernel (VERIFIER-interp, a raw tracepoint with a
# 512-byte frame). A 480-byte frame (496 with the extra) keeps the voice.
# One boot of Debian's 7.2.13 (x86-64 when its image is there, else arm64).
# Exit 0 pass, 77 skip, else fail.
set -u
cd "$(dirname "$0")/../.."
build=${CALLFUZZ_BUILD:-build}
cf=$build/callfuzz
fail() { echo "FAIL: $*"; exit 1; }
arch=
for a in x86_64 arm64; do
	[ -s "$build/kernels/$a/vmlinuz" ] && grep -q '^7\.2\.' "$build/kernels/$a/version" 2>/dev/null && { arch=$a; break; }
done
[ -n "$arch" ] || { echo "skip: no Debian 7.2 kernel in $build/kernels/ (harness/target/fetch-kernels.sh)"; exit 77; }
q=qemu-system-x86_64; [ $arch = arm64 ] && q=qemu-system-aarch64
command -v $q >/dev/null || { echo "skip: $q not installed"; exit 77; }
[ -x "$cf" ] || fail "$cf not built"
tmp=$(mktemp -d /tmp/callfuzz-e2e-mgframe.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

for n in 512 480; do
	cat >"$tmp/frame$n.s" <<EOS
.func main, stack=$n
    *(u64 *)(r10 - $n) = 7
    r0 = *(u64 *)(r10 - $n)
    may_goto l0
    r0 += 1
l0:
    exit
EOS
done
"$cf" run --target vm --arch $arch --kernel "$build/kernels/$arch/vmlinuz" "$tmp/frame512.s" "$tmp/frame480.s" >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
[ $rc = 0 ] || fail "exit $rc, want 0 (both equal)"
[ "$(grep -c '^equal: r0=0x8 ' "$tmp/out")" = 2 ] || fail "want two 'equal: r0=0x8'"
grep '^equal' "$tmp/out" | head -n 1 | grep -q 'kernel interpreter' && fail "the 512-byte frame ran on the kernel's interpreter"
grep '^equal' "$tmp/out" | tail -n 1 | grep -q 'kernel interpreter' || fail "the 480-byte frame lost the kernel's interpreter"
echo "vm_interp_may_goto_frame: $arch: 512-byte frame + may_goto JIT only, 480 bytes both voices"
