#!/usr/bin/env bash
# tests/e2e/vm_known_bugs.sh: the catalogue of known kernel bugs
# (docs/kernel-bugs/*/known.conf) against the kernel it was written on,
# Debian's 7.2.13 (build/kernels/, harness/target/fetch-kernels.sh), one
# boot (and a reboot after each crash): every reproducer, and every
# shapes/trigger-*.s, is filed under its bug's signature ("known kernel
# bug: SIGNATURE": the booted kernel showed the bug and the case matches
# it), and for a bug with a pattern is a VERIFIER (or, where the kernel
# also WARNs, a REPORT with the pattern in its log) mismatch carrying it;
# every shapes/load-*.s loads and equals the interpreter. x86-64 when its image is there (boots in ~4 s),
# else arm64. Exit 0 pass, 77 skip, else fail.
set -u
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: $*"; exit 1; }
arch=
for a in x86_64 arm64; do
	[ -s "build/kernels/$a/vmlinuz" ] && grep -q '^7\.2\.13' "build/kernels/$a/version" 2>/dev/null && { arch=$a; break; }
done
[ -n "$arch" ] || { echo "skip: no Debian 7.2.13 kernel in build/kernels/ (harness/target/fetch-kernels.sh)"; exit 77; }
q=qemu-system-x86_64; [ $arch = arm64 ] && q=qemu-system-aarch64
command -v $q >/dev/null || { echo "skip: $q not installed"; exit 77; }
[ -x build/callfuzz ] || fail "build/callfuzz missing (make)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

files=() want=()
for conf in docs/kernel-bugs/*/known.conf; do
	dir=$(dirname "$conf")
	sig=$(sed -n 's/^signature *= *//p' "$conf")
	pattern=$(sed -n 's/^pattern *= *//p' "$conf")
	shape=$(sed -n 's/^shape *= *//p' "$conf")
	repro=$(sed -n 's/^reproducer *= *//p' "$conf")
	[ -n "$sig" ] && { [ -n "$pattern" ] || [ -n "$shape" ]; } && [ -n "$repro" ] ||
		fail "$conf: no signature, pattern (or shape) or reproducer"
	files+=("$dir/$repro"); want+=("shows:$sig:$pattern")
	for s in "$dir"/shapes/trigger-*.s; do [ -e "$s" ] && files+=("$s") && want+=("shows:$sig:$pattern"); done
	for s in "$dir"/shapes/load-*.s; do [ -e "$s" ] && files+=("$s") && want+=("loads"); done
done
[ ${#files[@]} -gt 0 ] || fail "no docs/kernel-bugs/*/known.conf"
build/callfuzz run --target vm --arch $arch "${files[@]}" >"$tmp/out" 2>&1
for i in "${!files[@]}"; do
	f=${files[$i]}
	section=$(awk -v f="== $f" '$0 == f { on = 1; next } /^== / { on = 0 } on' "$tmp/out")
	verdict=$(grep -m1 -E '^(equal|mismatch):' <<<"$section")
	case "${want[$i]}" in
	loads) case "$verdict" in equal:*) ;; *) cat "$tmp/out"; fail "$f: expected to load on $arch 7.2.13, got: $verdict" ;; esac ;;
	shows:*) sp=${want[$i]#shows:} sig=${sp%%:*} p=${sp#*:}
		grep -qxF -- "known kernel bug: $sig" <<<"$section" ||
			{ cat "$tmp/out"; fail "$f: not filed under $sig (got: $verdict)"; }
		[ -n "$p" ] || continue # the shape alone decides (known_bugs.c)
		# a kernel with CONFIG_BUG may WARN first (REPORT), with the
		# verifier's log printed after the report
		case "$verdict" in
		"mismatch: VERIFIER"*"$p"*) ;;
		"mismatch: REPORT"*) grep -qF -- "$p" <<<"$section" ||
			{ cat "$tmp/out"; fail "$f: a kernel report, but no '$p' in its verifier log" ; } ;;
		*) cat "$tmp/out"; fail "$f: expected the kernel to reject it with '$p', got: $verdict" ;;
		esac ;;
	esac
done
# a bug known by its shape is probed just before the first batch with a
# program of that shape (its reproducer crashes the guest): a run of a
# program without the shape never probes it
shaped=$(grep -l '^shape *=' docs/kernel-bugs/*/known.conf | xargs -r -n1 dirname | xargs -r -n1 basename)
if [ -n "$shaped" ]; then
	build/callfuzz run --target vm --arch $arch tests/mutants/jit-01-arg6-arg7-swapped.s >"$tmp/plain" 2>&1
	grep -q '^equal:' "$tmp/plain" || { cat "$tmp/plain"; fail "jit-01-arg6-arg7-swapped.s does not run equal on $arch 7.2.13"; }
	for name in $shaped; do
		grep -qF "$name (probed at the first program of its shape)" "$tmp/plain" ||
			{ cat "$tmp/plain"; fail "$name was probed by a run without its shape"; }
	done
fi
for i in "${!files[@]}"; do echo "  ${files[$i]}: ${want[$i]%%:*}"; done
echo "vm_known_bugs: ${#files[@]} programs on $arch 7.2.13 as the catalogue says"
