; the count survives bpf-to-bpf calls: main calls f twice; f tail calls t0,
; which tail calls itself until the run's count reaches 33
.map jt, prog_array, entries=2

.func main, 1, stack=16
    *(u64 *)(r10 - 8) = r1
    r1 = *(u64 *)(r10 - 8)
    call f
    r1 = *(u64 *)(r10 - 8)
    call f
    r1 = *(u64 *)(r10 - 8)
    r0 = *(u64 *)(r1 + 8)
    exit

.func f, 1
    r2 = map[jt] ll
    r3 = 1
    call bpf_tail_call
    r0 = 99
    exit

.prog jt[1]
.func t0
    r6 = r1
    r2 = *(u64 *)(r6 + 8)
    r2 += 1
    *(u64 *)(r6 + 8) = r2
    r1 = r6
    r2 = map[jt] ll
    r3 = 1
    call bpf_tail_call
    r0 = *(u64 *)(r6 + 8)
    exit
