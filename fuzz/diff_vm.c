/* fuzz/diff_vm.c: fuzz-diff_vm, the differential target of fuzz/diff.c
 * against a real kernel under qemu-system (the vm target) without being
 * told so: fuzzing services (OSS-Fuzz, ClusterFuzzLite) run a binary by
 * name, with no environment of ours, so the choice of target is made at
 * build time. It finds its kernel and the agent's initramfs beside itself
 * (target_self_dir(): kernels/ARCH/vmlinuz, agent/ARCH/initramfs.cpio.gz,
 * which build.sh's OSS-Fuzz mode puts into $OUT); CALLFUZZ_ARCH (arm64 by
 * default), CALLFUZZ_KERNEL, CALLFUZZ_ACCEL and CALLFUZZ_TARGET (vm,model)
 * still apply. The guest boots in LLVMFuzzerInitialize (libFuzzer) or at
 * the first input of AFL++'s persistent child, once. */
#define DIFF_DEFAULT_TARGET "vm"
#include "fuzz/diff.c"
