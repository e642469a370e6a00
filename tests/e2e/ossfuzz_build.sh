#!/usr/bin/env bash
# tests/e2e/ossfuzz_build.sh: build.sh in OSS-Fuzz mode, as OSS-Fuzz's
# `compile` runs it (CC=clang, CXX=clang++, LIB_FUZZING_ENGINE=
# -fsanitize=fuzzer, ASan CFLAGS), into a scratch $OUT; then every target
# runs a few seconds from $OUT alone, with its seed corpus, dictionary and
# options, finding the executor and qemu next to itself (fuzz-diff_vm, which
# boots a kernel, has its own test: tests/e2e/ossfuzz_vm.sh).
# Objects stay in build-ossfuzz/ ($WORK) so that a second run is quick.
# Exit 0 pass, 77 skip, else fail.
set -u
cd "$(dirname "$0")/../.."
root=$PWD
for tool in clang clang++ zip unzip; do
	command -v $tool >/dev/null || { echo "$tool missing: install the Debian package ${tool/clang++/clang}"; exit 77; }
done
[ "$(uname -m)" = aarch64 ] || command -v qemu-aarch64-static >/dev/null ||
	{ echo "qemu-aarch64-static missing: install the Debian package qemu-user-static"; exit 77; }
[ "$(uname -m)" = aarch64 ] || command -v aarch64-linux-gnu-gcc >/dev/null ||
	{ echo "aarch64-linux-gnu-gcc missing: install gcc-aarch64-linux-gnu libc6-dev-arm64-cross"; exit 77; }
out=$(mktemp -d /tmp/callfuzz-ossfuzz-XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

san="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address -fsanitize-address-use-after-scope"
env -i PATH="$PATH" HOME="${HOME:-/root}" OUT="$out/out" WORK="$root/build-ossfuzz" SRC="$root/.." \
	CC=clang CXX=clang++ CFLAGS="$san -fsanitize=fuzzer-no-link" CXXFLAGS="$san -fsanitize=fuzzer-no-link" \
	LIB_FUZZING_ENGINE=-fsanitize=fuzzer SANITIZER=address FUZZING_ENGINE=libfuzzer \
	./build.sh >"$out/build.log" 2>&1 || { tail -n 30 "$out/build.log"; fail "build.sh in OSS-Fuzz mode"; }
grep -q 'OSS-Fuzz mode' "$out/build.log" || fail "build.sh did not take the OSS-Fuzz mode: $(tail -n 3 "$out/build.log")"
grep -q 'apt-get' "$out/build.log" && fail "build.sh ran apt-get in OSS-Fuzz mode"

n=0
for src in fuzz/*.c; do
	name=fuzz-$(basename "$src" .c)
	bin=$out/out/$name
	[ -x "$bin" ] || fail "$name missing from \$OUT"
	n=$((n + 1))
	[ "$name" = fuzz-diff_vm ] && continue # tests/e2e/ossfuzz_vm.sh
	# Static libbpf/libelf/zlib: the runner image has none of them.
	ldd "$bin" 2>/dev/null | grep -E 'libbpf|libelf|libz\.' && fail "$name needs a shared library the runner lacks"
	corpus=$out/corpus-$name
	mkdir -p "$corpus"
	if [ -f "$out/out/${name}_seed_corpus.zip" ]; then
		unzip -q -o "$out/out/${name}_seed_corpus.zip" -d "$corpus" || fail "${name}_seed_corpus.zip does not unzip"
	fi
	nseeds=$(ls "$corpus" | wc -l)
	opts=()
	if [ -f "$out/out/$name.options" ]; then
		while IFS='=' read -r k v; do
			k=$(echo "$k" | tr -d ' ') v=$(echo "$v" | tr -d ' ')
			[ -n "$k" ] && [ -n "$v" ] && opts+=("-$k=$v")
		done < <(sed -n '/^\[libfuzzer\]/,/^\[/p' "$out/out/$name.options" | grep -v -e '^\[' -e '^#')
	elif [ -f "$out/out/$name.dict" ]; then
		opts+=("-dict=$name.dict")
	fi
	# From $OUT, with an environment that names no executor: the target must
	# find callfuzz-exec (and qemu) next to itself.
	(cd "$out/out" && env -u CALLFUZZ_EXEC -u CALLFUZZ_QEMU CALLFUZZ_ARTIFACTS="$out/artifacts-$name" \
		ASAN_OPTIONS=detect_leaks=1 "./$name" "${opts[@]}" -max_total_time=5 -runs=100000 "$corpus") \
		>"$out/$name.log" 2>&1 || { tail -n 30 "$out/$name.log"; fail "$name did not run cleanly from \$OUT"; }
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$out/$name.log")
	[ -n "$runs" ] || { tail -n 20 "$out/$name.log"; fail "$name: no 'Done N runs' line"; }
	echo "$name: ran from \$OUT ($runs inputs, $nseeds seeds, options: ${opts[*]:-none})"
done
[ "$n" -gt 0 ] || fail "no fuzz/*.c targets"
ls "$out/out" | grep -q '^callfuzz-exec$' || fail "callfuzz-exec missing from \$OUT"
echo "ossfuzz_build: $n targets built and run from \$OUT"
