#!/bin/sh
# harness/agent/mkinitramfs.sh AGENT OUT.cpio.gz
#
# Writes the VM's initramfs: a gzip'd newc cpio holding /dev, /proc,
# /dev/console (so that /init has stdout/stderr on the serial console) and
# AGENT as /init. Written by hand so that the build needs no `cpio`.
set -eu
agent=$1
out=$2

# newc header: magic, then 13 fields of 8 hex digits; name NUL-terminated
# and the header+name padded to 4 bytes, the data padded to 4 bytes.
entry() { # name mode rdevmajor rdevminor [file]
	name=$1 mode=$2 rmaj=$3 rmin=$4 file=${5:-}
	size=0
	[ -n "$file" ] && size=$(wc -c <"$file")
	namesize=$(( ${#name} + 1 ))
	ino=$(( ino + 1 ))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		"$ino" "$mode" 0 0 1 0 "$size" 0 0 "$rmaj" "$rmin" "$namesize" 0
	printf '%s\0' "$name"
	pad=$(( (4 - (110 + namesize) % 4) % 4 ))
	head -c "$pad" /dev/zero
	if [ -n "$file" ]; then
		cat "$file"
		head -c $(( (4 - size % 4) % 4 )) /dev/zero
	fi
}

ino=0
tmp=$out.tmp
{
	entry dev $((0040755)) 0 0
	entry proc $((0040555)) 0 0
	entry dev/console $((0020600)) 5 1
	entry init $((0100755)) 0 0 "$agent"
	entry TRAILER!!! 0 0 0
} | gzip -9n >"$tmp"
mv "$tmp" "$out"
