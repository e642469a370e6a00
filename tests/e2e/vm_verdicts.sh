#!/usr/bin/env bash
# tests/e2e/vm_verdicts.sh [ARCH]: the vm oracle against a real kernel, one
# boot (ARCH arm64 by default; vm_verdicts_x86_64.sh runs x86_64).
#
#  1. Every program the checker's unit tests (tests/bpf/check_*.c) give
#     cf_check is dumped (tests/e2e/vm_check_dump.c) and run through
#     `callfuzz run --target vm`, which compares the checker's verdict with
#     the kernel verifier's. Programs the kernel cannot be given as they are
#     are left out and counted: model helpers/kfuncs (trace, stack_hash,
#     kf_argsN: the guest has none), checker options that are not the
#     kernel's (max_args 5 or 8, a small insn_budget). Every remaining
#     difference must be one listed in KNOWN below, with its class.
#  2. Every program the interpreter's stack-argument and call tests run to
#     exit (tests/interp/selftests_stack_arg.c: upstream stack_arg.c,
#     results 55 75 66 84 133; stack_args.c: 0..12 arguments, nested
#     stack-argument callers, pointers in slots; calls.c) is run in the
#     kernel, whose r0 and ctx must equal the interpreter's; the five
#     upstream results are checked by value as well.
# Exit 0 pass, 77 skip (no kernel image or no qemu), 1 fail.
set -u
arch=${1:-arm64}
cd "$(dirname "$0")/../.."
build=${CALLFUZZ_BUILD:-build}
cf=$build/callfuzz
case $arch in
arm64) qemu=qemu-system-aarch64 pkg=qemu-system-arm ;;
x86_64) qemu=qemu-system-x86_64 pkg=qemu-system-x86 ;;
esac
kernel=${CALLFUZZ_KERNEL:-$build/kernels/$arch/vmlinuz}
if [ ! -s "$kernel" ]; then
	echo "skip: no $arch kernel image at $kernel (harness/target/fetch-kernels.sh fetches one; or CALLFUZZ_KERNEL=IMAGE)"
	exit 77
fi
if ! command -v $qemu >/dev/null; then
	echo "skip: $qemu not installed (apt-get install $pkg)"
	exit 77
