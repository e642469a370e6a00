#!/usr/bin/env bash
# build.sh: set up and build callfuzz.
#
# Run plainly, it installs the Debian packages the project needs when they
# are missing (as root; otherwise it prints the exact apt-get line and exits
# 1), then builds every host tool, the tests and the aarch64 executor into
# build/ (incrementally: make underneath).
set -euo pipefail
cd "$(dirname "$0")"

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
	flex bison bc libssl-dev  # harness/kernel-tree.sh: kernels built from a source tree (--kernel-tree)
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

harness/fetch-kernels.sh || true  # Debian cloud kernels for the vm target (build/kernels), once
jobs=$(nproc 2>/dev/null || echo 2)
make -j"$jobs" all
echo "build.sh: built build/callfuzz$( [ -x build/callfuzz-exec ] && echo ' and build/callfuzz-exec')"
