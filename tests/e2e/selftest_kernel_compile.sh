#!/usr/bin/env bash
# tests/e2e/selftest_kernel_compile.sh: `callfuzz selftest --kernel` writes
# a test that compiles, with clang-19 -target bpf, against the kernel tree's
# own tools/testing/selftests/bpf/progs/bpf_misc.h and tools/lib/bpf, for
# arm64 and x86 (-D__TARGET_ARCH_*), the way the selftests' Makefile
# compiles progs/*.c (-mcpu=v3 -Wall -Werror -std=gnu11).
#
# The tree: $CALLFUZZ_KERNEL_SRC, else build/kernel-src/linux-source-7.2
# (harness/target/kernel-tree.sh --fetch-only debian fetches and unpacks it).
# Absent: exit 77.
#
# Include set (no kernel build, no vmlinux.h): tests/e2e/lib/
# selftest_headers.bash, shared with selftest_kernel_load.sh.
#
# clang-19 does not define __BPF_FEATURE_STACK_ARGUMENT, so by itself it
# compiles the dummy half of the guard; -D__BPF_FEATURE_STACK_ARGUMENT makes
# it compile the test itself (naked functions need no stack-argument code
# generation). The btf__ companion's guarded half has non-naked functions of
# more than 5 arguments, which only a compiler with stack arguments can
# generate code for ("stack arguments are not supported"): clang-19 checks
# that half with -fsyntax-only. Exit 0 pass, 77 skip, else fail.
set -u
cd "$(dirname "$0")/../.."
root=$PWD
build=${CALLFUZZ_BUILD:-build}
cf=$root/$build/callfuzz
[ -x "$cf" ] || { echo "no $cf (run make)"; exit 1; }
src=${CALLFUZZ_KERNEL_SRC:-$root/build/kernel-src/linux-source-7.2}
misc=$src/tools/testing/selftests/bpf/progs/bpf_misc.h
if [ ! -f "$misc" ] || [ ! -f "$src/tools/lib/bpf/bpf_helpers.h" ]; then
	echo "no kernel source with $misc: run 'harness/target/kernel-tree.sh --fetch-only debian' or set CALLFUZZ_KERNEL_SRC=DIR"
	exit 77
fi
command -v clang-19 >/dev/null || { echo "clang-19 not installed (Debian package clang-19)"; exit 77; }
command -v python3 >/dev/null || { echo "python3 not installed (needed for scripts/bpf_doc.py)"; exit 77; }
tmp=$(mktemp -d)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

. tests/e2e/lib/selftest_headers.bash
selftest_headers "$src" "$tmp" || fail "bpf_doc.py"
cc() { clang-19 -g -O2 -target bpf -mcpu=v3 -Wall -Werror -std=gnu11 "${incs[@]}" "$@"; }

# 9 arguments (the guard, a companion), 1 argument (a companion, no guard),
# and a ctx reader (__success only)
cat >"$tmp/sum9.s" <<'EOF'
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
    *(u64 *)(r11 - 32) = -9
    call sum9
    r0 %= 1000
    exit
.func sum9, 9
    r6 = *(u64 *)(r11 + 8)
    r9 = *(u64 *)(r11 + 32)
    r0 = r1
    r0 += r6
    r0 += r9
    exit
EOF
cat >"$tmp/ctx1.s" <<'EOF'
.func main
    r6 = r1
    r1 = *(u64 *)(r6 + 8)
    call inc
    *(u64 *)(r6 + 16) = r0
    exit
.func inc, 1
    r0 = r1
    r0 += 1
    exit
EOF
cat >"$tmp/trace.s" <<'EOF'
.func main
    r1 = 1
    r2 = 2
    r3 = 3
    r4 = 4
    r5 = 5
    call trace
    r0 = 0
    exit
EOF

cd "$tmp"
"$cf" selftest sum9.s --kernel -o verifier_cf_sum9.c 2>gen.log || { cat gen.log; fail "selftest sum9.s"; }
"$cf" selftest ctx1.s --kernel --ctx 0000000000000000ff01 -o verifier_cf_ctx1.c 2>>gen.log ||
	{ cat gen.log; fail "selftest ctx1.s"; }
grep -q '__success __retval(614)' verifier_cf_sum9.c || fail "sum9: no __retval(614) (the interpreter's r0)"
grep -q '__btf_func_path("btf__verifier_cf_sum9.bpf.o")' verifier_cf_sum9.c || fail "sum9: no __btf_func_path"
grep -q 'LIMITATION' verifier_cf_ctx1.c || fail "ctx1: the ctx limitation is not documented"
if "$cf" selftest trace.s --kernel -o refused.c 2>refused.log; then fail "a model helper was not refused"; fi
grep -q 'model environment' refused.log || fail "refusal without the reason: $(cat refused.log)"
[ ! -e refused.c ] || fail "a refused selftest was written"

