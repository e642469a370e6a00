#!/usr/bin/env bash
# tests/bench/kernel_agree.sh [COUNT] [SEED]: how far the host kernel agrees
# with callfuzz (issue 6).
#
# COUNT generated programs (default 10,000; gen/gen.h, kernel profile, the
# argument limit the host takes: 5 on kernels without stack arguments) go
# through the checker, the interpreter and the host kernel (load + test
# run): `callfuzz kernel-agree`. Prints the share the kernel's verifier
# accepts (target: 100%, a rejection is a checker or generator bug: the
# checker accepted the program) and the share whose r0 (low 32 bits) and
# ctx agree with the interpreter (target: 100%), with the rejections
# grouped by the verifier's reason. Every rejection's program and verifier
# log, and every difference, is saved in $OUT (default
# /tmp/callfuzz-kernel-agree) for investigation.
# Not a test: it prints figures; exits 0 when everything agreed, 1 if not,
# 2 if something is missing (bpf() refused: the message says why).
# A second pass (COUNT/10 programs, up to 12 arguments) checks that a kernel
# without stack arguments rejects exactly the 6+ argument ones, with
# "R11 is invalid".
set -u
cd "$(dirname "$0")/../.."
build=${CALLFUZZ_BUILD:-build}
count=${1:-${KERNEL_AGREE_COUNT:-10000}}
seed=${2:-${KERNEL_AGREE_SEED:-1}}
out=${KERNEL_AGREE_OUT:-/tmp/callfuzz-kernel-agree}
[ -x "$build/callfuzz" ] || { echo "build first: make"; exit 2; }

"$build/callfuzz" kernel-probe || exit 2
rm -rf "$out"
echo "== $count generated programs through checker, interpreter and host kernel (cases in $out)"
"$build/callfuzz" kernel-agree --count "$count" --seed "$seed" --out "$out"
rc=$?

# On a kernel without stack arguments, programs of up to 12 arguments: the
# ones with a 6+ argument function must all be rejected with "R11 is
# invalid" (the probe's answer), the others accepted and agreeing.
if "$build/callfuzz" kernel-probe | grep -q '^stack arguments: no'; then
	n12=$(( count / 10 > 0 ? count / 10 : 1 ))
	echo "== $n12 programs of up to 12 arguments (cases in $out-12)"
	rm -rf "$out-12"
	"$build/callfuzz" kernel-agree --count "$n12" --seed "$seed" --max-args 12 --out "$out-12" | grep -v '^kernel [0-9]'
	for f in "$out-12"/reject-*.log; do
		[ -f "$f" ] || continue
		s=${f%.log}.s
		grep -q 'R11 is invalid' "$f" || { echo "unexpected rejection: $f"; rc=1; }
		grep -qE '^\.func [A-Za-z0-9_]+, ([6-9]|1[0-2])' "$s" || { echo "rejected without a 6+ argument function: $s"; rc=1; }
	done
fi
exit $rc
