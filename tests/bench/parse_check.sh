#!/usr/bin/env bash
# tests/bench/parse_check.sh [SECONDS] [JOBS]: a longer run of the parser and
# checker fuzz target (fuzz/parse_check.c) under ASan+UBSan than CI's 10 s.
# Arbitrary bytes as text, as the bytecode container and as bare
# instructions; any crash, sanitizer report or broken print/parse round trip
# stops it and leaves the input in build-fuzz-san/parse_check-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-600}
jobs=${2:-$(nproc)}
make -s -j"$(nproc)" BUILD=build-fuzz-san CC=clang FUZZ=1 SAN=1 build-fuzz-san/fuzz-parse_check
corpus=build-fuzz-san/parse_check-corpus
arts=build-fuzz-san/parse_check-artifacts
mkdir -p "$corpus" "$arts"
# seed with every committed program, as text (first byte even: text)
for s in seeds/*.s tests/mutants/*.s; do
	[ -f "$s" ] && { printf '\0'; cat "$s"; } >"$corpus/$(basename "$s")"
done
dict=()
[ -f fuzz/parse_check.dict ] && dict=(-dict=fuzz/parse_check.dict)
build-fuzz-san/fuzz-parse_check -max_total_time="$secs" -jobs="$jobs" -workers="$jobs" -timeout=10 \
	"${dict[@]}" -artifact_prefix="$arts/" "$corpus"
echo "parse_check: ${secs}s x $jobs jobs clean (corpus $(ls "$corpus" | wc -l) inputs)"
