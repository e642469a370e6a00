#!/usr/bin/env bash
# tests/bench/vm_speed.sh [ARCH...]: speed of the vm target.
#
# For each architecture with a kernel image (build/kernels/ARCH/vmlinuz or
# CALLFUZZ_KERNEL): boot to ready (qemu start to the agent's HELLO), and
# programs/s for load+test-run+close of a 1-function program and of a
# 12-argument call, one program per round trip and 8 per round trip, with
# the time split into the guest's BPF_PROG_LOAD, its BPF_PROG_TEST_RUN and
# the rest (virtio-serial transfer, host-side BTF build, close).
# Then the oracle on generated programs (`callfuzz agree --target vm`, kernel
# profile, VM_BENCH_FUZZ_N programs, default 200) at 1 and 16 programs per
# round trip: programs/s and the split per program (the kernel's load and
# run, measured in the guest; protocol = round-trip wall time minus those;
# host = checker, interpreter, comparison), and the protocol's overhead as a
# share of the kernel's own load + run time (target: at most 30%).
# Not a test: it prints figures and exits 0.
set -u
cd "$(dirname "$0")/../.."
build=${CALLFUZZ_BUILD:-build}
n=${VM_BENCH_N:-400}
arches=("$@")
[ ${#arches[@]} = 0 ] && arches=(arm64 x86_64)
tmp=$(mktemp -d /tmp/callfuzz-bench-vm.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

printf '.func main\n    r0 = 7\n    exit\n' >"$tmp/plain.s"
{
	echo ".func main"
	for k in 1 2 3 4 5; do echo "    r$k = $k"; done
	for k in 6 7 8 9 10 11 12; do echo "    *(u64 *)(r11 - $((8 * (k - 5)))) = $k"; done
	echo "    call f12"
	echo "    exit"
	echo ".func f12, 12"
	echo "    r0 = r1"
	for k in 6 7 8 9 10 11 12; do
		echo "    r6 = *(u64 *)(r11 + $((8 * (k - 5))))"
		echo "    r0 += r6"
	done
	echo "    exit"
} >"$tmp/args12.s"

fuzz_n=${VM_BENCH_FUZZ_N:-200}
for arch in "${arches[@]}"; do
	kernel=${CALLFUZZ_KERNEL:-$build/kernels/$arch/vmlinuz}
	if [ ! -s "$kernel" ]; then
		echo "$arch: no kernel image ($kernel); harness/target/fetch-kernels.sh"
		continue
	fi
	echo "== $arch ($kernel)"
	for batch in 1 8; do
		"$build/callfuzz" vm --arch "$arch" --kernel "$kernel" --repeat "$n" --batch "$batch" \
			"$tmp/plain.s" "$tmp/args12.s" | sed "s|$tmp/||"
	done
	for batch in 1 16; do
		echo "-- oracle, $fuzz_n generated programs, $batch per round trip"
		"$build/callfuzz" agree --target vm --arch "$arch" --kernel "$kernel" --count "$fuzz_n" --batch "$batch" |
			grep -E '^agree: [0-9]|time:' |
			awk '{ print } /time:/ {
				for (i = 1; i <= NF; i++) {
					if ($i == "load") load = $(i + 1)
					if ($i == "run") run = $(i + 1)
					if ($i == "protocol+agent") proto = $(i + 1)
				}
				if (load + run > 0)
					printf "  protocol overhead: %.1f%% of the kernel load + run time\n", 100 * proto / (load + run)
			}'
	done
done
exit 0
