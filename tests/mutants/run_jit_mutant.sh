#!/usr/bin/env bash
# tests/mutants/run_jit_mutant.sh PATCH [SECONDS]: copy the tracked files of
# this tree to a scratch directory, apply PATCH (a deliberate bug in jit/),
# build the fuzz target there and run `fuzz/run --stop-on-mismatch --jobs 1`
# for at most SECONDS (default 120). The product code carries no bug
# switches: the bug exists only in the scratch copy.
#
# Prints "detected SIGNATURE after N s (M programs)" and exits 0 when an
# artifact appeared; "not detected ..." and exit 1 otherwise; exit 77 when
# a tool is missing; exit 2 when the patch does not apply or the build fails.
# KEEP=1 keeps the scratch directory.
set -u
cd "$(dirname "$0")/../.."
root=$PWD
patch_file=$(realpath "${1:?usage: run_jit_mutant.sh PATCH [SECONDS]}")
seconds=${2:-120}
name=$(basename "$patch_file" .patch)

command -v clang >/dev/null || { echo "clang missing: install the Debian package clang"; exit 77; }
command -v patch >/dev/null || { echo "patch missing: install the Debian package patch"; exit 77; }
if [ "$(uname -m)" != aarch64 ] && ! command -v qemu-aarch64-static >/dev/null && ! command -v qemu-aarch64 >/dev/null; then
	echo "qemu-aarch64 missing: install the Debian package qemu-user-static"
	exit 77
fi
command -v aarch64-linux-gnu-gcc >/dev/null || [ "$(uname -m)" = aarch64 ] ||
	{ echo "aarch64-linux-gnu-gcc missing: install gcc-aarch64-linux-gnu libc6-dev-arm64-cross"; exit 77; }

scratch=$(mktemp -d /tmp/callfuzz-mutant-XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$scratch"' EXIT

# The tracked files as they are in the working tree (what the developer
# tests), with their times, so that a copied fuzz build stays up to date.
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -z | xargs -0 cp -p --parents -t "$scratch" 2>/dev/null
else
	cp -a . "$scratch"
fi
# Reuse the objects of a fuzz build made with the same flags: only the
# patched file and the link are redone.
if [ "$(cat build-fuzz/.fuzz-flags 2>/dev/null)" = "CC=clang FUZZ=1 SAN=" ] && [ -d build-fuzz/obj ]; then
	mkdir -p "$scratch/build-fuzz"
	cp -a build-fuzz/obj build-fuzz/.fuzz-flags "$scratch/build-fuzz/"
fi
cd "$scratch"
if ! patch -p1 -s --no-backup-if-mismatch <"$patch_file"; then
	echo "$name: the patch does not apply to this tree's jit/ (regenerate it)"
	exit 2
fi
touch jit/jit.c
# FUZZ_HARNESS_SRC: the harness/ files to link, when one of the others does
# not build at the moment (make's HARNESS_SRC).
if ! make -s -j2 BUILD=build-fuzz CC=clang FUZZ=1 SAN= ${FUZZ_HARNESS_SRC:+"HARNESS_SRC=$FUZZ_HARNESS_SRC"} build-fuzz/fuzz-diff build-fuzz/callfuzz-exec >build.log 2>&1; then
	tail -n 20 build.log
	echo "$name: the mutant does not build"
	exit 2
fi
echo "CC=clang FUZZ=1 SAN=" >build-fuzz/.fuzz-flags

start=$(date +%s.%N)
./fuzz/run --no-build --jobs 1 --time "$seconds" --stop-on-mismatch --interval 5 \
	--corpus "$scratch/corpus" --artifacts "$scratch/artifacts" >run.log 2>&1
end=$(date +%s.%N)
elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
progs=$(sed -n 's/.*summary: [0-9]*s, \([0-9]*\) programs.*/\1/p' run.log)
sig=$(find "$scratch/artifacts" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%f\n' | sort | head -n 5 | tr '\n' ' ')
# a bucket: the input, the report, and the target that found it
if [ -n "$sig" ] && [ -s "$scratch/artifacts/${sig%% *}/input" ] && [ -s "$scratch/artifacts/${sig%% *}/report.txt" ] &&
	grep -qx 'target model' "$scratch/artifacts/${sig%% *}/target"; then
	echo "$name: detected ${sig% } after ${elapsed} s (${progs:-?} programs)"
	sed -n '2p' "$scratch/artifacts/${sig%% *}/report.txt" | sed 's/^/    /'
	exit 0
fi
tail -n 5 run.log
echo "$name: not detected within $seconds s (${progs:-?} programs)"
exit 1
