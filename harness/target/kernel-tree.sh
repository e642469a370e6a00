#!/usr/bin/env bash
# harness/target/kernel-tree.sh [OPTIONS] SRC: build a small kernel for the vm
# target from a source tree, incrementally, and print the image's path on
# the last line of stdout.
#
#   SRC            a kernel tree (a bpf-next checkout, an unpacked
#                  linux-source-7.2), or `debian`: Debian's linux-source-7.2
#                  (unstable), fetched once through a private apt
#                  configuration like harness/target/fetch-kernels.sh and unpacked
#                  once into build/kernel-src/linux-source-7.2
#   --arch ARCH    arm64 (default) or x86_64
#   --patch FILE   build a scratch copy of SRC with FILE applied (patch -p1;
#                  repeatable). The copy is hard-linked (build/kernel-tree/
#                  src-<hash>), patched files are real copies, so SRC is
#                  never modified. Incremental: the build directory starts
#                  as a copy (cp -a, once) of the plain build of SRC for the
#                  same arch and flavour (the base; built first when missing),
#                  and make runs with the copy mounted over the base's source
#                  path in a private mount namespace (unshare -m: root), so
#                  only the patched files and the link are redone (1-2 min).
#                  Where that mount is not allowed: a full build, with a note.
#   --no-base-build  with --patch: exit 3 instead of building from nothing
#                  (no base build yet, or no private mount)
#   --out DIR      build directory (default build/kernel-tree/<hash of SRC
#                  path, arch, fragment, patches>)
#   -j N           make jobs (default 2: the machine is shared)
#                  (a scratch copy made by --patch, given as SRC, reuses its
#                  build directory: edit it and rebuild in seconds)
#   --fetch-only   with `debian`: fetch and unpack, do not build
#   --kcov         a KCOV kernel for coverage (callfuzz cover, fuzz/run's
#                  kernel feedback): harness/target/kernel-kcov.config on top
#                  of the fragment and harness/target/kernel-kcov.patch (KCOV
#                  and -g on kernel/bpf/ and arch/*/net/ only); its own key,
#                  so it never shares a build directory with a plain build
#   --checking     a "checking" kernel: harness/target/kernel-checking.config
#                  on top of the fragment (KASAN, UBSAN, lockdep, DEBUG_LIST,
#                  soft-lockup and hung-task detectors), whose reports become
#                  REPORT-* findings; its own key and build directory
#   --btf          a kernel with vmlinux BTF: harness/target/kernel-btf.config
#                  (DEBUG_INFO, DEBUG_INFO_BTF, SYSFS for /sys/kernel/btf/
#                  vmlinux), so that it registers kfuncs and the agent finds
#                  the bpf_iter_num_* ids; needs pahole >= 1.22 (dwarves).
#                  About twice the plain build's time (-g everywhere, pahole
#                  at the link); combines with --kcov and --checking
#
# Config: tinyconfig + harness/target/kernel-fragment.config (merge_config.sh -m)
# + olddefconfig, redone only when the fragment changes. Then `make Image`
# (arm64) or `make bzImage` (x86_64): 6.5 min from nothing on 2 cores,
# ~15 s after a change to arch/arm64/net/bpf_jit_comp.c.
# Needs: make gcc flex bison bc libelf-dev libssl-dev, and for arm64 on an
# x86 host gcc-aarch64-linux-gnu. Exit 0 built, 1 build failed, 2 usage or
# missing tools, 3 --no-base-build and nothing to start from.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/harness/target/private-apt.sh"
arch=arm64
patches=()
out=
jobs=2
fetch_only=0
kcov=0
checking=0
btf=0
no_base=0
src=

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
say() { echo "kernel-tree: $*" >&2; }
die() { say "$*"; exit 2; }

while [ $# -gt 0 ]; do
	case "$1" in
	--arch) arch=$2; shift 2 ;;
	--patch) patches+=("$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"); shift 2 ;;
	--out) out=$2; shift 2 ;;
	-j) jobs=$2; shift 2 ;;
	-j*) jobs=${1#-j}; shift ;;
	--fetch-only) fetch_only=1; shift ;;
	--kcov) kcov=1; shift ;;
	--checking) checking=1; shift ;;
	--btf) btf=1; shift ;;
	--no-base-build) no_base=1; shift ;;
	-h|--help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*) [ -z "$src" ] || { usage >&2; exit 2; }; src=$1; shift ;;
	esac
done
[ -n "$src" ] || { usage >&2; exit 2; }

case "$arch" in
arm64|aarch64) arch=arm64 karch=arm64 cross=aarch64-linux-gnu- target=Image
	image=arch/arm64/boot/Image ;;
