#!/usr/bin/env bash
# tests/bench/kcov_cover.sh [--arch A] [--time S] [--kernel IMAGE] [--only WHAT]:
# how much of the real JIT (arch/ARCH/net/bpf_jit_comp.c) does fuzzing
# reach, with and without kernel coverage as libFuzzer feedback, beside
# upstream's own stack-argument selftests? (docs/benchmarks.md, "Kernel
# coverage of the JIT")
#
# The kernel: --kernel IMAGE (a KCOV kernel-tree build: its vmlinux beside
# arch/), else harness/target/kernel-tree.sh --kcov of linux-source-7.2
# (7-20 min from nothing on 2 cores, seconds once built).
#
# WHAT (default all): feedback, nofeedback, selftests. Each fuzzing run is
# `fuzz/run --target vm --jobs 1 --time S --no-min` from a fresh corpus
# (fuzz/run seeds it from seeds/corpus/), the first with KCOV feedback
# (each input alone per round trip, so the counters are its own), the
# second without (PCs counted, libFuzzer not told; the default 16 inputs
# per round trip). The selftests are upstream's
# tools/testing/selftests/bpf/progs/verifier_stack_arg.c and stack_arg.c
# as this repository transcribed them by hand (tests/bpf/check_stack_args.c,
# tests/interp/selftests_stack_arg.c: clang-19 cannot compile the originals,
# "stack arguments are not supported"), extracted by
# tests/bench/kcov/extract.c and run with `callfuzz cover`. Every figure
# goes through the same `callfuzz cover --pcs ... --summary`.
# Output: one line per configuration, and the files in $out/.
set -u
cd "$(dirname "$0")/../.."
root=$PWD
build=${CALLFUZZ_BUILD:-build}
arch=arm64
time_s=600
kernel=
only=all
while [ $# -gt 0 ]; do
	case "$1" in
	--arch) arch=$2; shift 2 ;;
	--time) time_s=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	*) sed -n '2,25p' "$0"; exit 2 ;;
	esac
done
src=/work/main/build/kernel-src/linux-source-7.2
[ -d "$src" ] || src=debian
if [ -z "$kernel" ]; then
	kernel=$(nice -n 10 harness/target/kernel-tree.sh --kcov --arch "$arch" "$src" | tail -n 1)
	[ -f "$kernel" ] || { echo "kcov_cover: the KCOV kernel did not build"; exit 1; }
fi
out=$build/kcov-cover-$arch
mkdir -p "$out"
cover() { "$build/callfuzz" cover --kernel "$kernel" "$@"; }

fuzz_once() { # NAME [fuzz/run options]
	local name=$1 logdir
	shift
	rm -rf "$out/$name"
	mkdir -p "$out/$name"
	./fuzz/run --target vm --arch "$arch" --kernel "$kernel" --jobs 1 --time "$time_s" --no-min \
		--corpus "$out/$name/corpus" --artifacts "$out/$name/artifacts" "$@" >"$out/$name/fuzz.log" 2>&1
	logdir=$(ls -d "$out/$name/artifacts/.logs"/run-* | tail -n 1)
	sort -u "$logdir"/kcov/*.pcs >"$out/$name/pcs" 2>/dev/null
	progs=$(sed -n 's/.*summary: [0-9]*s, \([0-9]*\) programs.*/\1/p' "$out/$name/fuzz.log")
	echo "$name: ${time_s}s, ${progs:-?} programs, corpus $(ls "$out/$name/corpus" | wc -l); $(cover --pcs "$out/$name/pcs" --summary)"
}

case $only in all|feedback) fuzz_once feedback ;; esac
case $only in all|nofeedback) fuzz_once nofeedback --no-kcov-feedback ;; esac
case $only in all|selftests)
	rm -rf "$out/selftests"
	mkdir -p "$out/selftests/shim/tests/bpf" "$out/selftests/shim/tests/interp" "$out/selftests/progs"
	for f in tests/test.h tests/bpf/check_util.h tests/interp/util.h; do
		echo '#include "tests/bench/kcov/extract.h"' >"$out/selftests/shim/$f"
	done
	cc -std=gnu11 -iquote "$out/selftests/shim" -iquote . -o "$out/selftests/extract" tests/bench/kcov/extract.c \
		tests/bpf/check_stack_args.c tests/interp/selftests_stack_arg.c "$build"/obj/bpf/*.o 2>"$out/selftests/cc.log" ||
		{ cat "$out/selftests/cc.log"; exit 1; }
	(cd "$out/selftests/progs" && ../extract)
	cover --save-pcs "$out/selftests/pcs" "$out/selftests/progs" >"$out/selftests/report.txt" 2>"$out/selftests/err.txt"
	echo "selftests: $(ls "$out/selftests/progs" | wc -l) programs; $(cover --pcs "$out/selftests/pcs" --summary)"
	;;
esac
