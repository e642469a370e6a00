# tests/e2e/lib/selftest_headers.bash, sourced by selftest_kernel_compile.sh
# and selftest_kernel_load.sh: the include set for compiling a selftest
# progs/*.c without a kernel build: the tree's tools/include/uapi
# (linux/bpf.h) and tools/lib (bpf/bpf_helpers.h), bpf_helper_defs.h
# generated from the uapi bpf.h by scripts/bpf_doc.py (as libbpf's
# Makefile does), progs/ (bpf_misc.h) and the host's multiarch include dir
# (asm/types.h).

# selftest_headers SRC TMP: writes TMP/gen/bpf_helper_defs.h and sets the
# array incs; 1 (with bpf_doc.py's messages) if the generation fails.
selftest_headers() {
	local src=$1 tmp=$2
	mkdir -p "$tmp/gen"
	python3 "$src/scripts/bpf_doc.py" --header --file "$src/tools/include/uapi/linux/bpf.h" \
		>"$tmp/gen/bpf_helper_defs.h" 2>"$tmp/bpf_doc.log" || { cat "$tmp/bpf_doc.log"; return 1; }
	incs=(-I"$src/tools/include/uapi" -I"$src/tools/lib" -I"$tmp/gen" -I"$src/tools/testing/selftests/bpf/progs"
		-I/usr/include/"$(gcc -dumpmachine)")
}
