#!/usr/bin/env bash
# tests/e2e/ossfuzz_vm.sh: the vm fuzz target of the OSS-Fuzz layout.
# build.sh in OSS-Fuzz mode (as tests/e2e/ossfuzz_build.sh runs it: clang,
# ASan, libFuzzer) puts fuzz-diff_vm, the agent's initramfs
# ($OUT/agent/ARCH/initramfs.cpio.gz) and the kernels
# ($OUT/kernels/ARCH/vmlinuz, copied from build/kernels or fetched) into a
# scratch $OUT; then fuzz-diff_vm runs a few seconds from $OUT with no
# environment of ours (no CALLFUZZ_TARGET, _KERNEL, _ARCH): it must know it
# is the vm target, boot the default arm64 kernel from $OUT and run
# programs. Objects stay in build-ossfuzz/ ($WORK). Exit 0 pass, 77 skip,
# else fail.
set -u
cd "$(dirname "$0")/../.."
root=$PWD
for tool in clang clang++ zip unzip; do
	command -v $tool >/dev/null || { echo "skip: $tool missing: install the Debian package ${tool/clang++/clang}"; exit 77; }
done
command -v aarch64-linux-gnu-gcc >/dev/null || { echo "skip: aarch64-linux-gnu-gcc missing (gcc-aarch64-linux-gnu libc6-dev-arm64-cross)"; exit 77; }
[ "$(uname -m)" = aarch64 ] || command -v qemu-aarch64-static >/dev/null ||
	{ echo "skip: qemu-aarch64-static missing: install the Debian package qemu-user-static"; exit 77; }
command -v qemu-system-aarch64 >/dev/null || { echo "skip: qemu-system-aarch64 not installed (apt-get install qemu-system-arm)"; exit 77; }
[ -s build/kernels/arm64/vmlinuz ] || { echo "skip: no arm64 kernel in build/kernels (harness/target/fetch-kernels.sh); not fetched again here"; exit 77; }
out=$(mktemp -d /tmp/callfuzz-ossfuzz-vm-XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

san="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address -fsanitize-address-use-after-scope"
env -i PATH="$PATH" HOME="${HOME:-/root}" OUT="$out/out" WORK="$root/build-ossfuzz" SRC="$root/.." \
	CC=clang CXX=clang++ CFLAGS="$san -fsanitize=fuzzer-no-link" CXXFLAGS="$san -fsanitize=fuzzer-no-link" \
	LIB_FUZZING_ENGINE=-fsanitize=fuzzer SANITIZER=address FUZZING_ENGINE=libfuzzer \
	nice ./build.sh >"$out/build.log" 2>&1 || { tail -n 30 "$out/build.log"; fail "build.sh in OSS-Fuzz mode"; }
o=$out/out
for f in fuzz-diff_vm fuzz-diff_vm.options fuzz-diff_vm_seed_corpus.zip agent/arm64/initramfs.cpio.gz \
	agent/x86_64/initramfs.cpio.gz kernels/arm64/vmlinuz kernels/x86_64/vmlinuz; do
	[ -s "$o/$f" ] || fail "\$OUT/$f missing"
done
[ -z "$(ls -d "$o"/kernels/apt-* 2>/dev/null)" ] || fail "fetch-kernels' apt state left in \$OUT"
mkdir -p "$out/corpus"
unzip -q -o "$o/fuzz-diff_vm_seed_corpus.zip" -d "$out/corpus" || fail "the seed corpus does not unzip"
opts=()
while IFS='=' read -r k v; do
	k=$(echo "$k" | tr -d ' ') v=$(echo "$v" | tr -d ' ')
	[ -n "$k" ] && [ -n "$v" ] && opts+=("-$k=$v")
done < <(sed -n '/^\[libfuzzer\]/,/^\[/p' "$o/fuzz-diff_vm.options" | grep -v -e '^\[' -e '^#')
# From $OUT, as a runner starts it: nothing of ours in the environment. The
# guest boots in LLVMFuzzerInitialize; -max_total_time counts after it.
(cd "$o" && env -u CALLFUZZ_TARGET -u CALLFUZZ_KERNEL -u CALLFUZZ_ARCH -u CALLFUZZ_EXEC -u CALLFUZZ_QEMU \
	CALLFUZZ_ARTIFACTS="$out/artifacts" ASAN_OPTIONS=detect_leaks=1 \
	./fuzz-diff_vm "${opts[@]}" -max_total_time=5 "$out/corpus") >"$out/run.log" 2>&1 ||
	{ tail -n 30 "$out/run.log"; fail "fuzz-diff_vm did not run cleanly from \$OUT"; }
grep -m 1 '^fuzz-diff: target vm' "$out/run.log"
grep -q '^fuzz-diff: target vm: kernel 7\.[0-9.]*+[^ ]*arm64 (aarch64), command line "[^"]*", accel ' "$out/run.log" ||
	{ tail -n 20 "$out/run.log"; fail "fuzz-diff_vm did not say it booted the arm64 kernel"; }
grep -qxF "fuzz-diff: kernel image $(cd "$o" && pwd -P)/kernels/arm64/vmlinuz" "$out/run.log" ||
	fail "the kernel was not \$OUT's: $(grep 'kernel image' "$out/run.log")"
runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$out/run.log")
[ "${runs:-0}" -gt 0 ] || { tail -n 20 "$out/run.log"; fail "no 'Done N runs' line with N > 0"; }
progs=$(cat "$out/artifacts/.stats/"* 2>/dev/null | awk '$1 == "programs" { s += $2 } END { print s + 0 }')
[ "$progs" -gt 0 ] || fail "no program ran on the kernel (stats: $(ls "$out/artifacts/.stats" 2>/dev/null))"
echo "ossfuzz_vm: fuzz-diff_vm from \$OUT booted \$OUT/kernels/arm64/vmlinuz, $runs inputs, $progs programs"
