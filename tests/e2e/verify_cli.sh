#!/usr/bin/env bash
# tests/e2e/verify_cli.sh: `callfuzz verify` on one valid and one invalid
# program: verdict line and exit code. Exit 0 pass, 77 skip, else fail.
set -u
build="${CALLFUZZ_BUILD:-build}"
bin="$build/callfuzz"
[ -x "$bin" ] || { echo "skip: $bin not built"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/good.s" <<'S'
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
    r0 += r6
    exit
S
cat >"$tmp/bad.s" <<'S'
.func main
    r1 = 1
    r2 = 2
    r3 = 3
    r4 = 4
    r5 = 5
    *(u64 *)(r11 - 16) = 30
    call sum7
    exit
.func sum7, 7
    r6 = *(u64 *)(r11 + 8)
    r7 = *(u64 *)(r11 + 16)
    r0 = r6
    r0 += r7
    exit
S
printf '.func main\n    r0 = \n' >"$tmp/unparsable.s"

fail=0
expect() { # name want_rc want_stdout_substring cmd...
	local name=$1 want_rc=$2 want=$3
	shift 3
	local out rc
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" != "$want_rc" ] || [[ "$out" != *"$want"* ]]; then
		echo "FAIL $name: exit $rc (want $want_rc), output: $out"
		fail=1
	fi
}
expect good 0 "accepted" "$bin" verify "$tmp/good.s"
expect bad 1 "rejected: func main insn 6: callee expects 7 args, stack arg1 is not initialized" \
	"$bin" verify "$tmp/bad.s"
expect old-kernel 1 "rejected: func main insn 5: R11 is invalid" "$bin" verify --max-args 5 "$tmp/good.s"
expect stdin 0 "accepted" "$bin" verify - <"$tmp/good.s"
expect help 0 "usage: callfuzz verify" "$bin" verify --help
expect missing 2 "" "$bin" verify "$tmp/nonexistent.s"
expect unparsable 2 "" "$bin" verify "$tmp/unparsable.s"
expect no-file 2 "" "$bin" verify
expect bad-option 2 "" "$bin" verify --max-args 13 "$tmp/good.s"
exit $fail
