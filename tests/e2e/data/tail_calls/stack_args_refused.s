; 7.2 refuses a tail call reached through a function with stack arguments
; (kernel/bpf/verifier.c check_max_stack_depth_subprog: "tail_calls are
; not allowed in programs with stack args"); the checker refuses it too
.map jt, prog_array, entries=2

.func main
    *(u64 *)(r11 - 8) = 6
    call f
    exit

.func f, 6
    r6 = *(u64 *)(r11 + 8)
    r2 = map[jt] ll
    r3 = 1
    call bpf_tail_call
    r0 = r6
    exit

.prog jt[1]
.func t0
    r0 = 42
    exit
