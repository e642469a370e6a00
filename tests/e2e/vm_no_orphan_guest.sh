#!/usr/bin/env bash
# tests/e2e/vm_no_orphan_guest.sh: no qemu-system guest outlives its owner.
#
#   1. `callfuzz vm-fuzz` SIGKILLed once its guest is connected: the guest
#      goes too (PR_SET_PDEATHSIG, harness/target/vm.c).
#   2. `fuzz/run --target vm --time 8 --jobs 1` ends by itself (its jobs
#      leave by libFuzzer's _Exit, which skips vm_stop): no guest is left.
#   3. fuzz/run SIGKILLed: its job (setpriv --pdeathsig) and so the job's
#      guest go too.
#
# Each guest is told apart from any other on the machine by its console
# log, a path in this test's temporary directory that is on qemu's command
# line (-chardev file,...,path=FILE): `callfuzz vm-fuzz --console FILE`, and
# CALLFUZZ_VM_CONSOLE for fuzz/run's jobs. Nothing waits for a boot to
# finish except case 2: ~30 s. Exit 0 pass, 77 skip, 1 fail.
set -u
cd "$(dirname "$0")/../.."
build=${CALLFUZZ_BUILD:-build}
cf=$build/callfuzz
kernel=${CALLFUZZ_KERNEL:-build/kernels/arm64/vmlinuz}
fail() { echo "FAIL: $*"; exit 1; }
if [ ! -s "$kernel" ]; then
	echo "skip: no arm64 kernel image at $kernel (harness/target/fetch-kernels.sh fetches one; or CALLFUZZ_KERNEL=IMAGE)"
	exit 77
fi
command -v qemu-system-aarch64 >/dev/null ||
	{ echo "skip: qemu-system-aarch64 not installed (apt-get install qemu-system-arm)"; exit 77; }
