; docs/kernel-bugs/syscall-tail-call-ctx: a SYSCALL program that reads 8
; bytes of ctx (max_ctx_offset 8) tail calls a target that writes and reads
; ctx + 256; BPF_PROG_TEST_RUN with a 256-byte ctx checks main's
; max_ctx_offset only, so the target's access lands just past the
; kmalloc-256 copy of ctx. The checker refuses t0 (ctx bounded by the 256
; bytes callfuzz passes): run it with `callfuzz vm`, not `callfuzz run`.
.map jt, prog_array, entries=1
.func main
    r6 = *(u64 *)(r1 + 0)
    r2 = map[jt] ll
    r3 = 0
    call bpf_tail_call
    r0 = 5
    exit
.prog jt[0]
.func t0
    r2 = 0x4141414141414141 ll
    *(u64 *)(r1 + 256) = r2
    r0 = *(u64 *)(r1 + 256)
    exit
