; a self tail call: t0 counts its runs in ctx[8]; 33 tail calls then falls through
.map jt, prog_array, entries=2

.func main
    r2 = map[jt] ll
    r3 = 0
    call bpf_tail_call
    r0 = 1
    exit

.prog jt[0]
.func t0
    r6 = r1
    r2 = *(u64 *)(r6 + 8)
    r2 += 1
    *(u64 *)(r6 + 8) = r2
    r1 = r6
    r2 = map[jt] ll
    r3 = 0
    call bpf_tail_call
    r0 = *(u64 *)(r6 + 8)
    exit
