#!/usr/bin/env bash
# tests/bench/vm_agree.sh [N [ARCH...]]: how often the real kernel agrees
# with callfuzz on generated programs.
#
# For each architecture with a kernel image (build/kernels/ARCH/vmlinuz or
# CALLFUZZ_KERNEL): N programs (default 10000) of the generator's kernel
# profile (--max-args from the kernel's probe: 12 on 7.2), seeds 1..N,
# through `callfuzz agree --target vm`: the share the checker accepts (100% or the
# generator has a bug), the share the real verifier accepts, and the share
# whose kernel results (JIT; the kernel's interpreter too when every
# function takes at most 5 arguments) equal the interpreter's. Every
# difference is written to build/vm-agree-ARCH/ as a .s reproducer and a
# .txt report. VM_AGREE_SEED changes the first seed. Not a test: exit 0.
set -u
cd "$(dirname "$0")/../.."
build=${CALLFUZZ_BUILD:-build}
n=${1:-10000}
shift $(( $# > 0 ? 1 : 0 ))
arches=("$@")
[ ${#arches[@]} = 0 ] && arches=(arm64 x86_64)
seed=${VM_AGREE_SEED:-1}
for arch in "${arches[@]}"; do
	kernel=${CALLFUZZ_KERNEL:-$build/kernels/$arch/vmlinuz}
	if [ ! -s "$kernel" ]; then
		echo "$arch: no kernel image ($kernel); harness/target/fetch-kernels.sh"
		continue
	fi
	out=$build/vm-agree-$arch
	rm -rf "$out"
	echo "== $arch: $n programs from seed $seed ($kernel)"
	"$build/callfuzz" agree --target vm --arch "$arch" --kernel "$kernel" --count "$n" --seed "$seed" --artifacts "$out"
	echo "   buckets: $(find "$out" -mindepth 1 -maxdepth 1 -type d ! -name '.*' 2>/dev/null | wc -l) in $out (callfuzz triage $out)"
done
exit 0