fi
[ -x "$cf" ] || { echo "FAIL: $cf not built"; exit 1; }
[ -d $build/obj/bpf ] && [ -d $build/obj/interp ] || { echo "FAIL: $build/obj not built"; exit 1; }
tmp=$(mktemp -d /tmp/callfuzz-e2e-verdicts.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
cc=${CC:-cc}

# ---- dump the unit tests' programs ---------------------------------------
mkdir -p "$tmp/obj" "$tmp/check" "$tmp/interp"
build_dumper() { # name, -D, sources...
	local name=$1 def=$2 f objs=()
	shift 2
	for f in "$@"; do
		$cc -std=gnu11 -O0 -w -iquote . "$def" -c "$f" -o "$tmp/obj/$name-$(basename "$f" .c).o" || return 1
		objs+=("$tmp/obj/$name-$(basename "$f" .c).o")
	done
	$cc -o "$tmp/$name" "${objs[@]}" "$tmp/obj/dump.o" "$tmp/obj/main.o" $build/obj/bpf/*.o \
		$build/obj/interp/*.o $build/obj/harness/env/env.o -lbpf -lelf -lz -lm
}
$cc -std=gnu11 -O0 -iquote . -c tests/e2e/vm_check_dump.c -o "$tmp/obj/dump.o" &&
$cc -std=gnu11 -O0 -iquote . -c tests/test_main.c -o "$tmp/obj/main.o" &&
build_dumper checkdump -Dcf_check=dump_cf_check tests/bpf/check_*.c &&
build_dumper interpdump -Dinterp_run=dump_interp_run tests/interp/selftests_stack_arg.c \
	tests/interp/stack_args.c tests/interp/calls.c tests/interp/tail_calls.c tests/interp/util.c ||
	{ echo "FAIL: cannot build the dumpers"; exit 1; }
VM_CHECK_DUMP_DIR=$tmp/check "$tmp/checkdump" >"$tmp/check.log" 2>&1
VM_INTERP_DUMP_DIR=$tmp/interp "$tmp/interpdump" >"$tmp/interp.log" 2>&1

# test name of each dump: test_main prints PASS/FAIL NAME after its dumps
names() { awk '/^DUMP /{ d[n++] = $2 } /^(PASS|FAIL|SKIP) /{ for (i = 0; i < n; i++) print d[i], $2; n = 0 }' "$1"; }
declare -A tname
while read -r id name; do tname[$id]=$name; done < <(names "$tmp/check.log"; names "$tmp/interp.log")

# ---- 1. verdicts ---------------------------------------------------------
files=()
skip_model=0 skip_opts=0
for f in "$tmp"/check/*.s; do
	if grep -qE '^\s+call (trace|stack_hash|kfunc |kf_)' "$f"; then
		skip_model=$((skip_model + 1)); continue
	fi
	if ! grep -q '^; opts: max_args=12 ctx_size=256 model_callees=[01] insn_budget=1000000$' "$f"; then
		skip_opts=$((skip_opts + 1)); continue
	fi
	files+=("$f")
done
interp_files=()
for f in "$tmp"/interp/*.s; do
	grep -qE '^\s+call (trace|stack_hash|kfunc |kf_)' "$f" || interp_files+=("$f")
done
total=$(ls "$tmp"/check/*.s | wc -l)

# stderr apart: interleaved into the captured (buffered) stdout it can cut a
# file's "== FILE" line and so hide that file's verdict (the unparseable
# file's message is on stdout too)
out=$("$cf" run --target vm --arch "$arch" --kernel "$kernel" "${files[@]}" "${interp_files[@]}" 2>"$tmp/run.err")
echo "$out" | head -n 1
grep -q '^kernel ' <<<"$out" || { echo "FAIL: no guest came up:"; echo "$out" | tail -n 20; tail -n 20 "$tmp/run.err"; exit 1; }

# Differences between the checker and the 7.2 verifier, by test name
# substring and message substring (the checker's, or the first line of the
# oracle's report); each has its class. bpf/check.c's header: the checker
# is deliberately stricter where the interpreter and the JIT must stay
# comparable. docs/vm-target.md "Verdicts" explains each class.
#   test-name-substring|message-substring|class
rule="stricter, project rule: no address may become observable"
declared="stack=N: the checker bounds each frame by its declared size, the kernel sizes frames from their accesses"
KNOWN=(
	"|invalid read from stack off|stricter, project rule: no read of uninitialized stack (a privileged kernel allows it)"
	"|invalid indirect read from stack|stricter, project rule: no read of uninitialized stack (a privileged kernel allows it)"
	"|leaks addr|$rule"
	"|pointer comparison prohibited|$rule"
	"|partial copy of pointer|$rule"
	"|pointer -= pointer prohibited|$rule"
	"|(project rule)|$rule"
	"|beyond the|$declared"
	"|combined stack size of|$declared"
	"|call stack of previous frames is|$declared"
	"|invalid bpf_context access|ctx: the checker bounds ctx to its 256 bytes, a SYSCALL program may touch any offset below 64 KiB"
	"|unknown opcode e5|checker gap: may_goto (BPF_JMP|BPF_JCOND, 0xe5), accepted by 7.2"
	"|frames is too deep|checker stale: 7.2 has MAX_CALL_FRAMES 16 (include/linux/bpf_verifier.h), the checker 8"
	"|unparseable|not expressible in the text format (a global function of 6 arguments)"
	"|invalid indirect read from stack|stricter, project rule: no read of uninitialized stack, helper memory too (a privileged kernel allows it)"
	"strtol_arguments|expected=fp|stricter: a helper's out pointer (bpf_strtol's res) on the stack only; the kernel takes ctx too (docs/kernel-paths.md)"
)
classify() { # test name, checker message -> class or ""
	local k pat msg cls
	for k in "${KNOWN[@]}"; do
		IFS='|' read -r pat msg cls <<<"$k"
		if [[ "$1" == *"$pat"* ]] && [[ "$2" == *"$msg"* ]]; then echo "$cls"; return; fi
	done
}

same=0 diff=0 unexplained=0
declare -A classes
section() { awk -v f="== $1" '$0 == f { on = 1; next } /^== |^run: / { on = 0 } on' <<<"$out"; }
for f in "${files[@]}"; do
	id=$(basename "$f" .s)
	s=$(section "$f")
	if grep -q '^equal' <<<"$s"; then
		same=$((same + 1)); continue
	fi
	diff=$((diff + 1))
	cmsg=$(sed -n 's/^; checker: //p' "$f")
	line=$(head -n 1 <<<"$s")
	cls=$(classify "${tname[$id]:-?}" "$cmsg$line")
	if [ -n "$cls" ]; then
		classes[$cls]=$((${classes[$cls]:-0} + 1))
		echo "diff $id (${tname[$id]:-?}): $line  [$cls]"
	else
		unexplained=$((unexplained + 1))
		echo "FAIL $id (${tname[$id]:-?}), not explained: checker: $cmsg"
		echo "$s" | head -n 12 | sed 's/^/     /'
	fi
done
echo "verdicts: $total checker test programs; $skip_model use model helpers/kfuncs, $skip_opts use non-kernel checker options;"
echo "          of ${#files[@]} compared, $same same verdict, $diff different ($unexplained unexplained)"
for c in "${!classes[@]}"; do echo "          ${classes[$c]} x $c"; done
[ $unexplained = 0 ] || fail=1

# ---- 2. interpreter programs: kernel results equal the interpreter's -------
ieq=0
for f in "${interp_files[@]}"; do
	id=$(basename "$f" .s)
	s=$(section "$f")
	if grep -q '^equal' <<<"$s"; then
		ieq=$((ieq + 1))
	else
		echo "FAIL $id (${tname[$id]:-?}):"
		echo "$s" | head -n 20 | sed 's/^/     /'
		fail=1
	fi
done
echo "interpreter tests: ${#interp_files[@]} programs run in the kernel, $ieq equal to the interpreter"
[ ${#interp_files[@]} -ge 20 ] || { echo "FAIL: only ${#interp_files[@]} interpreter programs dumped"; fail=1; }

# upstream stack_arg.c results, by value (low 32 bits of r0)
for want in "selftest_global_many_args_55 55" "selftest_bpf2bpf_ptr_stack_arg_75 75" \
	"selftest_bpf2bpf_mix_stack_args_66 66" "selftest_bpf2bpf_nesting_stack_arg_84 84" \
	"selftest_two_callees_133 133"; do
	read -r name val <<<"$want"
	id=""
	for k in "${!tname[@]}"; do [ "${tname[$k]}" = "$name" ] && [[ $k == i* ]] && id=$k; done
	if [ -z "$id" ]; then
		echo "FAIL $name: not dumped"; fail=1; continue
	fi
	if section "$tmp/interp/$id.s" | grep -q "^equal: r0=0x$(printf '%x' "$val") "; then
		echo "ok   $name: kernel r0 = $val"
	else
		echo "FAIL $name: want r0 = $val"; section "$tmp/interp/$id.s" | head -n 5; fail=1
	fi
done
exit $fail
