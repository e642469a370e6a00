; tail call from a subprogram with r3 = 0x100000001: the index is its low 32 bits (1), the target's r0 goes back to main, which adds 1000
.map jt, prog_array, entries=2

.func main, 1, stack=8
    *(u64 *)(r10 - 8) = r1
    r1 = *(u64 *)(r10 - 8)
    call f
    r0 += 1000
    exit

.func f, 1
    r6 = 7
    r2 = map[jt] ll
    r3 = 0x100000001 ll
    call bpf_tail_call
    r0 = r6
    exit

.prog jt[1]
.func t0
    r0 = 42
    exit
