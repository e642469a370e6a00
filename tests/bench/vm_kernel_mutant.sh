#!/usr/bin/env bash
# tests/bench/vm_kernel_mutant.sh [--checking] [PATCH [MAX_PROGRAMS]]: does
# fuzzing the vm target find a bug in the kernel's JIT (or verifier)?
#
# --checking builds the "checking" kernel (harness/target/kernel-checking.config:
# KASAN, UBSAN, lockdep, ...) with the patch, for bugs that only the
# kernel's own reports show (REPORT-* buckets: kernel-stack-arg-slots-short).
#
# Builds Debian's linux-source-7.2 (harness/target/kernel-tree.sh fetches and
# unpacks it once) for arm64 with PATCH applied to a scratch copy (default
# tests/mutants/kernel-stack-arg-imm32.patch; 6.5 min from nothing on 2 idle
# cores, seconds once built), then runs `callfuzz agree --target vm` on the mutant
# kernel until the first mismatch (at most MAX_PROGRAMS, default 20000),
# and prints the time and number of programs to it. The mismatching program
# is then run on the unpatched Debian 7.2.13 kernel (build/kernels/arm64)
# as a control: there it must be equal, so the mismatch is the mutant's.
# Not a test: exit 0 when the mutant is found, 1 when not.
set -u
cd "$(dirname "$0")/../.."
build=${CALLFUZZ_BUILD:-build}
flavour=()
if [ "${1:-}" = --checking ]; then
	flavour=(--checking)
	shift
fi
patch=${1:-tests/mutants/kernel-stack-arg-imm32.patch}
max=${2:-20000}
out=$build/vm-mutant
rm -rf "$out"
mkdir -p "$out"

t0=$(date +%s)
image=$(harness/target/kernel-tree.sh "${flavour[@]}" --arch arm64 --patch "$patch" debian | tail -n 1)
[ -s "$image" ] || { echo "kernel build failed"; exit 1; }
echo "mutant kernel: $image (built or reused in $(( $(date +%s) - t0 )) s)"

t1=$(date +%s)
"$build/callfuzz" agree --target vm --arch arm64 --kernel "$image" --count "$max" --seed "${VM_MUTANT_SEED:-1}" \
	--stop-after 1 --stop-on KERNEL,CRASH,TIMEOUT,REPORT --artifacts "$out" | tee "$out/fuzz.log"
echo "wall time of the fuzzing run (boot included): $(( $(date +%s) - t1 )) s"
bucket=$(ls -d "$out"/KERNEL-* "$out"/CRASH-kernel-* "$out"/TIMEOUT-kernel-* "$out"/REPORT-* 2>/dev/null | head -n 1)
if [ -z "$bucket" ]; then
	echo "mutant NOT found in $max programs"
	exit 1
fi
rep=$bucket/prog.s
echo "report: $bucket/report.txt (shrink it on the mutant: $build/callfuzz min $bucket)"
sed -n '1,14p' "$bucket/report.txt"
pristine=$build/kernels/arm64/vmlinuz
if [ -s "$pristine" ]; then
	echo "control on the unpatched kernel ($pristine):"
	"$build/callfuzz" run --target vm --kernel "$pristine" "$rep" | sed -n '2p'
fi
exit 0