x86_64|amd64) arch=x86_64 karch=x86_64 cross= target=bzImage
	image=arch/x86/boot/bzImage ;;
*) die "unknown arch $arch (arm64 or x86_64)" ;;
esac
[ "$(uname -m)" = aarch64 ] && [ $arch = arm64 ] && cross=

# ---- tools ------------------------------------------------------------
missing=()
for t in make flex bison bc "${cross}gcc"; do
	command -v "$t" >/dev/null || missing+=("$t")
done
if [ ${#missing[@]} -gt 0 ]; then
	pk=()
	for t in "${missing[@]}"; do
		case "$t" in
		aarch64-linux-gnu-gcc) pk+=(gcc-aarch64-linux-gnu) ;;
		*) pk+=("$t") ;;
		esac
	done
	die "missing ${missing[*]}: apt-get install ${pk[*]} libelf-dev libssl-dev"
fi
if [ $btf = 1 ]; then
	command -v pahole >/dev/null || die "--btf needs pahole (>= 1.22): apt-get install dwarves"
fi

# ---- Debian's linux-source-7.2 (apt through harness/target/private-apt.sh) ----
fetch_debian_source() {
	local dir=$root/build/kernel-src apt pkg deb tarball mirror log
	if [ -f "$dir/linux-source-7.2/Makefile" ]; then
		echo "$dir/linux-source-7.2"
		return
	fi
	command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
		die "fetching linux-source-7.2 needs apt-get and dpkg-deb (a Debian machine); give a tree instead"
	mirror=$(machine_mirror)
	[ -n "$mirror" ] || die "no Debian mirror in /etc/apt/sources.list{,.d}"
	apt=$dir/apt
	private_apt "$apt" amd64 "deb $mirror sid main"
	local opts=("${apt_opts[@]}")
	log=$apt/apt.log
	pkg=linux-source-7.2
	deb=$(ls "$apt"/archives/${pkg}_*.deb 2>/dev/null | head -n1 || true)
	if [ -z "$deb" ]; then
		say "fetching $pkg (164 MB) from $mirror sid"
		apt-get "${opts[@]}" -q update >"$log" 2>&1 ||
			die "apt-get update of sid failed: $(grep -E '^(E|W):' "$log" | head -n3 | tr '\n' ' ')"
		(cd "$apt/archives" && apt-get "${opts[@]}" -q download "$pkg" >>"$log" 2>&1) ||
			die "apt-get download $pkg failed: $(grep -E '^(E|W):' "$log" | tail -n2 | tr '\n' ' ')"
		deb=$(ls "$apt"/archives/${pkg}_*.deb | head -n1)
	fi
	say "unpacking $(basename "$deb") into $dir (once)"
	rm -rf "$apt/x"
	mkdir -p "$apt/x"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$apt/x" --wildcards './usr/src/linux-source-*.tar.*'
	tarball=$(ls "$apt"/x/usr/src/linux-source-*.tar.* | head -n1)
	rm -rf "$dir/linux-source-7.2.tmp"
	mkdir -p "$dir/linux-source-7.2.tmp"
	tar -xf "$tarball" -C "$dir/linux-source-7.2.tmp" --strip-components=1
	mv "$dir/linux-source-7.2.tmp" "$dir/linux-source-7.2"
	rm -rf "$apt/x"
	echo "$dir/linux-source-7.2"
}

if [ "$src" = debian ]; then
	src=$(fetch_debian_source)
	[ $fetch_only = 1 ] && { echo "$src"; exit 0; }
fi
[ -f "$src/Makefile" ] && [ -d "$src/kernel/bpf" ] || die "$src is not a kernel source tree"
# the physical path: kbuild names the source by its realpath in every command
# line, and a tree reached through a symlink is the same tree (same key)
src=$(cd "$src" && pwd -P)
[ -f "$src/.config" ] && die "$src has a .config (an in-tree build): run 'make mrproper' there, O= builds need a clean tree"

