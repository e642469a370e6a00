#!/usr/bin/env bash
# tests/e2e/fuzz_vm_batch.sh: on the vm target the fuzz target sends the
# guest several inputs per round trip (fuzz/diff.c, "Batches"), and still
# writes a mismatch's artifact with the bytes of the input that made it.
#
# The corpus: 20 seeds and one input that generates a program Debian's
# 7.2.13 kernels refuse with "No program to jit" (bpf_loop with 0
# iterations, VERIFIER-known-loop-zero-no-jit, docs/kernel-bugs/;
# tests/e2e/data/vm_known_bug.input: since the merge of the string helpers
# and tail calls, an input of a 60 s fuzz/run on x86_64; a seed with those
# bytes would stay out of the corpus). With CALLFUZZ_VM_BATCH=8,
# `fuzz-diff -runs=0` runs the corpus: two full batches (the first in
# flight while the second fills: fuzz/diff.c, "Batches") and the rest at
# exit (atexit). Then:
#   - the bucket's input is that file, byte for byte, and its prog.s
#     replays on the same kernel with the same rejection (callfuzz run);
#   - every input libFuzzer ran reached the kernel (stats: programs), in
#     fewer round trips than programs;
#   - a job stopped by SIGINT (as fuzz/run stops them) runs what waits
#     first: programs in its stats = libFuzzer's executed units.
# x86_64 when its kernel is there (it boots fastest), else arm64; skips
# (77) without qemu-system, a kernel image or clang, or when the kernel
# does not show the bug (its reproducer, probed at boot). It fails when
# the kernel shows the bug and the input no longer makes it: the
# generator changed what these bytes mean. A new input: fuzz the kernel
# (`./fuzz/run --target vm --arch x86_64 --time 60 --jobs 1 --no-min`) and
# copy the bucket's `input` that is a VERIFIER-known-loop-zero-no-jit.
# About 20 s (three boots).
set -u
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: $*"; exit 1; }
build=${CALLFUZZ_BUILD:-build}
cf=$build/callfuzz
arch=x86_64 qemu=qemu-system-x86_64
if [ -n "${CALLFUZZ_KERNEL:-}" ]; then
	kernel=$CALLFUZZ_KERNEL arch=${CALLFUZZ_ARCH:-arm64}
else
	kernel=$build/kernels/x86_64/vmlinuz
	[ -s "$kernel" ] && command -v $qemu >/dev/null || kernel=$build/kernels/arm64/vmlinuz arch=arm64
fi
[ "$arch" = arm64 ] && qemu=qemu-system-aarch64
[ -s "$kernel" ] || { echo "skip: no kernel image (harness/target/fetch-kernels.sh; or CALLFUZZ_KERNEL=IMAGE)"; exit 77; }
command -v $qemu >/dev/null || { echo "skip: $qemu not installed"; exit 77; }
command -v clang >/dev/null || { echo "skip: clang missing: install the Debian package clang"; exit 77; }
[ -x "$cf" ] || fail "$cf not built"
kernel=$(cd "$(dirname "$kernel")" && pwd -P)/$(basename "$kernel")
# the fuzz build of fuzz/run (same folder, same flags)
flags="CC=clang FUZZ=1 SAN="
if [ "$(cat build-fuzz/.fuzz-flags 2>/dev/null)" != "$flags" ]; then
	rm -rf build-fuzz/obj
	mkdir -p build-fuzz && echo "$flags" >build-fuzz/.fuzz-flags
fi
make -s -j"$(nproc)" BUILD=build-fuzz CC=clang FUZZ=1 SAN= build-fuzz/fuzz-diff build-fuzz/callfuzz-exec \
	build-fuzz/agent/$arch/initramfs.cpio.gz >/dev/null 2>&1 || fail "the fuzz build failed"
