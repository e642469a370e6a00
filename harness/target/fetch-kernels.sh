#!/usr/bin/env bash
# harness/target/fetch-kernels.sh [--suite SUITE] [--arch ARCH] [--update] [CACHE_DIR]
#
# Fetches Debian's cloud kernel (arm64 and amd64) for the `vm` target into
# CACHE_DIR (default build/kernels), once:
#
#   CACHE_DIR/arm64/vmlinuz     uncompressed arm64 Image (qemu -kernel)
#   CACHE_DIR/x86_64/vmlinuz    bzImage
#   CACHE_DIR/<arch>/version    kernel release, e.g. 7.2.13+deb14-cloud-arm64
#   CACHE_DIR/<arch>/config     its .config, when the package ships it, when the package ships it
#
# apt runs with a private configuration (its own sources.list, lists, cache
# and dpkg status under CACHE_DIR/apt-<arch>): the machine's sources and
# package state are untouched, and the machine's keyring still checks the
# signatures. The mirror is read from the machine's own apt sources.
#
# SUITE defaults to sid (7.2 kernels with stack arguments, kernels.md);
# `--suite bookworm` gives 6.1 (no stack arguments: "R11 is invalid").
# A second run does nothing unless --update is given.
#
# When nothing can be downloaded it says what is missing and exits 0 so that
# build.sh goes on; the vm target then needs --kernel IMAGE or
# CALLFUZZ_KERNEL=IMAGE.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/harness/target/private-apt.sh"
suite=sid
update=0
arches=(arm64 x86_64)
cache=

while [ $# -gt 0 ]; do
	case "$1" in
	--suite) suite=$2; shift 2 ;;
	--arch) arches=("$2"); shift 2 ;;
	--update) update=1; shift ;;
	-h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "fetch-kernels: unknown option $1" >&2; exit 2 ;;
	*) cache=$1; shift ;;
	esac
done
cache=${cache:-$root/build/kernels}
mkdir -p "$cache" || exit 0
cache=$(cd "$cache" && pwd)

say() { echo "fetch-kernels: $*"; }

no_kernel() { # arch, reason
	say "no $1 kernel: $2"
	say "  the vm target needs a kernel image: give one with"
	say "  'callfuzz vm --arch $1 --kernel IMAGE' or CALLFUZZ_KERNEL=IMAGE,"
	say "  or place it at $cache/$1/vmlinuz"
}

if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
	for a in "${arches[@]}"; do
		[ -s "$cache/$a/vmlinuz" ] || no_kernel "$a" "apt-get and dpkg-deb are not installed (not a Debian machine)"
	done
	exit 0
fi
mirror=$(machine_mirror)
if [ -z "$mirror" ]; then
	for a in "${arches[@]}"; do
		[ -s "$cache/$a/vmlinuz" ] || no_kernel "$a" "no Debian mirror in /etc/apt/sources.list{,.d}"
	done
	exit 0
fi

fetch_arch() { # callfuzz arch name
	local arch=$1 darch dir apt tmp log meta ver pkg deb kimg
	case "$arch" in
	arm64) darch=arm64 ;;
	x86_64) darch=amd64 ;;
	*) say "unknown arch $arch"; return ;;
	esac
	dir=$cache/$arch
	if [ -s "$dir/vmlinuz" ] && [ -s "$dir/version" ] && [ $update = 0 ]; then
		say "$arch: have $(cat "$dir/version") ($dir/vmlinuz)"
		return
	fi
	apt=$cache/apt-$darch
	mkdir -p "$dir"
	private_apt "$apt" "$darch" "deb [arch=$darch] $mirror $suite main"
	local opts=("${apt_opts[@]}")
	log=$apt/apt.log
	if ! apt-get "${opts[@]}" -q update >"$log" 2>&1; then
		no_kernel "$arch" "apt-get update of '$suite' failed: $(grep -E '^(E|W):' "$log" | head -n3 | tr '\n' ' ')"
		return
	fi
	if grep -q '^W:.*\(NO_PUBKEY\|not signed\|EXPKEYSIG\)' "$log"; then
		no_kernel "$arch" "the '$suite' index is not signed by a key of this machine: $(grep '^W:' "$log" | head -n2 | tr '\n' ' ')"
		return
	fi
	meta=linux-image-cloud-$darch
	# meta -> linux-image-<ver>-cloud-<arch>; its release is the version.
	pkg=$(apt-cache "${opts[@]}" depends "$meta" 2>>"$log" |
	      awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	if [ -z "$pkg" ]; then
		no_kernel "$arch" "'$meta' not found in '$suite' ($mirror)"
		return
	fi
	ver=${pkg#linux-image-}
	# Unstable keeps the kernel in linux-binary-unsigned-<ver> (kernels.md);
	# older suites in the image package itself (boot/vmlinuz-<ver>).
	local cands=("linux-binary-unsigned-$ver" "linux-image-$ver-unsigned" "$pkg")
	tmp=$(mktemp -d "$apt/x.XXXXXX")
	for p in "${cands[@]}"; do
		apt-cache "${opts[@]}" show "$p" >/dev/null 2>&1 || continue
		rm -f "$apt"/archives/*.deb
		if ! (cd "$apt/archives" && apt-get "${opts[@]}" -q download "$p" >>"$log" 2>&1); then
			no_kernel "$arch" "apt-get download $p failed: $(grep -E '^(E|W):' "$log" | tail -n2 | tr '\n' ' ')"
			rm -rf "$tmp"
			return
		fi
		deb=$(ls "$apt"/archives/*.deb 2>/dev/null | head -n1)
		[ -n "$deb" ] || continue
		dpkg-deb -x "$deb" "$tmp"
		kimg=$(ls "$tmp/usr/lib/modules/$ver/vmlinuz.unsigned" "$tmp/usr/lib/modules/$ver/vmlinuz" \
		          "$tmp/boot/vmlinuz-$ver" 2>/dev/null | head -n1)
		[ -n "$kimg" ] && break
	done
	if [ -z "${kimg:-}" ]; then
		no_kernel "$arch" "no kernel image in ${cands[*]} of '$suite'"
		rm -rf "$tmp"
		return
	fi
	cp "$kimg" "$dir/vmlinuz.new" && mv "$dir/vmlinuz.new" "$dir/vmlinuz"
	for c in "$tmp/usr/lib/modules/$ver/config" "$tmp/boot/config-$ver"; do
		[ -f "$c" ] && cp "$c" "$dir/config"
	done
	echo "$ver" >"$dir/version"
	rm -rf "$tmp" "$apt"/archives/*.deb
	say "$arch: got $ver from $suite ($dir/vmlinuz, $(du -k "$dir/vmlinuz" | cut -f1) KiB)"
}

for a in "${arches[@]}"; do
	fetch_arch "$a"
done
exit 0
