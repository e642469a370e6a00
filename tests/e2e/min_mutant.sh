#!/usr/bin/env bash
# tests/e2e/min_mutant.sh: `callfuzz min` and `callfuzz triage` end to end
# on a real JIT bug. A scratch copy of the tree gets the mutant
# tests/mutants/jit-stack-arg-load-slot-off.patch (incoming args 9.. read one
# slot too high); the generator's first program that the mutant JIT gets
# wrong is put in an artifact bucket; min must shrink it to at most 25
# instructions with the same signature, write min.s, report.txt and
# selftest.c (which clang-19 -target bpf compiles), and triage --rerun must
# say "reproduces" with the mutant and "fixed" with the clean build.
# Exit 0 pass, 77 skip, else fail.
set -u
cd "$(dirname "$0")/../.."
root=$PWD
build=${CALLFUZZ_BUILD:-build}
cf=$root/$build/callfuzz
[ -x "$cf" ] || { echo "no $cf (run make)"; exit 1; }
command -v patch >/dev/null || { echo "patch not installed (Debian package patch)"; exit 77; }
command -v aarch64-linux-gnu-gcc >/dev/null || { echo "no aarch64-linux-gnu-gcc (gcc-aarch64-linux-gnu)"; exit 77; }
tmp=$(mktemp -d)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# scratch tree: tracked files with their times, and the objects of $build
# (so that only jit/jit.c, which the patch touches, is recompiled)
tree=$tmp/tree
mkdir -p "$tree/build"
git ls-files -z | xargs -0 cp -p --parents -t "$tree" 2>/dev/null
[ -d "$build/obj" ] && cp -a "$build/obj" "$tree/build/"
(cd "$tree" && patch -s -p1 <"$root/tests/mutants/jit-stack-arg-load-slot-off.patch" &&
	make -s -j2 build/callfuzz build/callfuzz-exec >build.log 2>&1) || { tail -20 "$tree/build.log"; fail "scratch build"; }
mcf=$tree/build/callfuzz

# a generator-found reproducer
mkdir -p "$tmp/progs"
"$mcf" gen --seed 1 --count 60 -o "$tmp/progs" >/dev/null || fail "gen"
prog=
for s in $(seq 1 60); do
	if ! "$mcf" run "$tmp/progs/gen-$s.s" >"$tmp/run.txt" 2>&1; then
		grep -q '^mismatch:' "$tmp/run.txt" && { prog=$tmp/progs/gen-$s.s; break; }
	fi
done
[ -n "$prog" ] || fail "no generated program shows the mutant in 60 seeds"
"$cf" run "$prog" >/dev/null || fail "the clean JIT disagrees on $prog too"

# an artifact bucket as fuzz/run writes it (name: the loop's signature)
out=$("$mcf" min "$prog" --time 5 -q 2>&1) || fail "min on the file: $out"
sig=$(sed -n 's/^min: \([^:]*\): [0-9]* -> .*/\1/p' <<<"$out")
[ -n "$sig" ] || fail "no signature in: $out"
bucket=$tmp/artifacts/$sig
mkdir -p "$bucket"
cp "$prog" "$bucket/prog.s"
echo "$(date +%s) pid=1 bytes=100 lse=1 $sig: test" >"$bucket/hits"
echo "$(date +%s) pid=1 bytes=90 lse=1 $sig: test" >>"$bucket/hits"

start=$(date +%s)
out=$("$mcf" min "$bucket" --time 30 2>"$tmp/progress.txt") || { cat "$tmp/progress.txt"; fail "min: $out"; }
end=$(date +%s)
echo "$out"
grep -q '^min: round 1:' "$tmp/progress.txt" || fail "no progress lines"
after=$(sed -n 's/.* -> \([0-9]*\) insns.*/\1/p' <<<"$out" | head -n 1)
[ -n "$after" ] && [ "$after" -le 25 ] || fail "minimized to ${after:-?} instructions (want <= 25)"
[ $((end - start)) -le 30 ] || fail "min took $((end - start)) s"
for f in min.s report.txt selftest.c; do
	[ -s "$bucket/$f" ] || fail "no $f"
done
ls "$bucket" | grep -q tmp && fail "temporary file left in the bucket"

# the minimized program: same signature with the mutant, equal on the clean JIT
(cd "$bucket" && "$mcf" run min.s >"$tmp/rerun.txt" 2>&1) && fail "min.s no longer mismatches"
grep -q "^mismatch:" "$tmp/rerun.txt" || fail "rerun: $(cat "$tmp/rerun.txt")"
"$cf" run "$bucket/min.s" >/dev/null || fail "the clean JIT disagrees on min.s"

# report.txt: signature, divergence with both values, program, arm64 code, replay
grep -q "^signature: $sig\$" "$bucket/report.txt" || fail "report: signature"
grep -q '^first divergence: ' "$bucket/report.txt" || fail "report: divergence"
grep -q '^  interpreter ' "$bucket/report.txt" || fail "report: interpreter value"
grep -q '^  jit ' "$bucket/report.txt" || fail "report: jit value"
grep -q '^\.func main' "$bucket/report.txt" || fail "report: program"
if command -v llvm-mc-19 >/dev/null; then
	grep -q 'ldr x[0-9]*, \[x29, #' "$bucket/report.txt" || fail "report: no arm64 load from the frame (args 9..)"
fi
grep -q "^  callfuzz run --target model\( --no-lse\)\? $bucket/min.s$" "$bucket/report.txt" || fail "report: replay command"

# selftest.c compiles as a BPF object with r11 in it
if command -v clang-19 >/dev/null; then
	clang-19 -g -target bpf -O2 -I"/usr/include/$(gcc -dumpmachine)" -Itests/selftest \
		-c "$bucket/selftest.c" -o "$tmp/selftest.o" 2>"$tmp/cc.txt" || { cat "$tmp/cc.txt"; fail "selftest.c does not compile"; }
	grep -q '__success __retval(' "$bucket/selftest.c" || fail "selftest: no __retval"
	grep -q 'r11' "$bucket/selftest.c" || fail "selftest: no r11"
else
	echo "note: clang-19 missing (Debian package clang-19): selftest.c not compiled"
fi

# triage: one bucket, 2 hits, min.s; --rerun with the mutant and the clean build
tri=$("$mcf" triage "$tmp/artifacts" --rerun) || fail "triage: $tri"
echo "$tri"
grep -q "^$sig  *2 .* min.s  *$after " <<<"$tri" || fail "triage row"
grep -q '  reproduces (on model arm64)$' <<<"$tri" || fail "triage --rerun with the mutant"
"$cf" triage "$tmp/artifacts" --rerun | grep -q '  fixed (on model arm64)$' || fail "triage --rerun with the clean build"
"$cf" triage "$tmp/artifacts" --json | grep -q "\"bucket\": \"$sig\", \"kind\": \"${sig%%-*}\", \"count\": 2" ||
	fail "triage --json"
echo "ok: $sig minimized to $after instructions in $((end - start)) s"
