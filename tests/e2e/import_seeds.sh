#!/usr/bin/env bash
# tests/e2e/import_seeds.sh: `callfuzz import` on every C seed object
# (build/seeds/NAME.bpf.o, built by make): exit 0, the same text as the
# committed seeds/NAME.s (generated once with `make seeds-s`; compared only
# when clang-19 built the objects, since another clang emits other code),
# accepted by `callfuzz verify`, equal in the interpreter and the host
# kernel (`callfuzz run --target kernel`, skipped when bpf() is refused);
# usage errors exit 2. Exit 0 pass, 77 skip, else fail.
set -u
build="${CALLFUZZ_BUILD:-build}"
bin="$build/callfuzz"
[ -x "$bin" ] || { echo "skip: $bin not built"; exit 77; }
ls "$build"/seeds/*.bpf.o >/dev/null 2>&1 || { echo "skip: no $build/seeds/*.bpf.o (install clang-19, then make)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
kernel=1
"$bin" kernel-probe >"$tmp/probe" 2>&1 || { kernel=0; echo "note: kernel part skipped: $(tail -n 1 "$tmp/probe")"; }
same_text=0
command -v clang-19 >/dev/null && same_text=1

for obj in "$build"/seeds/*.bpf.o; do
	name=$(basename "$obj" .bpf.o)
	out="$tmp/$name.s"
	if ! "$bin" import "$obj" -o "$out"; then
		echo "FAIL: import $obj"; fail=1; continue
	fi
	if [ $same_text = 1 ] && ! diff -u "seeds/$name.s" "$out"; then
		echo "FAIL: $obj imports to other text than seeds/$name.s (run make seeds-s after changing seeds/c/)"; fail=1
	fi
	"$bin" verify "$out" >/dev/null || { echo "FAIL: verify $out"; fail=1; }
	"$bin" verify --max-args 5 "$out" >/dev/null || { echo "FAIL: verify --max-args 5 $out"; fail=1; }
	if [ $kernel = 1 ]; then
		ctx=$(printf '%02x' $(seq 7 37 2000 | head -n 64 | awk '{print $1 % 256}'))
		if ! "$bin" run --target kernel "$out" --ctx "$ctx" >"$tmp/run" 2>&1 || ! grep -q '^equal: ' "$tmp/run"; then
			echo "FAIL: run --target kernel $out:"; cat "$tmp/run"; fail=1
		fi
	fi
done

"$bin" import >/dev/null 2>&1; [ $? = 2 ] || { echo "FAIL: import without FILE should exit 2"; fail=1; }
"$bin" import "$tmp/none.bpf.o" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] || { echo "FAIL: import of a missing file exits $rc, not 2"; fail=1; }
grep -q "none.bpf.o" "$tmp/err" || { echo "FAIL: the message does not name the file"; cat "$tmp/err"; fail=1; }
"$bin" import "$build/seeds/calltree.bpf.o" --prog nope >/dev/null 2>"$tmp/err"
grep -q "no program named nope" "$tmp/err" || { echo "FAIL: --prog nope"; cat "$tmp/err"; fail=1; }

# What import refuses, with a reason: kernel helpers, global data, an
# ambiguous object. Needs a BPF clang to build the objects.
if bpfcc=$(command -v clang-19 || command -v clang-14); then
	cat >"$tmp/helper.bpf.c" <<'C'
#define SEC(n) __attribute__((section(n), used))
static long (*bpf_ktime_get_ns)(void) = (void *)5;
SEC("syscall") int uses_helper(void *ctx) { return (int)bpf_ktime_get_ns(); }
C
	cat >"$tmp/global.bpf.c" <<'C'
#define SEC(n) __attribute__((section(n), used))
int counter;
SEC("syscall") int uses_global(void *ctx) { return ++counter; }
SEC("syscall") int second(void *ctx) { return 2; }
C
	"$bpfcc" -target bpf -O2 -g -c "$tmp/helper.bpf.c" -o "$tmp/helper.bpf.o" &&
		"$bpfcc" -target bpf -O2 -g -c "$tmp/global.bpf.c" -o "$tmp/global.bpf.o" || { echo "FAIL: $bpfcc"; exit 1; }
	expect_refusal() { # object, args..., expected message
		local obj=$1 want=${*: -1} rc
		"$bin" import "${@:1:$#-1}" >/dev/null 2>"$tmp/err"; rc=$?
		[ $rc = 2 ] && grep -q "$want" "$tmp/err" || { echo "FAIL: import $obj: exit $rc, want 2 and '$want':"; cat "$tmp/err"; fail=1; }
	}
	expect_refusal "$tmp/helper.bpf.o" "call of helper 5: seeds may not call kernel helpers"
	expect_refusal "$tmp/global.bpf.o" "2 programs; name one (--prog NAME)"
	expect_refusal "$tmp/global.bpf.o" --prog uses_global "ld_imm64 with src_reg"
	"$bin" import "$tmp/global.bpf.o" --prog second | grep -q '^\.func second$' || { echo "FAIL: --prog second"; fail=1; }
fi
exit $fail
