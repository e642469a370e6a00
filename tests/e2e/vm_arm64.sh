#!/usr/bin/env bash
# tests/e2e/vm_arm64.sh [ARCH]: `callfuzz vm` against a real kernel booted
# under qemu-system (one boot, every program in it). ARCH defaults to
# arm64; tests/e2e/vm_x86_64.sh runs this with x86_64.
#
# Programs with 0, 5, 6, 8, 9 and 12 arguments return 1000000 + a weighted sum
# sum(k * a_k) whose value is computed here by shell arithmetic; nested
# stack-argument calls; a pointer to the caller's stack passed in a stack
# slot; a program the verifier rejects ("R11 is invalid").
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
tmp=$(mktemp -d /tmp/callfuzz-e2e-vm.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0

# a_k: k*1000+k in registers (mov imm32); odd stack slots by ST imm
# (k*100003), even ones by STX from an LD_IMM64 with bits above 32 set.
value() {
	local k=$1
	if [ "$k" -le 5 ]; then echo $((k * 1000 + k))
	elif [ $((k % 2)) = 1 ]; then echo $((k * 100003))
	else echo $(((k << 40) | (k * 7))); fi
}
# r0 = low 32 bits of S ^ (S >> 32): the high half of every argument counts
fold() { echo $(( ($1 ^ ($1 >> 32)) & 0xffffffff )); }

# main calls wsumN(a_1..a_N), wsumN returns 1000000 + sum(k * a_k)
weighted_prog() {
	local n=$1 k
	echo ".func main"
	for ((k = 1; k <= n && k <= 5; k++)); do echo "    r$k = $(value $k)"; done
	for ((k = 6; k <= n; k++)); do
		if [ $((k % 2)) = 1 ]; then
			echo "    *(u64 *)(r11 - $((8 * (k - 5)))) = $(value $k)"
		else
			printf '    r0 = 0x%x ll\n' "$(value $k)"
			echo "    *(u64 *)(r11 - $((8 * (k - 5)))) = r0"
		fi
	done
	echo "    call wsum$n"
	echo "    r1 = r0"
	echo "    r1 >>= 32"
	echo "    r0 ^= r1"
	echo "    exit"
	echo ".func wsum$n, $n"
	echo "    r0 = 1000000"
	for ((k = 6; k <= n; k++)); do  # stack-args.md 2.4: loads first
		echo "    r6 = *(u64 *)(r11 + $((8 * (k - 5))))"
		echo "    r6 *= $k"
		echo "    r0 += r6"
	done
	for ((k = 1; k <= n && k <= 5; k++)); do
		echo "    r$k *= $k"
		echo "    r0 += r$k"
	done
	echo "    exit"
}

files=()
declare -A want
for n in 0 5 6 8 9 12; do
	weighted_prog $n >"$tmp/args$n.s"
	s=1000000
	for ((k = 1; k <= n; k++)); do s=$((s + k * $(value $k))); done
	files+=("$tmp/args$n.s")
	want[args$n]=$(fold $s)
done

# nested: main -> outer(8 args) -> inner(9 args); outer passes its own
# arguments on, scaled, and adds its 8th to inner's result.
cat >"$tmp/nested.s" <<'EOF'
.func main
    r1 = 1
    r2 = 2
    r3 = 3
    r4 = 4
    r5 = 5
    *(u64 *)(r11 - 8) = 6
    *(u64 *)(r11 - 16) = 7
    *(u64 *)(r11 - 24) = 8
    call outer
    exit
.func outer, 8
    r6 = *(u64 *)(r11 + 8)
    r7 = *(u64 *)(r11 + 16)
    r8 = *(u64 *)(r11 + 24)
    r9 = r6
    r9 += r8
    *(u64 *)(r11 - 32) = r9
    r6 *= 10
    *(u64 *)(r11 - 8) = r6
    r7 *= 10
    *(u64 *)(r11 - 16) = r7
    r9 = r8
    r9 *= 10
    *(u64 *)(r11 - 24) = r9
    call inner
    r0 += r8
    exit
.func inner, 9
    r0 = *(u64 *)(r11 + 8)
    r0 *= 6
    r6 = *(u64 *)(r11 + 16)
    r6 *= 7
    r0 += r6
    r6 = *(u64 *)(r11 + 24)
    r6 *= 8
    r0 += r6
    r6 = *(u64 *)(r11 + 32)
    r6 *= 9
    r0 += r6
    r2 *= 2
    r3 *= 3
    r4 *= 4
    r5 *= 5
    r0 += r1
    r0 += r2
    r0 += r3
    r0 += r4
    r0 += r5
    exit
EOF
files+=("$tmp/nested.s")
# inner gets 1..5, 60, 70, 80 and 6+8; outer adds 8
want[nested]=$((1 + 2*2 + 3*3 + 4*4 + 5*5 + 6*60 + 7*70 + 8*80 + 9*(6+8) + 8))

# a pointer to main's stack travels in slot 2 (arg 7); the callee reads
# through it and writes back; main stores the sum into ctx[16..19]
cat >"$tmp/stackptr.s" <<'EOF'
.func main
    r6 = r1
    r1 = 0x55
    *(u64 *)(r10 - 8) = r1
    r7 = r10
    r7 += -8
    r1 = 1
    r2 = 2
    r3 = 3
    r4 = 4
    r5 = 5
    *(u64 *)(r11 - 8) = 6
    *(u64 *)(r11 - 16) = r7
    call deref7
    r1 = *(u64 *)(r10 - 8)
    r0 += r1
    *(u32 *)(r6 + 16) = r0
    exit
.func deref7, 7
    r6 = *(u64 *)(r11 + 8)
    r7 = *(u64 *)(r11 + 16)
    r0 = *(u64 *)(r7 + 0)
    r0 += r6
    r1 = 99
    *(u64 *)(r7 + 0) = r1
    exit
EOF
files+=("$tmp/stackptr.s")
want[stackptr]=$((0x55 + 6 + 99))

printf '.func main\n    r11 += 8\n    r0 = 0\n    exit\n' >"$tmp/r11alu.s"
files+=("$tmp/r11alu.s")

out=$("$cf" vm --arch "$arch" --kernel "$kernel" "${files[@]}" 2>&1)
rc=$?
echo "$out" | head -n 2
section() { # the output for one file
	awk -v f="== $tmp/$1.s" '$0 == f { on = 1; next } /^== / { on = 0 } on' <<<"$out"
}
if ! grep -q '^kernel ' <<<"$out"; then
	echo "FAIL: no guest came up:"
	echo "$out"
	exit 1
fi
stack_args=no
grep -q 'stack arguments: yes' <<<"$out" && stack_args=yes
# The first line names the kernel command line; under TCG an arm64 guest
# boots with arm64.nopauth (docs/vm-target.md, "Why the cloud kernel is slower").
first=$(grep -m 1 '^kernel ' <<<"$out")
if [ "$arch" = arm64 ] && grep -q ', accel tcg' <<<"$first" &&
	! grep -q 'command line "[^"]* arm64\.nopauth",' <<<"$first"; then
	echo "FAIL: arm64 under TCG, but the first line names no arm64.nopauth: $first"
	exit 1
fi

check_r0() { # name, expected
	local s
	s=$(section "$1")
	if grep -qx "r0 = $2 (0x[0-9a-f]*).*" <<<"$s" || grep -q "^r0 = $2 (" <<<"$s"; then
		echo "ok   $1: r0 = $2"
	else
		echo "FAIL $1: want r0 = $2, got:"
		echo "$s" | sed 's/^/     /'
		fail=1
	fi
}
check_rejected() { # name, message
	local s
	s=$(section "$1")
	if grep -q '^verdict: rejected' <<<"$s" && grep -qF "$2" <<<"$s"; then
		echo "ok   $1: rejected, \"$2\""
	else
		echo "FAIL $1: want a rejection with \"$2\", got:"
		echo "$s" | sed 's/^/     /'
		fail=1
	fi
}

check_r0 args0 "${want[args0]}"
check_r0 args5 "${want[args5]}"
if [ $stack_args = yes ]; then
	for n in 6 8 9 12; do check_r0 args$n "${want[args$n]}"; done
	check_r0 nested "${want[nested]}"
	check_r0 stackptr "${want[stackptr]}"
	if grep -q "^ctx\[16..16\]: 00 -> $(printf '%02x' "${want[stackptr]}")\$" <<<"$(section stackptr)"; then
		echo "ok   stackptr: ctx[16] = ${want[stackptr]}"
	else
		echo "FAIL stackptr: ctx[16] is not ${want[stackptr]}"
		fail=1
	fi
else
	# a kernel without the series (Debian 12's 6.1/6.12) refuses r11
	for n in 6 8 9 12; do check_rejected args$n "R11 is invalid"; done
	check_rejected nested "R11 is invalid"
fi
check_rejected r11alu "R11 is invalid"
[ $rc = 1 ] || { echo "FAIL: exit code $rc, want 1 (a program was rejected)"; fail=1; }
exit $fail
