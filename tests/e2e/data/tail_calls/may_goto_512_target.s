; a target with may_goto in a 512-byte frame: without the JIT its frame
; would grow by the may_goto count's 16 bytes past 512 (kernel/bpf/fixups.c
; "stack size 528(extra 16) is too large"), so the kernel's interpreter is
; no voice for it (harness/target/target.c needs_jit; found by fuzz/run on
; Debian's x86-64 7.2.13 as VERIFIER-interp before that)
.map jt, prog_array, entries=1

.func main
    r2 = map[jt] ll
    r3 = 0
    call bpf_tail_call
    r0 = 1
    exit

.prog jt[0]
.func t0, 1, stack=512
    *(u64 *)(r10 - 512) = 7
    r0 = 0
    may_goto l
    r0 = *(u64 *)(r10 - 512)
l:
    exit
