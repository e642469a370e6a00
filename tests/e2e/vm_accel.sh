#!/usr/bin/env bash
# tests/e2e/vm_accel.sh: KVM or TCG, and the line that says which and why
# (docs/vm-target.md, "KVM or TCG"). An x86-64 guest, so that on an x86-64
# host KVM is tried:
#  - --accel auto (CALLFUZZ_ACCEL=auto) boots, runs a program, and the first
#    line says "accel tcg" with a reason: KVM is absent or unusable, or it
#    failed at boot and the guest was booted again under TCG (this
#    machine: nested KVM aborts on MSR 0x10a), or it failed in an earlier
#    run (build/vm-accel.cache). A host where KVM works says "accel kvm".
#  - CALLFUZZ_ACCEL=tcg says "accel tcg (asked for)".
#  - where KVM fell back, --accel kvm fails cleanly (exit 2, a reason).
# Exit 0 pass, 77 skip (no kernel, no qemu), 1 fail.
set -u
cd "$(dirname "$0")/../.."
build=${CALLFUZZ_BUILD:-build}
cf=$build/callfuzz
kernel=$build/kernels/x86_64/vmlinuz
[ -x "$cf" ] || { echo "FAIL: $cf not built"; exit 1; }
[ -s "$kernel" ] || { echo "skip: no x86_64 kernel image at $kernel (harness/target/fetch-kernels.sh)"; exit 77; }
command -v qemu-system-x86_64 >/dev/null || { echo "skip: qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"; exit 77; }
[ -s "$build/agent/x86_64/initramfs.cpio.gz" ] || { echo "skip: no agent initramfs (make agent)"; exit 77; }
tmp=$(mktemp -d /tmp/callfuzz-e2e-accel.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cat >"$tmp/p.s" <<'EOF'
.func main
    r1 = 1
    r2 = 2
    r3 = 3
    r4 = 4
    r5 = 5
    *(u64 *)(r11 - 8) = 6
    call sum6
    exit
.func sum6, 6
    r6 = *(u64 *)(r11 + 8)
    r0 = r1
    r0 += r2
    r0 += r3
    r0 += r4
    r0 += r5
    r0 += r6
    exit
EOF
run() { # accel -> first line in $tmp/first, rc
	env -u CALLFUZZ_KERNEL CALLFUZZ_ACCEL="$1" "$cf" run --target vm --arch x86_64 "$tmp/p.s" >"$tmp/out" 2>&1
	local rc=$?
	head -n 1 "$tmp/out" >"$tmp/first"
	return $rc
}

run auto || { cat "$tmp/out"; fail "accel auto: the program did not run"; }
grep -q 'equal: r0=0x15' "$tmp/out" || { cat "$tmp/out"; fail "accel auto: wrong result"; }
first=$(cat "$tmp/first")
echo "auto: $first"
fell_back=0
if grep -q ', accel kvm,' <<<"$first"; then
	echo "note: KVM works on this host: nothing falls back here"
elif grep -qE ', accel tcg(: KVM failed at boot [^,]*\), fell back| \([^)]+\)|: KVM failed at boot in an earlier run .*remembered in )' <<<"$first"; then
	grep -q 'KVM failed at boot' <<<"$first" && fell_back=1
else
	fail "accel auto: the first line does not say tcg and why: $first"
fi

run tcg || { cat "$tmp/out"; fail "accel tcg: the program did not run"; }
first=$(cat "$tmp/first")
echo "tcg: $first"
grep -q ', accel tcg (asked for),' <<<"$first" || fail "accel tcg: the first line does not say so: $first"

if [ "$fell_back" = 1 ]; then
	run kvm
	rc=$?
	echo "kvm: $(tail -n 1 "$tmp/out")"
	[ $rc = 2 ] || fail "accel kvm where KVM fails: exit $rc, not 2"
	grep -q 'KVM asked for' "$tmp/out" || fail "accel kvm where KVM fails: no reason given"
fi
echo "vm_accel: ok"
