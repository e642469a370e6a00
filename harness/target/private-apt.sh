# harness/target/private-apt.sh: sourced by harness/target/fetch-kernels.sh and
# harness/target/kernel-tree.sh. apt with a configuration of its own (sources list,
# lists, dpkg status and cache in one folder), so that packages of another
# suite or architecture can be fetched while the machine's sources and state
# stay untouched; signatures are checked with the machine's keyring.

# The first Debian archive URI of the machine's own apt sources (deb822
# .sources files and one-line .list files), so no host name is written here;
# $CALLFUZZ_DEBIAN_MIRROR first (a machine that is not Debian: the OSS-Fuzz
# builder is Ubuntu, its Dockerfile names the mirror).
machine_mirror() {
	local f uri
	[ -n "${CALLFUZZ_DEBIAN_MIRROR:-}" ] && { echo "${CALLFUZZ_DEBIAN_MIRROR%/}"; return; }
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		uri=$(awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }' "$f" |
		      grep -E '/debian/?$' | head -n1)
		[ -n "$uri" ] && { echo "${uri%/}"; return; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; break } }' "$f" |
		      grep -E '/debian/?$' | head -n1)
		[ -n "$uri" ] && { echo "${uri%/}"; return; }
	done
}

# private_apt DIR DEB_ARCH SOURCES_LINE: lays out the private state in DIR
# with SOURCES_LINE as its only source, and sets the array apt_opts that
# apt-get and apt-cache take to use it.
private_apt() {
	local apt=$1 darch=$2 line=$3
	mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/sources.list.d" "$apt/preferences.d"
	echo "$line" >"$apt/sources.list"
	: >"$apt/status"
	apt_opts=(
		-o "Dir::Etc::sourcelist=$apt/sources.list"
		-o "Dir::Etc::sourceparts=$apt/sources.list.d"
		-o "Dir::Etc::preferences=$apt/preferences"
		-o "Dir::Etc::preferencesparts=$apt/preferences.d"
		-o "Dir::State::lists=$apt/lists"
		-o "Dir::State::status=$apt/status"
		-o "Dir::Cache=$apt"
		-o "Dir::Cache::archives=$apt/archives"
		-o "Dir::Etc::trusted=/etc/apt/trusted.gpg"
		-o "Dir::Etc::trustedparts=/etc/apt/trusted.gpg.d"
		-o "APT::Architecture=$darch"
		-o "APT::Architectures=$darch"
		-o "Debug::NoLocking=1"
	)
}
