; The kernel's interpreter runs a tail call's target in the caller's frame,
; sized for the caller: main's 0 bytes of stack get the smallest frame (32
; bytes), t0 uses 88. t0's stores land below main's frame, on the saved
; return address of ___bpf_prog_run (x86-64: r10-40) and on its frame
; record (arm64: r10-88): with bpf_jit_enable=0 the kernel jumps to
; 0x5a5a0000. The JIT is not affected. README.md has the cause.
.map jt, prog_array, entries=1

.func main
    r2 = map[jt] ll
    r3 = 0
    call bpf_tail_call
    r0 = 0
    exit

.prog jt[0]
.func t0, stack=88
    *(u64 *)(r10 - 40) = 1515847680
    *(u64 *)(r10 - 88) = 1515847680
    r0 = 1
    exit
