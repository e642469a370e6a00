#!/usr/bin/env bash
# tests/bench/vm_overhead.sh [ARM64_IMAGE [X86_64_IMAGE]]: what fuzz/run
# costs on top of the kernel (issue 17, item 1).
#
# For arm64 and x86_64 (images as arguments, default build/kernels/ARCH/
# vmlinuz; "-" skips an arch): `./fuzz/run --target vm --time T --jobs 1`
# on a fresh corpus copy, and its summary's figures: programs, the kernel's
# own load+run per program (measured in the guest), callfuzz's time on top
# (the job's time since its guest was up, minus the kernel's) and the
# overhead in percent. Not a test: it prints figures and exits 0.
#
#   VM_OVERHEAD_TIME  seconds per run (default 60)
#   VM_OVERHEAD_RUNS  runs per arch (default 1)
#   CALLFUZZ_VM_BATCH passed through (fuzz/run --vm-batch)
#   VM_OVERHEAD_ENGINE_ARGS  extra libFuzzer arguments (fuzz/run -- ARGS),
#                     e.g. -entropic=0
set -u
cd "$(dirname "$0")/../.."
t=${VM_OVERHEAD_TIME:-60}
runs=${VM_OVERHEAD_RUNS:-1}
images=("${1:-build/kernels/arm64/vmlinuz}" "${2:-build/kernels/x86_64/vmlinuz}")
arches=(arm64 x86_64)
tmp=$(mktemp -d /tmp/callfuzz-vm-overhead.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
for i in 0 1; do
	img=${images[$i]} arch=${arches[$i]}
	[ "$img" = - ] && continue
	[ -f "$img" ] || { echo "vm_overhead: $arch: no image $img (skipped)"; continue; }
	for ((r = 1; r <= runs; r++)); do
		rm -rf "$tmp/corpus" "$tmp/artifacts"
		mkdir -p "$tmp/corpus"
		cp seeds/corpus/* "$tmp/corpus/" 2>/dev/null
		./fuzz/run --target vm --arch "$arch" --kernel "$img" --time "$t" --jobs 1 --no-min \
			--corpus "$tmp/corpus" --artifacts "$tmp/artifacts" -- ${VM_OVERHEAD_ENGINE_ARGS:-} >"$tmp/out" 2>&1
		progs=$(grep -o 'summary: [0-9]*s, [0-9]* programs' "$tmp/out" | awk '{ print $3 }')
		over=$(grep "over the kernel" "$tmp/out" | sed 's/^fuzz\/run: vm: //')
		echo "vm_overhead: $arch run $r (${t}s, batch ${CALLFUZZ_VM_BATCH:-default}${VM_OVERHEAD_ENGINE_ARGS:+, $VM_OVERHEAD_ENGINE_ARGS}): ${progs:-?} programs; ${over:-no figures (log below)}"
		[ -n "$over" ] || tail -n 15 "$tmp/out"
	done
done
exit 0
