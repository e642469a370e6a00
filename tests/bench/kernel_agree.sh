#!/usr/bin/env bash
# tests/bench/kernel_agree.sh [COUNT] [SEED]: how far the host kernel agrees
# with callfuzz (issue 6).
#
# COUNT generated programs (default 10,000; gen/gen.h, kernel profile, the
# argument limit the host takes: 5 on kernels without stack arguments) go
# through the checker, the interpreter and the host kernel (load + test
# run): `callfuzz agree --target kernel`, through the fuzz loop. Prints the share the kernel's verifier
# accepts (target: 100%, a rejection is a checker or generator bug: the
# checker accepted the program) and the share whose r0 (low 32 bits) and
# ctx agree with the interpreter (target: 100%), with the rejections
# grouped by the verifier's reason. Every difference is a bucket in $OUT
# (default /tmp/callfuzz-kernel-agree; `callfuzz triage $OUT`).
# Not a test: it prints figures; exits 0 when everything agreed, 1 if not,
# 2 if something is missing (bpf() refused: the message says why).
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
"$build/callfuzz" agree --target kernel --count "$count" --seed "$seed" --artifacts "$out"
rc=$?

# A kernel without stack arguments rejects every 6+ argument function with
# "R11 is invalid": tests/target/kernel_target.c pins that on the host
# (agree generates only what the kernel takes: the loop caps max_args).
exit $rc
