#!/usr/bin/env bash
# tests/e2e/selftest_kernel_load.sh: the selftests `callfuzz selftest
# --kernel` writes for maps, prog arrays, raw tracepoints and kfuncs
# (tests/e2e/data/selftest_maps/) load on the host kernel and give what the
# files say: compiled with clang-19 against the kernel tree's bpf_misc.h
# (as tests/e2e/selftest_kernel_compile.sh does), loaded with libbpf by
# tests/e2e/selftest_kernel_load.c, which does what test_loader and the
# file's prog_tests/ fragment do (every program loaded, the prog arrays
# filled from their .values, the parameter names of __btf_func_path's
# companion, one BPF_PROG_TEST_RUN), and compared with:
#   __retval(N)                     a run with empty options (test_loader's)
#   the fragment's ASSERT_EQ, ctx[I] == 0xBB and map lines
#                                   a run on the fragment's ctx
#
# The host kernel is not 7.2: a sleepable (SYSCALL) program that uses a
# prog array is refused before 7.x ("Sleepable programs can only use
# array, hash, ringbuf and local storage maps"), so tail_syscall.s is
# checked only where the host loads it; the vm target's guest has no
# libbpf, so the tests never run on the vm target's kernels.
# Exit 0 pass, 77 skip (no kernel source, clang-19, libbpf or bpf()), else fail.
set -u
cd "$(dirname "$0")/../.."
root=$PWD
build=${CALLFUZZ_BUILD:-build}
cf=$root/$build/callfuzz
data=$root/tests/e2e/data/selftest_maps
[ -x "$cf" ] || { echo "no $cf (run make)"; exit 1; }
src=${CALLFUZZ_KERNEL_SRC:-$root/build/kernel-src/linux-source-7.2}
[ -f "$src/tools/testing/selftests/bpf/progs/bpf_misc.h" ] ||
	{ echo "no kernel source at $src (harness/target/kernel-tree.sh --fetch-only debian)"; exit 77; }
command -v clang-19 >/dev/null || { echo "clang-19 not installed (Debian package clang-19)"; exit 77; }
command -v python3 >/dev/null || { echo "python3 not installed (needed for scripts/bpf_doc.py)"; exit 77; }
[ -f /usr/include/bpf/libbpf.h ] || { echo "no libbpf headers (Debian package libbpf-dev)"; exit 77; }
case $(uname -m) in
x86_64) arch=x86 ;;
aarch64) arch=arm64 ;;
*) echo "host arch $(uname -m): no __TARGET_ARCH for it here"; exit 77 ;;
esac
tmp=$(mktemp -d)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

. tests/e2e/lib/selftest_headers.bash
selftest_headers "$src" "$tmp" || fail "bpf_doc.py"
gcc -Wall -Wextra -Werror -O1 -o "$tmp/load" tests/e2e/selftest_kernel_load.c -lbpf 2>"$tmp/gcc.log" ||
	{ cat "$tmp/gcc.log"; fail "tests/e2e/selftest_kernel_load.c"; }

# The file's expectations, in the loader's words.
expected() { # FILE.c
	local c=$1
	if grep -q '^__success __retval(' "$c"; then
		local r
		r=$(sed -n 's/^__success __retval(\(-\{0,1\}[0-9]*\))$/\1/p' "$c")
		echo "retval $(((r + 4294967296) % 4294967296))"
	else
		sed -n 's/^ \*\tASSERT_EQ(topts.retval, \([0-9]*\), "retval");$/retval \1/p' "$c"
	fi
	sed -n 's/^ \*\t\tctx\[\([0-9]*\)\] == \(0x[0-9a-f]*\)$/ctx[\1] \2/p' "$c"
	awk '/^ \*\t[a-z_0-9]+: [0-9]+ entr/ { m = $2; sub(":", "", m) }
	     /^ \*\t\tkey \{/ { sub(/^ \*\t\t/, ""); print "map " m " " $0 }' "$c"
}

ctx=0000000000000000610000 # u64 ctx[1] = 0x61: what each program reads
ran=0 refused=0
for s in "$data"/*.s; do
	t=$(basename "$s" .s)
	"$cf" selftest "$s" --kernel --ctx $ctx -o "$tmp/$t.c" 2>"$tmp/$t.gen" || { cat "$tmp/$t.gen"; fail "selftest $t.s"; }
	clang-19 -g -O2 -target bpf -mcpu=v3 -Wall -Werror -std=gnu11 "${incs[@]}" -D__TARGET_ARCH_$arch \
		-c "$tmp/$t.c" -o "$tmp/$t.o" 2>"$tmp/$t.cc" || { cat "$tmp/$t.cc"; fail "$t.c ($arch)"; }
	args=("$ctx")
	grep -q '^__success __retval(' "$tmp/$t.c" && args=(-)
	if [ -e "$tmp/btf__$t.c" ]; then
		# the companion, as test_loader's __btf_func_path reads it
		clang-19 -g -O2 -target bpf -mcpu=v3 -Wall -Werror -std=gnu11 "${incs[@]}" -D__TARGET_ARCH_$arch \
			-c "$tmp/btf__$t.c" -o "$tmp/btf__$t.o" 2>"$tmp/$t.cc" || { cat "$tmp/$t.cc"; fail "btf__$t.c"; }
		args+=("$tmp/btf__$t.o")
	fi
	"$tmp/load" "$tmp/$t.o" callfuzz_repro "${args[@]}" >"$tmp/$t.got" 2>"$tmp/$t.err"
	rc=$?
	if [ $rc = 77 ]; then
		echo "bpf() refused on this host: $(tail -n 1 "$tmp/$t.err")"
		exit 77
	fi
	if [ $rc != 0 ]; then
		if [ "$t" = tail_syscall ] && grep -q 'Sleepable programs can only use array, hash' "$tmp/$t.err"; then
			echo "$t: this kernel ($(uname -r)) refuses prog arrays in sleepable programs (7.x allows them): not loaded"
			refused=$((refused + 1))
			continue
		fi
		cat "$tmp/$t.err"
		fail "$t.o does not load and run on $(uname -r)"
	fi
	expected "$tmp/$t.c" | sort >"$tmp/$t.want"
	sort -o "$tmp/$t.got" "$tmp/$t.got"
	grep -q '^retval ' "$tmp/$t.want" || fail "$t.c: no expected retval found"
	diff -u "$tmp/$t.want" "$tmp/$t.got" || fail "$t: the kernel's run differs from what $t.c says"
	echo "$t: $(wc -l <"$tmp/$t.got") lines as the file says ($(tr '\n' ' ' <"$tmp/$t.got" | cut -c1-60)...)"
	ran=$((ran + 1))
done
[ $ran -ge 3 ] || fail "only $ran of the tests loaded"
echo "selftest --kernel: $ran tests loaded and ran on $(uname -r) as their files say ($refused refused by this kernel)"
