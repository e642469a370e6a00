#!/usr/bin/env bash
# build.sh: set up and build callfuzz.
#
# Run plainly, it installs the Debian packages the project needs when they
# are missing (as root; otherwise it prints the exact apt-get line and exits
# 1), then builds every host tool, the tests and the aarch64 executor into
# build/ (incrementally: make underneath).
set -euo pipefail
cd "$(dirname "$0")"

# OSS-Fuzz / ClusterFuzzLite mode, when $OUT and $LIB_FUZZING_ENGINE are set
# (oss-fuzz/build.sh and .clusterfuzzlite/build.sh run us so): no apt-get
# (their Dockerfiles install the packages); the fuzz targets
# fuzz/*.c built with their CC, CXX, CFLAGS, CXXFLAGS and engine (linked by
# "$CXX $CXXFLAGS": the engines are C++), objects in $WORK, and into $OUT
# everything a runner image (which has neither qemu nor libbpf) needs:
#   fuzz-<name>                       libbpf, libelf and zlib linked statically
#   callfuzz-exec, qemu-aarch64-static  found next to the target (harness/target/exec.c)
#   fuzz-<name>.options, *.dict       from fuzz/
#   fuzz-<name>_seed_corpus.zip       diff, diff_vm: seeds/corpus/; parse_check:
#                                     the .s programs of seeds/ and tests/mutants/
#   kernels/ARCH/vmlinuz, agent/ARCH/initramfs.cpio.gz   what fuzz-diff_vm boots
#                                     (vm.c finds them next to the target): the
#                                     kernels from $CALLFUZZ_KERNELS (default
#                                     build/kernels) when there, else fetched
#                                     (harness/target/fetch-kernels.sh)
# The runner must have qemu-system-aarch64 (and -x86_64 for CALLFUZZ_ARCH=
# x86_64) on PATH: runner images do not (docs/vm-target.md, "OSS-Fuzz").
ossfuzz_build() {
	local work=${WORK:-$PWD/build-ossfuzz}/callfuzz
	local cxx=${CXX:-clang++} libs l n t targets=() zipdir
	local jobs
	jobs=$(nproc 2>/dev/null || echo 2)

	libs=$(pkg-config --static --libs libbpf 2>/dev/null || echo "-lbpf -lelf -lz")
	for l in $libs; do
		if [ "$("${CC:-clang}" -print-file-name="lib${l#-l}.a")" = "lib${l#-l}.a" ]; then
			echo "build.sh: lib${l#-l}.a missing: the targets will need lib${l#-l}.so at run time" >&2
			libs="-Wl,-Bdynamic $libs"
			break
		fi
	done
	case "$libs" in -Wl,-Bdynamic*) ;; *) libs="-Wl,-Bstatic $libs -Wl,-Bdynamic" ;; esac
	for t in fuzz/*.c; do targets+=("$work/fuzz-$(basename "$t" .c)"); done
	mkdir -p "$OUT" "$work"
	OUT=$(cd "$OUT" && pwd)
	# -Wno-error: a newer clang's new warning must not stop a fuzzing build.
	make -j"$jobs" BUILD="$work" CC="${CC:-clang}" CFLAGS="${CFLAGS:-} -Wno-error" FUZZ= SAN= \
		FUZZ_LD="$cxx ${CXXFLAGS:-}" LIB_FUZZING_ENGINE="$LIB_FUZZING_ENGINE" \
		LDLIBS_ALL="$libs -lpthread -lrt -lm" "${targets[@]}" "$work/callfuzz-exec"
	cp "${targets[@]}" "$work/callfuzz-exec" "$OUT/"
	# The vm target: the agent (a static /init, not instrumented: the
	# Makefile's agent rules ignore CFLAGS) and the kernels, beside it.
	local a kernels=${CALLFUZZ_KERNELS:-build/kernels}
	for a in arm64 x86_64; do
		make -s BUILD="$work" CC="${CC:-clang}" "$work/agent/$a/initramfs.cpio.gz"
		mkdir -p "$OUT/agent/$a" "$OUT/kernels/$a"
		cp "$work/agent/$a/initramfs.cpio.gz" "$OUT/agent/$a/"
		if [ -s "$kernels/$a/vmlinuz" ] && [ -s "$kernels/$a/version" ]; then
			cp "$kernels/$a/vmlinuz" "$kernels/$a/version" "$OUT/kernels/$a/"
		fi
	done
	harness/target/fetch-kernels.sh "$OUT/kernels" # once: nothing to do when copied
	rm -rf "$OUT"/kernels/apt-*
	if [ "$(uname -m)" != aarch64 ]; then
		cp "$(command -v qemu-aarch64-static)" "$OUT/" ||
			{ echo "build.sh: qemu-aarch64-static missing (Debian/Ubuntu package qemu-user-static)" >&2; return 1; }
	fi
	cp fuzz/*.dict "$OUT/" 2>/dev/null || true
	zipdir=$(mktemp -d)
	for t in fuzz/*.c; do
		n=$(basename "$t" .c)
		[ -f "fuzz/$n.options" ] && cp "fuzz/$n.options" "$OUT/fuzz-$n.options"
		[ -f "fuzz/$n.dict" ] && cp "fuzz/$n.dict" "$OUT/fuzz-$n.dict"
		rm -rf "${zipdir:?}"/*
		case "$n" in
		diff|diff_vm) cp seeds/corpus/* "$zipdir/" 2>/dev/null || true ;;
		parse_check)
			# first byte even: the text reading (fuzz/parse_check.c)
			for s in seeds/*.s tests/mutants/*.s; do
				[ -f "$s" ] && { printf '\n'; cat "$s"; } >"$zipdir/$(basename "$(dirname "$s")")-$(basename "$s")"
			done ;;
		esac
		rm -f "$OUT/fuzz-${n}_seed_corpus.zip"
		if [ -n "$(ls -A "$zipdir")" ]; then
			(cd "$zipdir" && zip -q -r "$OUT/fuzz-${n}_seed_corpus.zip" .)
		fi
	done
	rm -rf "$zipdir"
	echo "build.sh: OSS-Fuzz mode: $(cd "$OUT" && ls fuzz-* | grep -v -e '\.' | tr '\n' ' ')in $OUT"
}
if [ -n "${OUT:-}" ] && [ -n "${LIB_FUZZING_ENGINE:-}" ]; then
	ossfuzz_build
	exit
fi

# Package -> why we need it.
PACKAGES=(
	make            # the build
	gcc             # host compiler
	clang           # libFuzzer (clang-14, the one afl++ 4.04c works with)
	libclang-rt-14-dev  # libFuzzer and sanitizer runtimes for clang-14
	llvm-19         # llvm-mc-19 (assembler cross-check), llvm-objdump-19 (arm64 disassembly)
	clang-19        # clang -target bpf for C seeds and selftests
	afl++           # AFL++ engine
	qemu-user-static    # qemu-aarch64 runs the executor on x86 hosts
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross  # the static aarch64 executor
	libbpf-dev libelf-dev zlib1g-dev pkg-config  # libbpf: BTF, import, kernel target
	linux-libc-dev  # <linux/bpf.h>
	qemu-system-arm qemu-system-x86  # the vm target: real kernels under TCG
	zip unzip patch  # OSS-Fuzz seed corpora; mutants applied to scratch trees
	flex bison bc libssl-dev  # harness/target/kernel-tree.sh: kernels built from a source tree (--kernel-tree)
)

missing=()
for p in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
# On an arm64 host the executor runs natively: no qemu-user needed.
if [ "$(uname -m)" = aarch64 ]; then
	missing=("${missing[@]/qemu-user-static/}")
	missing=("${missing[@]/gcc-aarch64-linux-gnu/}")
	missing=("${missing[@]/libc6-dev-arm64-cross/}")
	read -ra missing <<<"${missing[*]}"
fi

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "build.sh: missing Debian packages; as root run:" >&2
		echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
		exit 1
	fi
	echo "build.sh: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$(uname -m)" = aarch64 ]; then
	export AARCH64_CC="${AARCH64_CC:-gcc}"
fi

harness/target/fetch-kernels.sh || true  # Debian cloud kernels for the vm target (build/kernels), once
jobs=$(nproc 2>/dev/null || echo 2)
make -j"$jobs" all
echo "build.sh: built build/callfuzz$( [ -x build/callfuzz-exec ] && echo ' and build/callfuzz-exec')"
