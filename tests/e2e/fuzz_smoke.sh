#!/usr/bin/env bash
# tests/e2e/fuzz_smoke.sh: the differential fuzz target for ~10 s on this
# tree through ./fuzz/run (libFuzzer, one job): progress lines appear, the
# summary counts programs and zero mismatches, no bucket is written. Then
# fuzz/parse_check for 10 s under ASan+UBSan (build-fuzz-san/). Exit 0 pass,
# 77 skip, else fail.
set -u
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: $*"; exit 1; }
command -v clang >/dev/null || { echo "clang missing: install the Debian package clang"; exit 77; }
if [ "$(uname -m)" != aarch64 ] && ! command -v qemu-aarch64-static >/dev/null && ! command -v qemu-aarch64 >/dev/null; then
	echo "qemu-aarch64 missing: install the Debian package qemu-user-static"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

./fuzz/run --target model --time 10 --jobs 1 --interval 2 --corpus "$tmp/corpus" --artifacts "$tmp/artifacts" >"$tmp/run.log" 2>&1
rc=$?
cat "$tmp/run.log"
[ $rc = 0 ] || fail "fuzz/run exited with $rc on the clean tree"
grep -q '^fuzz/run: target model: our arm64 JIT' "$tmp/run.log" || fail "no first line naming the target"
[ "$(grep -c '^fuzz/run: .*programs [0-9]* (' "$tmp/run.log")" -ge 2 ] || fail "fewer than 2 progress lines"
progs=$(sed -n 's/.*summary: [0-9]*s, \([0-9]*\) programs.*/\1/p' "$tmp/run.log")
[ "${progs:-0}" -gt 0 ] || fail "no program ran"
grep -q 'summary: .* 0 mismatches' "$tmp/run.log" || fail "mismatches on the clean tree"
buckets=$(find "$tmp/artifacts" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | wc -l)
[ "$buckets" = 0 ] || fail "$buckets bucket(s) written on the clean tree"
ls "$tmp"/corpus | grep -q . || fail "the corpus was not seeded"

# fuzz/parse_check (issue 2): 10 s under ASan+UBSan.
if ! make -s -j2 BUILD=build-fuzz-san CC=clang FUZZ=1 SAN=1 build-fuzz-san/fuzz-parse_check >"$tmp/san.log" 2>&1; then
	tail -n 20 "$tmp/san.log"
	fail "the sanitizer fuzz build failed"
fi
mkdir -p "$tmp/pc"
for s in seeds/*.s; do
	[ -f "$s" ] || continue
	{ printf '\0'; cat "$s"; } >"$tmp/pc/$(basename "$s")"
done
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 \
	build-fuzz-san/fuzz-parse_check -max_total_time=10 -timeout=10 -artifact_prefix="$tmp/" "$tmp/pc" >"$tmp/pc.log" 2>&1
rc=$?
tail -n 3 "$tmp/pc.log"
[ $rc = 0 ] || { grep -m 20 -E 'ERROR|runtime error|SUMMARY|==' "$tmp/pc.log"; fail "fuzz-parse_check found a bug (exit $rc)"; }
echo "fuzz_smoke: $progs programs without a mismatch; parse_check clean for 10 s under ASan+UBSan"
