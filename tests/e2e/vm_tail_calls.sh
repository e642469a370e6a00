#!/usr/bin/env bash
# tests/e2e/vm_tail_calls.sh: tail calls against the real 7.2 kernels
# (docs/kernel-paths.md "Tail calls"), one boot per arch: the programs of
# tests/e2e/data/tail_calls/ through `callfuzz run --target vm`. The one
# with stack arguments on the chain to its tail call is refused by both the
# kernel and the checker with 7.2's message; the others run equal to the
# interpreter (the count limit of 33, the count kept across BPF-to-BPF
# calls, a u32 index, a subprogram's tail call returning to its caller,
# stack arguments on a chain without a tail call, a target that only the
# JIT runs: may_goto in a 512-byte frame).
# Exit 0 pass, 77 skip (no kernel image or no qemu), 1 fail.
set -u
cd "$(dirname "$0")/../.."
build=${CALLFUZZ_BUILD:-build}
cf=$build/callfuzz
data=tests/e2e/data/tail_calls
[ -x "$cf" ] || { echo "FAIL: $cf not built"; exit 1; }
ran=0 fail=0
for arch in arm64 x86_64; do
	case $arch in
	arm64) qemu=qemu-system-aarch64 ;;
	x86_64) qemu=qemu-system-x86_64 ;;
	esac
	kernel=$build/kernels/$arch/vmlinuz
	if [ ! -s "$kernel" ] || ! command -v $qemu >/dev/null; then
		echo "skip $arch: no $kernel or no $qemu"
		continue
	fi
	ran=1
	out=$("$cf" run --target vm --arch $arch --kernel "$kernel" "$data"/*.s 2>&1)
	echo "$out" | head -n 1
	section() { awk -v f="== $1" '$0 == f { on = 1; next } /^== |^run: / { on = 0 } on' <<<"$out"; }
	for f in "$data"/*.s; do
		s=$(section "$f")
		case $(basename "$f") in
		stack_args_refused.s)
			if grep -q '^equal: rejected by both' <<<"$s" &&
				grep -q 'kernel: tail_calls are not allowed in programs with stack args' <<<"$s" &&
				grep -q 'checker: .*tail_calls are not allowed in programs with stack args' <<<"$s"; then
				echo "ok   $arch $(basename "$f"): refused by the kernel and the checker"
			else
				echo "FAIL $arch $(basename "$f"):"; echo "$s" | head -n 8; fail=1
			fi ;;
		*)
			if grep -q '^equal: r0=' <<<"$s"; then
				echo "ok   $arch $(basename "$f"): $(head -n 1 <<<"$s")"
			else
				echo "FAIL $arch $(basename "$f"):"; echo "$s" | head -n 12; fail=1
			fi ;;
		esac
	done
done
[ $ran = 1 ] || { echo "skip: no kernel image (harness/target/fetch-kernels.sh)"; exit 77; }
exit $fail