[ -x "$cf" ] || fail "$cf not built"
tmp=$(mktemp -d /tmp/callfuzz-e2e-orphan.XXXXXX)
owners=()
cleanup() {
	local p
	# whatever a failed case left behind: the owners we started, then
	# any guest of ours (matched by our own temporary directory)
	for p in "${owners[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in $(pgrep -f -- "path=$tmp/"); do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
printf '.func main\n    r0 = 1\n    exit\n' >"$tmp/p.s"

# guests CONSOLE: pids of live qemu-system processes writing to CONSOLE (a
# zombie has no command line: it is gone for this test)
guests() { pgrep -f -- "qemu-system.*path=$1,"; }
# wait_guest CONSOLE PARENT SECONDS: the pid of PARENT's guest, once it runs
wait_guest() {
	local q w
	for ((w = 0; w < $3 * 10; w++)); do
		q=$(pgrep -P "$2" -f -- "qemu-system.*path=$1,")
		[ -n "$q" ] && { echo "$q"; return 0; }
		sleep 0.1
	done
	return 1
}
# connected QEMU: qemu has its virtio-serial chardev's socket connected to
# the owner (a connected unix stream socket among its fds). Before that a
# dead owner only makes qemu's connect fail and qemu exit by itself: a kill
# then proves nothing.
connected() {
	local ino
	for ino in $(ls -l "/proc/$1/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\].*/\1/p'); do
		awk -v i="$ino" '$7 == i && $5 == "0001" && $6 == "03" { f = 1 } END { exit !f }' /proc/net/unix &&
			return 0
	done
	return 1
}
wait_connected() {
	local w
	for ((w = 0; w < $2 * 10; w++)); do
		connected "$1" && return 0
		sleep 0.1
	done
	return 1
}
# gone CONSOLE SECONDS: no guest on CONSOLE within SECONDS
gone() {
	local w
	for ((w = 0; w < $2 * 10; w++)); do
		[ -z "$(guests "$1")" ] && return 0
		sleep 0.1
	done
	return 1
}

# ---- 1. callfuzz vm-fuzz, SIGKILLed ------------------------------------------------
# (vm-fuzz: an owner that surely still runs when killed; `run` is done
# seconds after the boot)
con=$tmp/cli-console.log
"$cf" vm-fuzz --count 1000000 --kernel "$kernel" --console "$con" --out "$tmp/vm-fuzz" >"$tmp/cli.log" 2>&1 &
owner=$!
owners+=("$owner")
q=$(wait_guest "$con" "$owner" 10) || { cat "$tmp/cli.log"; fail "callfuzz vm-fuzz started no qemu-system within 10 s"; }
wait_connected "$q" 20 || { cat "$tmp/cli.log"; fail "qemu-system $q did not connect to callfuzz vm-fuzz in 20 s"; }
kill -KILL "$owner"
wait "$owner" 2>/dev/null
rc=$?
[ $rc = 137 ] || { cat "$tmp/cli.log"; fail "callfuzz vm-fuzz ended by itself ($rc) before the kill: nothing shown"; }
gone "$con" 5 || fail "qemu-system $q outlived its SIGKILLed owner callfuzz vm-fuzz ($owner) by 5 s"
echo "1. callfuzz vm-fuzz SIGKILLed: its guest $q went too"

# fuzz/run builds fuzz-diff with clang (build-fuzz/, incremental)
if ! command -v clang >/dev/null; then
	echo "skip: case 1 passed; the fuzz/run cases need clang (install the Debian package clang)"
	exit 77
fi

# ---- 3. fuzz/run SIGKILLed ------------------------------------------------------
# (first: fuzz/run builds what is missing here, outside case 2's timing)
if setpriv --pdeathsig KILL true 2>/dev/null; then
	con=$tmp/fuzz-kill-console.log
	CALLFUZZ_VM_CONSOLE=$con ./fuzz/run --target vm --kernel "$kernel" --time 120 --jobs 1 --no-min \
		--corpus "$tmp/corpus" --artifacts "$tmp/artifacts" >"$tmp/fuzz-kill.log" 2>&1 &
	owner=$!
	owners+=("$owner")
	# the job is fuzz/run's child, the guest the job's
	for ((w = 0; w < 1200; w++)); do
		q=$(guests "$con")
		[ -n "$q" ] && break
		kill -0 "$owner" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$q" ] || { tail -n 20 "$tmp/fuzz-kill.log"; fail "fuzz/run started no guest"; }
	wait_connected "$q" 20 || fail "fuzz/run's qemu-system $q did not connect to its job in 20 s"
	job=$(ps -o ppid= -p "$q" | tr -d ' ')
	owners+=("$job")
	[ "$(ps -o ppid= -p "$job" | tr -d ' ')" = "$owner" ] || fail "guest $q is not of a job of fuzz/run ($owner)"
	kill -KILL "$owner"
	wait "$owner" 2>/dev/null
	gone "$con" 5 || fail "qemu-system $q outlived SIGKILLed fuzz/run ($owner) by 5 s"
	# dead, or a zombie of init's (stat Z, or Zl while its threads end:
	# libFuzzer's own threads die a moment after the main one)
	for ((w = 0; w < 20; w++)); do
		kill -0 "$job" 2>/dev/null || break
		[[ "$(ps -o stat= -p "$job")" == Z* ]] && break
		sleep 0.1
	done
	! kill -0 "$job" 2>/dev/null || [[ "$(ps -o stat= -p "$job")" == Z* ]] ||
		fail "fuzz/run's job $job outlived SIGKILLed fuzz/run (stat $(ps -o stat= -p "$job"))"
	echo "3. fuzz/run SIGKILLed: its job $job and guest $q went too"
else
	echo "3. not run: this setpriv has no --pdeathsig (util-linux < 2.33)"
fi

# ---- 2. fuzz/run --time -------------------------------------------------------------
con=$tmp/fuzz-console.log
CALLFUZZ_VM_CONSOLE=$con ./fuzz/run --target vm --kernel "$kernel" --time 8 --interval 2 --jobs 1 --no-min \
	--corpus "$tmp/corpus" --artifacts "$tmp/artifacts" >"$tmp/fuzz.log" 2>&1 &
owner=$!
owners+=("$owner")
seen=
while kill -0 "$owner" 2>/dev/null; do
	[ -n "$seen" ] || seen=$(guests "$con")
	sleep 0.2
done
wait "$owner"
rc=$?
[ -n "$seen" ] || { tail -n 20 "$tmp/fuzz.log"; fail "fuzz/run --time 8 started no guest"; }
gone "$con" 3 || fail "fuzz/run --time 8 exited ($rc) and left qemu-system $(guests "$con") running"
[ $rc = 0 ] || [ $rc = 1 ] || { tail -n 20 "$tmp/fuzz.log"; fail "fuzz/run exited with $rc"; }
echo "2. fuzz/run --time 8 exited ($rc): its guest $seen went with it"
echo "vm_no_orphan_guest: no guest outlived its owner"