frag=$root/harness/target/kernel-fragment.config
frags=("$frag")
kpatch=$root/harness/target/kernel-kcov.patch
[ $kcov = 1 ] && frags+=("$root/harness/target/kernel-kcov.config")
[ $checking = 1 ] && frags+=("$root/harness/target/kernel-checking.config")
[ $btf = 1 ] && frags+=("$root/harness/target/kernel-btf.config")
flavour=()
[ $kcov = 1 ] && flavour+=(--kcov)
[ $checking = 1 ] && flavour+=(--checking)
[ $btf = 1 ] && flavour+=(--btf)
# the kcov patch counts by its content only, so that the key does not depend
# on the checkout it was built from
key_of() { # PATCH...: the build key of SRC, arch, flavour and these patches
	{ echo "$src $arch"; cat "${frags[@]}"; for p in "$@"; do echo "$p"; cat "$p"; done
		if [ $kcov = 1 ]; then cat "$kpatch"; fi; } | sha1sum | cut -c1-12
}
key=$(key_of ${patches[@]+"${patches[@]}"})
user_patches=${#patches[@]}
[ $kcov = 1 ] && patches+=("$kpatch")

# the source tree a build directory was configured from: kbuild writes it
# into O/Makefile ("include SRC/Makefile") at every make
build_src() { sed -n 's|^include \(/.*\)/Makefile$|\1|p' "$1/Makefile" 2>/dev/null | head -n 1; }
# one build at a time in a directory (helpers share build/kernel-tree)
lock_dir() { # FD DIR
	command -v flock >/dev/null || return 0
	eval "exec $1>\"\$2.lock\""
	flock -n "$1" || { say "waiting for another build in $2"; flock "$1"; }
}

# A patched tree is built incrementally from the plain build of the same
# SRC, arch and flavour (the base): its build directory is copied (cp -a,
# once) and make runs with the patched scratch copy mounted over the
# base's source path in a private mount namespace (unshare -m), so that
# kbuild's command lines do not change and only the patched files and the
# link are redone. `mount_over` is that path; empty: a plain make. The
# patched build directory is mounted over the base's (`out_over`) as well:
# the tools kbuild builds first (objtool on x86-64) record their output
# directory's path, and a new objtool would make every object again.
mount_over=
out_over=
can_mount() { # why not, on stdout, when a private bind mount is not allowed
	local err
	err=$(unshare -m sh -c 'mount --bind "$1" "$1"' sh "$src" 2>&1) && return 0
	echo "${err:-unshare -m failed}" | head -n 1
	return 1
}
no_mount=
if [ $user_patches -gt 0 ] || { [ -f "$src/.callfuzz-patched" ] && [ -s "$src/.callfuzz-patched" ]; }; then
	if ! command -v unshare >/dev/null; then
		no_mount="no unshare (util-linux)"
	elif [ -n "${CALLFUZZ_KT_NO_MOUNT:-}" ]; then
		no_mount="CALLFUZZ_KT_NO_MOUNT is set"
	elif ! why=$(can_mount); then
		no_mount="$why"
	fi
fi

# A scratch copy given as SRC (build/kernel-tree/src-KEY, made by --patch)
# builds in the same directory as the --patch run did: incrementally (over
# the base's source path that .callfuzz-patched names, when it names one).
if [ ${#patches[@]} = 0 ] && [ -f "$src/.callfuzz-patched" ]; then
	case "$(basename "$src")" in src-*) key=${src##*/src-} ;; esac
	over=$(sed -n 1p "$src/.callfuzz-patched")
	if [ -n "$over" ]; then
		if [ -n "$no_mount" ]; then
			say "cannot mount $src over $over ($no_mount): kbuild sees another source path, a full rebuild"
		else
			mount_over=$over
			out_over=$(sed -n 2p "$src/.callfuzz-patched")
		fi
	fi
fi

# ---- the base build a patched one starts from -----------------------------
if [ $user_patches -gt 0 ]; then
	base_out=$root/build/kernel-tree/$arch-$(key_of)
	if [ -n "$no_mount" ]; then
		[ $no_base = 1 ] && { say "cannot build incrementally: no private mount ($no_mount), and --no-base-build"; exit 3; }
		say "no private mount ($no_mount): a full build of the patched tree, not one from $base_out"
	else
		if ! [ -f "$base_out/$image" ] || ! cat "${frags[@]}" | cmp -s - "$base_out/.callfuzz-fragment"; then
			[ $no_base = 1 ] && { say "no base build in $base_out (--no-base-build)"; exit 3; }
			say "no base build of $src ($arch${flavour[*]:+ ${flavour[*]}}) in $base_out: building it first (once), then the patched one from it"
			"$0" --arch "$arch" ${flavour[@]+"${flavour[@]}"} -j "$jobs" "$src" >&2 ||
				{ say "the base build failed"; exit 1; }
		fi
		mount_over=$(build_src "$base_out")
		[ -d "$mount_over" ] || die "$base_out/Makefile names no source tree"
		out_over=$(cd "$base_out" && pwd -P)
	fi
fi

# ---- scratch copy with patches ------------------------------------------
if [ ${#patches[@]} -gt 0 ]; then
	scratch=$root/build/kernel-tree/src-$key
	if [ ! -f "$scratch/.callfuzz-patched" ]; then
		say "scratch copy of $src in $scratch (hard links)"
		rm -rf "$scratch"
		mkdir -p "$(dirname "$scratch")"
		cp -al "$src" "$scratch"
		for p in "${patches[@]}"; do
			# break the hard links of the files this patch touches
			for f in $(grep -E '^\+\+\+ ' "$p" | awk '{ print $2 }' | sed 's|^[ab]/||'); do
				[ -f "$scratch/$f" ] && cp --remove-destination "$src/$f" "$scratch/$f"
			done
			patch -d "$scratch" -p1 --no-backup-if-mismatch <"$p" >&2 || die "$p does not apply to $src"
		done
		touch "$scratch/.callfuzz-patched"
	fi
	# the path it is mounted over, for `kernel-tree.sh SCRATCH` (an edit of
	# the copy rebuilt in the same directory, the same way)
	[ -z "$mount_over" ] || printf '%s\n%s\n' "$mount_over" "$out_over" >"$scratch/.callfuzz-patched"
	src=$scratch
fi

out=${out:-$root/build/kernel-tree/$arch-$key}
mkdir -p "$out"
out=$(cd "$out" && pwd -P)
lock_dir 9 "$out"

# seed the patched build directory from the base, once: again when it was
# built from another source path (a full build of before, or another base)
if [ $user_patches -gt 0 ] && [ -n "$mount_over" ] && [ "$(build_src "$out")" != "$mount_over" ]; then
	[ -z "$(ls -A "$out")" ] || [ -n "$(build_src "$out")" ] ||
		die "$out is neither empty nor a kernel build directory: not replacing it"
	lock_dir 8 "$base_out"
	say "seeding $out from the base build $base_out (cp -a, once)"
	rm -rf "$out"
	cp -a "$base_out" "$out"
	exec 8>&-
fi

if [ -n "$mount_over" ]; then
	# without a base directory to stand for (an edited scratch copy of
	# before), the build directory stands for itself
	[ -n "$out_over" ] && [ -d "$out_over" ] || out_over=$out
	say "building $src mounted over $mount_over, $out mounted over $out_over (private mount namespace): kbuild's command lines stay the base's"
	mk=(unshare -m sh -c 'mount --bind "$0" "$1" && mount --bind "$2" "$3" && shift 3 && exec "$@"'
		"$src" "$mount_over" "$out" "$out_over"
		make -C "$mount_over" O="$out_over" ARCH=$karch ${cross:+CROSS_COMPILE=$cross} -j"$jobs")
else
	mk=(make -C "$src" O="$out" ARCH=$karch ${cross:+CROSS_COMPILE=$cross} -j"$jobs")
fi

# ---- config: only when the fragment changed -------------------------------
if [ ! -f "$out/.config" ] || ! cat "${frags[@]}" | cmp -s - "$out/.callfuzz-fragment"; then
	say "configuring $out (tinyconfig + $(basename "$frag"))"
	"${mk[@]}" -s tinyconfig >&2
	(cd "$out" && ARCH=$karch CROSS_COMPILE=$cross "$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
		"$out/.config" "${frags[@]}" >"$out/merge.log" 2>&1) || { cat "$out/merge.log" >&2; exit 1; }
	"${mk[@]}" -s olddefconfig >&2
	# every option of the fragment for this arch must have survived
	bad=0
	while read -r line; do
		case "$line" in CONFIG_*=y) ;; *) continue ;; esac
		opt=${line%%=*}
		case "$arch:$opt" in
		x86_64:CONFIG_ARM_AMBA|x86_64:CONFIG_SERIAL_AMBA_PL011*|x86_64:CONFIG_PCI_HOST_GENERIC) continue ;;
		esac
		grep -qx "$line" "$out/.config" && continue
		# an option the tree no longer has (7.3 folded PROC_SYSCTL away) is no error
		if ! grep -rqsE --include='Kconfig*' "^[[:space:]]*(menu)?config[[:space:]]+${opt#CONFIG_}[[:space:]]*$" "$src"; then
			say "$opt is not an option of this tree (skipped)"
			continue
		fi
		say "$opt did not stay =y (a dependency is missing)"; bad=1
	done < <(cat "${frags[@]}")
	# and every option it turns off must be off
	while read -r line; do
		case "$line" in "# CONFIG_"*" is not set") ;; *) continue ;; esac
		opt=${line#\# }; opt=${opt%% *}
		grep -q "^$opt=" "$out/.config" && { say "$opt is still set"; bad=1; }
	done < <(cat "${frags[@]}")
	[ $bad = 0 ] || exit 1
	cat "${frags[@]}" >"$out/.callfuzz-fragment"
fi

t0=$(date +%s)
say "make $target in $out"
if ! "${mk[@]}" $target >"$out/build.log" 2>&1; then
	grep -E 'error|Error' "$out/build.log" | head -n 20 >&2
	say "build failed: $out/build.log"
	exit 1
fi
say "built in $(( $(date +%s) - t0 )) s"
echo "$out/$image"
