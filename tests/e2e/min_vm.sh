#!/usr/bin/env bash
# tests/e2e/min_vm.sh: a bucket found on a real kernel is minimized and
# rerun on that kernel, not on our model JIT (issue 14: `min` used to say
# "interpreter and JIT agree" and `triage --rerun` "fixed" for a live
# kernel bug).
#
# The bucket is the 7.2 stack-liveness false rejection
# (docs/kernel-bugs/liveness-callsite-depth/shapes/trigger-seed-474.s, docs/vm-target.md) as the fuzz
# loop writes it: prog.s and a `target` file naming the arm64 kernel image.
#   - `callfuzz min DIR` boots that kernel, keeps the VERIFIER signature and
#     the kernel's reason, shrinks below the 36 instructions it starts from;
#   - min.s still gets the same rejection from that kernel (`run` on the
#     replay line of report.txt), and is valid for our checker;
#   - selftest.c is the kernel flavour (SEC("syscall"), no model helpers);
#   - `triage --rerun` says "reproduces" on the vm, and "fixed" when told to
#     use the model target, which has no verifier to disagree with.
# Skips (77) without qemu-system-aarch64 or the kernel image, or when the
# kernel no longer shows the bug. About 30 s (three boots).
set -u
cd "$(dirname "$0")/../.."
build=${CALLFUZZ_BUILD:-build}
cf=$build/callfuzz
kernel=${CALLFUZZ_KERNEL:-$build/kernels/arm64/vmlinuz}
if [ ! -s "$kernel" ]; then
	echo "skip: no arm64 kernel image at $kernel (harness/target/fetch-kernels.sh fetches one; or CALLFUZZ_KERNEL=IMAGE)"
	exit 77
fi
command -v qemu-system-aarch64 >/dev/null || { echo "skip: qemu-system-aarch64 not installed (apt-get install qemu-system-arm)"; exit 77; }
[ -x "$cf" ] || { echo "FAIL: $cf not built"; exit 1; }
# physical, as the bucket records it (realpath): build/kernels may be a symlink
kernel=$(cd "$(dirname "$kernel")" && pwd -P)/$(basename "$kernel")
tmp=$(mktemp -d /tmp/callfuzz-e2e-minvm.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

sig=VERIFIER-known-stack-liveness
bucket=$tmp/artifacts/$sig
mkdir -p "$bucket"
cp docs/kernel-bugs/liveness-callsite-depth/shapes/trigger-seed-474.s "$bucket/prog.s"
printf 'target vm\narch arm64\nkernel %s\n' "$kernel" >"$bucket/target"
echo "1 pid=1 bytes=0 lse=1 VERIFIER (kernel JIT arm64): reading from stack" >"$bucket/hits"
before=$(grep -cE '^    [^;]' "$bucket/prog.s")

out=$("$cf" min "$bucket" --time 120 -q 2>&1)
rc=$?
if [ $rc = 1 ] && grep -q 'no mismatch to minimize' <<<"$out"; then
	echo "$out"
	echo "skip: this kernel ($kernel) does not show the stack-liveness false rejection"
	exit 77
fi
[ $rc = 0 ] || fail "min exited $rc: $out"
grep -q "on vm" <<<"$out" || fail "min did not run on the vm: $out"
after=$(sed -n 's/.* -> \([0-9]*\) insns.*/\1/p' <<<"$out" | head -n 1)
[ -n "$after" ] && [ "$after" -lt "$before" ] || fail "not shrunk: $before -> ${after:-?} ($out)"
for f in min.s report.txt selftest.c; do [ -s "$bucket/$f" ] || fail "no $f"; done

# min.s: the same rejection from the same kernel, through the report's replay line
replay=$(grep -m 1 "^  callfuzz run --target vm --arch arm64 --kernel $kernel .*min.s$" "$bucket/report.txt") ||
	fail "report.txt has no replay line on the vm: $(sed -n '1,12p' "$bucket/report.txt")"
rerun=$("$cf" ${replay#  callfuzz } 2>&1)
[ $? = 1 ] || fail "min.s no longer mismatches on the kernel: $rerun"
grep -q 'slot poisoned by dead code elimination' <<<"$rerun" || fail "min.s: another rejection: $rerun"
"$cf" verify --max-args 12 "$bucket/min.s" >/dev/null || fail "min.s: our checker rejects it"
grep -q '^target: vm: kernel 7\.' "$bucket/report.txt" || fail "report.txt does not name the kernel"

# selftest.c: the kernel flavour
grep -q 'SEC("syscall")' "$bucket/selftest.c" || fail "selftest.c is not the kernel flavour"
grep -qE 'call (trace|stack_hash|kf_args)' "$bucket/selftest.c" && fail "selftest.c calls a model helper"

# triage --rerun: on the bucket's own target, and on the one the user names
tri=$("$cf" triage "$tmp/artifacts" --rerun --repeat 2) || fail "triage: $tri"
grep -q "^$sig .* reproduces (on vm arm64 7\." <<<"$tri" || fail "triage --rerun on the vm: $tri"
tri=$("$cf" triage "$tmp/artifacts" --rerun --repeat 1 --target model) || fail "triage --target model: $tri"
grep -q "^$sig .* fixed (on model arm64)" <<<"$tri" || fail "triage --rerun --target model: $tri"
echo "ok: $sig minimized on the kernel from $before to $after instructions; triage reruns it there"
