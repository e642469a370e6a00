#!/usr/bin/env bash
# tests/e2e/jit_listing.sh: `callfuzz jit` prints the arm64 code of each
# function annotated with its BPF instructions, with the stack-argument
# shapes of stack-args.md 4; rejects what the JIT cannot compile with exit 1;
# bad usage is exit 2. Exit 0 pass, 77 skip, else fail.
set -u
cd "$(dirname "$0")/../.."
cf="${CALLFUZZ_BUILD:-build}/callfuzz"
[ -x "$cf" ] || { echo "no $cf (run make)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cat >"$tmp/sum9.s" <<'PROG'
.func main
    r1 = 1
    r2 = 2
    r3 = 3
    r4 = 4
    r5 = 5
    *(u64 *)(r11 - 8) = 6
    r0 = 7
    *(u64 *)(r11 - 16) = r0
    *(u64 *)(r11 - 24) = 8
    *(u64 *)(r11 - 32) = 9
    call sum9
    lock *(u64 *)(r10 - 8) += r1
    exit

.func sum9, 9
    r6 = *(u64 *)(r11 + 8)
    r9 = *(u64 *)(r11 + 32)
    r0 = r1
    r0 += r9
    exit
PROG

out=$("$cf" jit "$tmp/sum9.s") || fail "jit exited $?: $out"
grep -q '^func main (entry): 1 arg' <<<"$out" || fail "no main header: $out"
grep -q '^func sum9: 9 args' <<<"$out" || fail "no sum9 header"
grep -q 'placeholders' <<<"$out" || fail "placeholder addresses not announced"
grep -q '; 10: call sum9' <<<"$out" || fail "BPF annotation missing"
if grep -q 'llvm-mc-19 not found' <<<"$out"; then
	echo "llvm-mc-19 not found (Debian package llvm-19): listing checked without disassembly"
	exit 77
fi
# arg 9 goes to [sp], the 16-byte outgoing area is reserved and released
grep -q 'sub sp, sp, #32$' <<<"$out" || fail "frame (8-byte stack + 16-byte area) not reserved: $out"
grep -q 'str x10, \[sp\]$' <<<"$out" || fail "arg 9 not stored at [sp]"
grep -q 'mov x6, x8$' <<<"$out" || fail "arg 7 not moved into x6"
grep -q 'bl #[0-9]*   -> sum9' <<<"$out" || fail "no BL to sum9"
grep -q 'mov x19, x5$' <<<"$out" || fail "sum9 does not read arg 6 from x5"
grep -q 'ldr x22, \[x29, #16\]$' <<<"$out" || fail "sum9 does not read arg 9 at [FP+16]"
grep -q 'stadd x0, \[x10\]$' <<<"$out" || fail "LSE atomic missing"

out=$("$cf" jit --no-lse "$tmp/sum9.s") || fail "--no-lse exited $?"
grep -q 'LL/SC atomics' <<<"$out" || fail "--no-lse not announced"
grep -q 'ldxr x11, \[x10\]$' <<<"$out" || fail "LL/SC loop missing: $out"
grep -q 'cbnz w12, #-12' <<<"$out" || fail "LL/SC retry branch missing"

# a call to a helper number the call table does not know: JIT_REJECT
printf '.func main\n    call 77\n    exit\n' >"$tmp/bad.s"
out=$("$cf" jit "$tmp/bad.s"); rc=$?
[ $rc -eq 1 ] || fail "unknown helper: exit $rc, want 1: $out"
grep -q '^rejected: jit: func main insn 0: unknown helper 77' <<<"$out" || fail "no reason: $out"

"$cf" jit >/dev/null 2>&1; [ $? -eq 2 ] || fail "no FILE should be exit 2"
"$cf" jit --bogus "$tmp/sum9.s" >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown option should be exit 2"
exit 0
