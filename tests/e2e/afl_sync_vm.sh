#!/usr/bin/env bash
# tests/e2e/afl_sync_vm.sh: two fuzz/run instances on one --sync-dir under
# AFL++ against the vm target (an x86-64 guest each: it boots fastest under
# TCG), as two machines sharing a file system would run: a main, then a
# secondary (--role secondary) started once the main's queue exists. Each
# boots one guest (docs/vm-target.md, "AFL++": persistent mode, the guest
# booted at the first input of the fork server's child) and the
# secondary's queue imports the main's entries (id:...,sync:main,...).
# Exit 0 pass, 77 skip, 1 fail.
set -u
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: $*"; exit 1; }
kernel=build/kernels/x86_64/vmlinuz
[ -s "$kernel" ] || { echo "skip: no x86_64 kernel image at $kernel (harness/target/fetch-kernels.sh)"; exit 77; }
command -v qemu-system-x86_64 >/dev/null || { echo "skip: qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"; exit 77; }
for t in afl-fuzz afl-clang-fast; do
	command -v $t >/dev/null || { echo "skip: $t missing (apt-get install afl++)"; exit 77; }
done
[ -f /usr/lib/afl/libAFLDriver.a ] || { echo "skip: /usr/lib/afl/libAFLDriver.a missing (afl++)"; exit 77; }
# the AFL++ build, as fuzz/run makes it (incremental), and the agent beside it
if [ "$(cat build-afl/.fuzz-flags 2>/dev/null)" != afl ]; then rm -rf build-afl/obj; mkdir -p build-afl; echo afl >build-afl/.fuzz-flags; fi
nice make -s -j2 afl >/tmp/callfuzz-afl-build.$$ 2>&1 &&
	nice make -s BUILD=build-afl build-afl/agent/x86_64/initramfs.cpio.gz >>/tmp/callfuzz-afl-build.$$ 2>&1 ||
	{ tail -n 20 /tmp/callfuzz-afl-build.$$; rm -f /tmp/callfuzz-afl-build.$$; fail "the AFL++ build"; }
rm -f /tmp/callfuzz-afl-build.$$
tmp=$(mktemp -d /tmp/callfuzz-e2e-aflsync.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done; wait; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/c-main" "$tmp/c-sec"
cp seeds/corpus/* "$tmp/c-main/"
cp "$(ls seeds/corpus/* | head -n 1)" "$tmp/c-sec/"
common=(--engine afl --target vm --arch x86_64 --kernel "$kernel" --jobs 1 --no-min --no-build --interval 5
	--sync-dir "$tmp/sync")

./fuzz/run "${common[@]}" --time 40 --corpus "$tmp/c-main" >"$tmp/main.log" 2>&1 &
pids+=($!)
for ((w = 0; w < 100; w++)); do
	[ -n "$(ls "$tmp/sync/main/queue" 2>/dev/null)" ] && break
	sleep 0.2
done
./fuzz/run "${common[@]}" --time 30 --role secondary --corpus "$tmp/c-sec" >"$tmp/sec.log" 2>&1 &
pids+=($!)
wait "${pids[@]}"
pids=()
sed 's/^/main: /' "$tmp/main.log" | grep -E 'target vm|summary|programs [0-9]+ ' | tail -n 3
sed 's/^/sec:  /' "$tmp/sec.log" | grep -E 'target vm|summary|programs [0-9]+ ' | tail -n 3
for r in main sec; do
	grep -q '^fuzz/run: target vm: kernel 7\.[0-9.]*.*x86_64.*accel .*engine afl' "$tmp/$r.log" ||
		{ tail -n 20 "$tmp/$r.log"; fail "$r: no first line naming the booted kernel, accel and engine"; }
	progs=$(sed -n 's/.*summary: [0-9]*s, \([0-9]*\) programs.*/\1/p' "$tmp/$r.log")
	[ "${progs:-0}" -gt 0 ] || fail "$r: no program ran"
done
sec=$(ls -d "$tmp"/sync/sec-* 2>/dev/null | head -n 1)
[ -n "$sec" ] || fail "no secondary in the sync dir: $(ls "$tmp/sync")"
imported=$(ls "$sec/queue" | grep -c 'sync:main')
echo "sync dir: $(ls "$tmp/sync" | grep -v artifacts | tr '\n' ' '); main queue $(ls "$tmp/sync/main/queue" | wc -l), $(basename "$sec") queue $(ls "$sec/queue" | wc -l) of which $imported from main; main imported $(ls "$tmp/sync/main/queue" | grep -c 'sync:sec')"
[ "$imported" -gt 0 ] || fail "the secondary imported nothing from the main"
echo "afl_sync_vm: ok"