for arch in arm64 x86; do
	for t in verifier_cf_sum9 verifier_cf_ctx1; do
		cc -D__TARGET_ARCH_$arch -c $t.c -o $t.$arch.o 2>cc.log || { cat cc.log; fail "$t.c ($arch)"; }
		cc -D__TARGET_ARCH_$arch -D__BPF_FEATURE_STACK_ARGUMENT -c $t.c -o $t.$arch.sa.o 2>cc.log ||
			{ cat cc.log; fail "$t.c ($arch, __BPF_FEATURE_STACK_ARGUMENT)"; }
		cc -D__TARGET_ARCH_$arch -c btf__$t.c -o btf__$t.$arch.o 2>cc.log ||
			{ cat cc.log; fail "btf__$t.c ($arch)"; }
		cc -D__TARGET_ARCH_$arch -D__BPF_FEATURE_STACK_ARGUMENT -fsyntax-only btf__$t.c 2>cc.log ||
			{ cat cc.log; fail "btf__$t.c ($arch, __BPF_FEATURE_STACK_ARGUMENT, syntax)"; }
	done
	# the guarded half holds the test (r11 store 0x7a, dst 11, -8, 6), the
	# other half only the dummy
	if command -v llvm-objdump-19 >/dev/null; then
		llvm-objdump-19 -d verifier_cf_sum9.$arch.sa.o | grep -q '7a 0b f8 ff 06 00 00 00' ||
			fail "$arch: the guarded half has no r11 store"
		llvm-objdump-19 -d verifier_cf_sum9.$arch.o | grep -q 'r11' && fail "$arch: r11 outside the guard"
		llvm-objdump-19 -t verifier_cf_sum9.$arch.o | grep -q 'callfuzz_repro_dummy' ||
			fail "$arch: no dummy test without __BPF_FEATURE_STACK_ARGUMENT"
	fi
done
# maps, prog arrays, raw tracepoints and kfuncs (tests/e2e/data/selftest_maps/,
# loaded on the host by selftest_kernel_load.sh): each compiles for both
# arches, with libbpf's map relocations (R_BPF_64_64 against the map or the
# global) and upstream's tags (__auxiliary on the tail-call targets)
for s in "$root"/tests/e2e/data/selftest_maps/*.s; do
	t=verifier_cf_$(basename "$s" .s)
	"$cf" selftest "$s" --kernel --ctx 0000000000000000610000 -o $t.c 2>>gen.log || { cat gen.log; fail "selftest $s"; }
	for arch in arm64 x86; do
		cc -D__TARGET_ARCH_$arch -c $t.c -o $t.$arch.o 2>cc.log || { cat cc.log; fail "$t.c ($arch)"; }
		[ ! -e btf__$t.c ] || cc -D__TARGET_ARCH_$arch -c btf__$t.c -o btf__$t.$arch.o 2>cc.log ||
			{ cat cc.log; fail "btf__$t.c ($arch)"; }
	done
done
[ -e btf__verifier_cf_tail_raw_tp.c ] && grep -q '^long callfuzz_repro_t0_g(long a1)$' btf__verifier_cf_tail_raw_tp.c ||
	fail "tail_raw_tp: no companion naming the target's subprogram's parameter"
grep -q '^SEC("raw_tp")$' verifier_cf_tail_raw_tp.c || fail "tail_raw_tp: no SEC(\"raw_tp\")"
grep -q '^} jt SEC(".maps") = {$' verifier_cf_tail_syscall.c || fail "tail_syscall: no prog array initializer"
if command -v llvm-objdump-19 >/dev/null; then
	llvm-objdump-19 -r verifier_cf_tail_syscall.x86.o | grep -q 'R_BPF_64_ABS64.*callfuzz_repro_t0' ||
		fail "tail_syscall: the prog array's slot has no relocation against the target"
	llvm-objdump-19 -dr verifier_cf_maps.arm64.o | grep -q 'R_BPF_64_64.*hm' || fail "maps: no relocation against hm"
	llvm-objdump-19 -h verifier_cf_strncmp_raw_tp.arm64.o | grep -q '\.rodata\.map_s' ||
		fail "strncmp_raw_tp: no .rodata.map_s section"
fi
strings verifier_cf_tail_syscall.arm64.o | grep -qE '^comment:[0-9]+:test_auxiliary$' ||
	fail "tail_syscall: no test_auxiliary tag in the BTF"

# the real header's test tags: "comment:<counter>:test_retval=614"
strings verifier_cf_sum9.arm64.sa.o | grep -qE '^comment:[0-9]+:test_retval=614$' ||
	fail "no test_retval tag in the BTF (bpf_misc.h's __test_tag)"
strings verifier_cf_sum9.arm64.sa.o | grep -qE '^comment:[0-9]+:test_btf_func_path=btf__verifier_cf_sum9.bpf.o$' ||
	fail "no test_btf_func_path tag in the BTF"
echo "selftest --kernel compiles against $misc (arm64, x86; both halves of the guard; maps, tail calls, raw_tp, kfuncs)"