tmp=$(mktemp -d /tmp/callfuzz-e2e-vmbatch.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/corpus"
culprit=tests/e2e/data/vm_known_bug.input
# (a seed with the culprit's bytes stays out (none of the first 20 now):
# one input makes the bug)
for f in $(ls seeds/corpus | head -n 20); do
	cmp -s "seeds/corpus/$f" "$culprit" || cp "seeds/corpus/$f" "$tmp/corpus/"
done
bug=loop-zero-no-jit
pattern=$(sed -n 's/^pattern = //p' docs/kernel-bugs/$bug/known.conf)
[ -n "$pattern" ] || fail "no pattern in docs/kernel-bugs/$bug/known.conf"
cp "$culprit" "$tmp/corpus/known-bug"
export CALLFUZZ_TARGET=vm CALLFUZZ_ARCH=$arch CALLFUZZ_KERNEL=$kernel CALLFUZZ_ARTIFACTS=$tmp/artifacts
stat_of() { awk -v k="$1" '$1 == k { s += $2 } END { printf "%d", s }' "$2"/*; }

# 1. a corpus run: the culprit's own bytes in its bucket
CALLFUZZ_VM_BATCH=8 CALLFUZZ_STATS_DIR=$tmp/stats1 build-fuzz/fuzz-diff -runs=0 "$tmp/corpus" >"$tmp/run1.log" 2>&1 ||
	{ cat "$tmp/run1.log"; fail "fuzz-diff exited $?"; }
grep -q '^fuzz-diff: target vm: .*; 8 inputs per round trip; ' "$tmp/run1.log" || fail "no line naming the batch: $(head -n 5 "$tmp/run1.log")"
bucket=$tmp/artifacts/VERIFIER-known-$bug
if ! grep -q "$bug (shown by this kernel)" "$tmp/run1.log"; then
	echo "skip: this kernel ($kernel) does not show $bug"
	exit 77
fi
[ -d "$bucket" ] || { grep -v '^INFO\|^#' "$tmp/run1.log"; fail "$culprit no longer makes $bug: the generator changed (a new input: see the head of $0)"; }
cmp -s "$bucket/input" "$culprit" || fail "the bucket's input is not the input that made it ($(wc -c <"$bucket/input") bytes)"
[ "$(wc -l <"$bucket/hits")" = 1 ] && grep -q "bytes=$(wc -c <"$culprit") " "$bucket/hits" || fail "hits: $(cat "$bucket/hits")"
runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$tmp/run1.log")
progs=$(stat_of programs "$tmp/stats1") trips=$(stat_of round_trips "$tmp/stats1")
[ -n "$runs" ] && [ "$progs" = "$runs" ] || fail "$progs programs reached the kernel, libFuzzer ran ${runs:-?} (exit flush?)"
[ "$trips" -gt 0 ] && [ "$trips" -lt "$progs" ] || fail "$trips round trips for $progs programs: not batched"
out=$("$cf" run --target vm --arch "$arch" --kernel "$kernel" "$bucket/prog.s" 2>&1)
[ $? = 1 ] || fail "prog.s does not replay: $out"
grep -qF "$pattern" <<<"$out" || fail "prog.s replays another verdict: $out"

# 2. fuzzing stopped by SIGINT: what waits runs before libFuzzer's handler exits
CALLFUZZ_VM_BATCH=64 CALLFUZZ_STATS_DIR=$tmp/stats2 CALLFUZZ_ARTIFACTS=$tmp/artifacts2 \
	build-fuzz/fuzz-diff -max_len=4096 -print_final_stats=1 "$tmp/corpus" >"$tmp/run2.log" 2>&1 &
pid=$!
for ((i = 0; i < 300; i++)); do
	grep -q 'INITED' "$tmp/run2.log" && break
	sleep 0.1
done
sleep 3
kill -INT $pid
wait $pid
units=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$tmp/run2.log")
progs=$(stat_of programs "$tmp/stats2")
[ -n "$units" ] && [ "$progs" = "$units" ] ||
	{ tail -n 5 "$tmp/run2.log"; fail "after SIGINT: $progs programs reached the kernel, libFuzzer ran ${units:-?}"; }
echo "ok: the bucket holds its own input; $runs inputs in $trips round trips; $units after SIGINT, none lost"
