#!/usr/bin/env bash
# tests/e2e/fuzz_vm.sh: ./fuzz/run --target vm for 25 s, one job, on the
# kernel of build/kernels/arm64/ (Debian 7.2 by harness/target/fetch-kernels.sh) or
# CALLFUZZ_KERNEL: the first line names the booted kernel's version and the
# argument profile of its probe, progress lines count programs, the summary
# says 0 mismatches on the clean kernel and no bucket is written except the
# known kernel bugs' (VERIFIER-known-*, CRASH-known-*, docs/kernel-bugs/). Costs one guest
# boot plus ~20 s. Exit 0 pass, 77 skip, else fail.
set -u
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: $*"; exit 1; }
kernel=${CALLFUZZ_KERNEL:-build/kernels/arm64/vmlinuz}
if [ ! -s "$kernel" ]; then
	echo "skip: no arm64 kernel image at $kernel (harness/target/fetch-kernels.sh fetches one; or CALLFUZZ_KERNEL=IMAGE)"
	exit 77
fi
command -v qemu-system-aarch64 >/dev/null || { echo "skip: qemu-system-aarch64 not installed (apt-get install qemu-system-arm)"; exit 77; }
command -v clang >/dev/null || { echo "skip: clang missing: install the Debian package clang"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

./fuzz/run --target vm --kernel "$kernel" --time 25 --jobs 1 --interval 4 --corpus "$tmp/corpus" \
	--artifacts "$tmp/artifacts" >"$tmp/run.log" 2>&1
rc=$?
cat "$tmp/run.log"
grep -q '^fuzz/run: target vm: kernel [0-9][0-9.]*' "$tmp/run.log" || fail "no first line naming the target and the kernel"
# the version the image says it is (fetch-kernels.sh writes it beside the image)
if [ -f "$(dirname "$kernel")/version" ]; then
	v=$(cut -d+ -f1 <"$(dirname "$kernel")/version")
	grep -q "^fuzz/run: target vm: kernel $v" "$tmp/run.log" || fail "the first line does not name kernel $v"
fi
grep -Eq '^fuzz/run: target vm: .*profile kernel, 0\.\.(5|12) arguments' "$tmp/run.log" || fail "no argument profile"
[ "$(grep -c '^fuzz/run: .*programs [0-9]* (' "$tmp/run.log")" -ge 2 ] || fail "fewer than 2 progress lines"
progs=$(sed -n 's/.*summary: [0-9]*s, \([0-9]*\) programs.*/\1/p' "$tmp/run.log")
[ "${progs:-0}" -gt 0 ] || fail "no program ran"
bad=$(find "$tmp/artifacts" -mindepth 1 -maxdepth 1 -type d ! -name '.*' ! -name '*-known-*' -printf '%f ')
if [ -n "$bad" ]; then
	for b in $bad; do sed -n '1,12p' "$tmp/artifacts/$b/report.txt"; done
	fail "mismatches on the clean kernel: $bad"
fi
grep -q 'summary: .* 0 mismatches' "$tmp/run.log" || fail "the summary does not say 0 mismatches"
# a known bug's bucket, when there is one, records the kernel it came from
for b in "$tmp"/artifacts/*-known-*/; do
	[ -d "$b" ] || continue
	grep -qx 'target vm' "$b/target" && grep -qx "kernel $(realpath "$kernel")" "$b/target" ||
		fail "$b/target does not name the vm and $kernel: $(cat "$b/target" 2>&1)"
done
[ $rc = 0 ] || fail "fuzz/run exited with $rc"
echo "fuzz_vm: $progs programs through the kernel without a mismatch"
