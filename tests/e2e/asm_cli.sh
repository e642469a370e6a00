#!/usr/bin/env bash
# tests/e2e/asm_cli.sh: `callfuzz asm` prints the canonical text of the
# docs/asm.md example, writes the CFBPF1 container and bare insns that
# `callfuzz disasm` turns back into the same text; malformed input is exit 2
# with "callfuzz asm: FILE:LINE: ...". Exit 0 pass, 77 skip, else fail.
set -u
cd "$(dirname "$0")/../.."
cf="${CALLFUZZ_BUILD:-build}/callfuzz"
[ -x "$cf" ] || { echo "no $cf (run make)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# The example of docs/asm.md, comments and all.
cat >"$tmp/example.s" <<'PROG'
; a comment runs to the end of the line ('#' and '//' also start one)
.func main                  ; the first function is the entry; it receives r1 = ctx
    r6 = r1
    r1 = 1
    r2 = 2
    r3 = 3
    r4 = 4
    r5 = 5
    *(u64 *)(r11 - 8) = 6   ; arg 6 (ST imm form)
    r0 = 7
    *(u64 *)(r11 - 16) = r0 ; arg 7 (STX form)
    call sum7
    if r0 != 28 goto bad
    r0 = 0
    exit
bad:
    r0 = 1
    exit

.func sum7, 7               ; name, argument count (0..12); static linkage
    r6 = *(u64 *)(r11 + 8)  ; incoming arg 6
    r7 = *(u64 *)(r11 + 16) ; incoming arg 7
    r0 = r1
    r0 += r2
    r0 += r3
    r0 += r4
    r0 += r5
    r0 += r6
    r0 += r7
    exit
PROG

# What the printer must write for it: no comments, 4-space indent.
cat >"$tmp/want.s" <<'PROG'
.func main
    r6 = r1
    r1 = 1
    r2 = 2
    r3 = 3
    r4 = 4
    r5 = 5
    *(u64 *)(r11 - 8) = 6
    r0 = 7
    *(u64 *)(r11 - 16) = r0
    call sum7
    if r0 != 28 goto bad
    r0 = 0
    exit
bad:
    r0 = 1
    exit

.func sum7, 7
    r6 = *(u64 *)(r11 + 8)
    r7 = *(u64 *)(r11 + 16)
    r0 = r1
    r0 += r2
    r0 += r3
    r0 += r4
    r0 += r5
    r0 += r6
    r0 += r7
    exit
PROG

"$cf" asm "$tmp/example.s" >"$tmp/out.s" || fail "asm example.s: exit $?"
diff -u "$tmp/want.s" "$tmp/out.s" || fail "asm: canonical text differs"
"$cf" asm "$tmp/out.s" >"$tmp/out2.s" || fail "asm out.s: exit $?"
cmp -s "$tmp/out.s" "$tmp/out2.s" || fail "asm: printing is not stable"

# container: magic, 2 functions, 25 slots, 16 + 2*80 + 25*8 bytes
"$cf" asm "$tmp/example.s" -o "$tmp/ex.bin" || fail "asm -o: exit $?"
[ "$(head -c 6 "$tmp/ex.bin")" = "CFBPF1" ] || fail "asm -o: no CFBPF1 magic"
[ "$(stat -c %s "$tmp/ex.bin")" -eq 376 ] || fail "asm -o: $(stat -c %s "$tmp/ex.bin") bytes, want 376"
"$cf" disasm "$tmp/ex.bin" >"$tmp/dis.s" || fail "disasm ex.bin: exit $?"
# the container keeps no label names: the target of slot 10 becomes l13
sed 's/\bbad\b/l13/' "$tmp/want.s" >"$tmp/want_dis.s"
diff -u "$tmp/want_dis.s" "$tmp/dis.s" || fail "disasm of the container differs"
"$cf" asm "$tmp/dis.s" -o "$tmp/ex2.bin" || fail "asm dis.s -o: exit $?"
cmp -s "$tmp/ex.bin" "$tmp/ex2.bin" || fail "asm(disasm(ex.bin)) is not ex.bin"

# bare insns: 25 * 8 bytes; the call at slot 9 is relative: imm = 15 - 10 = 5
"$cf" asm "$tmp/example.s" -o "$tmp/ex.raw" --raw || fail "asm --raw: exit $?"
[ "$(stat -c %s "$tmp/ex.raw")" -eq 200 ] || fail "asm --raw: $(stat -c %s "$tmp/ex.raw") bytes, want 200"
[ "$(od -An -tx1 -j72 -N8 "$tmp/ex.raw" | tr -d ' \n')" = "8510000005000000" ] ||
	fail "asm --raw: call slot is $(od -An -tx1 -j72 -N8 "$tmp/ex.raw")"
"$cf" disasm "$tmp/ex.raw" >"$tmp/bare.s" || fail "disasm ex.raw: exit $?"
grep -q '^; .*bare instructions' "$tmp/bare.s" || fail "disasm of bare insns does not say so"
grep -q '^\.func f1, 7$' "$tmp/bare.s" || fail "disasm: nargs of the subprogram not inferred as 7"
"$cf" asm "$tmp/bare.s" >/dev/null || fail "disasm output does not assemble"

# malformed input: exit 2, message with file and line
printf '.func main\n    r0 = 0\n    goto out\n    exit\n' >"$tmp/bad.s"
"$cf" asm "$tmp/bad.s" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] || fail "asm bad.s: exit $rc, want 2"
grep -qF "callfuzz asm: $tmp/bad.s:3: unknown label 'out'" "$tmp/err" || fail "asm bad.s: message: $(cat "$tmp/err")"

printf '.func main\n    r99 = 1\n' >"$tmp/bad2.s"
"$cf" asm "$tmp/bad2.s" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "asm bad2.s: want exit 2"
grep -qF "$tmp/bad2.s:2: expected a register, got 'r99'" "$tmp/err" || fail "asm bad2.s: message: $(cat "$tmp/err")"

# truncated container, garbage, missing file, bad usage: exit 2
head -c 100 "$tmp/ex.bin" >"$tmp/trunc.bin"
"$cf" disasm "$tmp/trunc.bin" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "disasm trunc.bin: want exit 2"
grep -q "truncated" "$tmp/err" || fail "disasm trunc.bin: message: $(cat "$tmp/err")"
printf 'hello' >"$tmp/junk.bin"
"$cf" disasm "$tmp/junk.bin" >/dev/null 2>&1
[ $? -eq 2 ] || fail "disasm junk.bin: want exit 2"
"$cf" asm "$tmp/missing.s" >/dev/null 2>&1
[ $? -eq 2 ] || fail "asm of a missing file: want exit 2"
"$cf" asm >/dev/null 2>&1
[ $? -eq 2 ] || fail "asm without a file: want exit 2"
"$cf" asm "$tmp/example.s" --raw >/dev/null 2>&1
[ $? -eq 2 ] || fail "asm --raw without -o: want exit 2"
"$cf" asm --help | grep -q '^usage: callfuzz asm' || fail "asm --help"
"$cf" disasm --help | grep -q '^usage: callfuzz disasm' || fail "disasm --help"
echo "asm_cli: ok"
