; a raw tracepoint that tail calls t0 through jt[1]; both write obs; the
; target's subprogram takes an argument (the btf__ companion names it)
.type raw_tracepoint
.map jt, prog_array, entries=2
.map obs, array, key=4, value=16, entries=1
.func main
    r6 = r1
    r7 = *(u64 *)(r6 + 8)
    r1 = map[obs][0]+0 ll
    *(u64 *)(r1 + 0) = r7
    r1 = r6
    r2 = map[jt] ll
    r3 = 1
    call bpf_tail_call
    r0 = 7
    exit
.prog jt[1]
.func t0
    r1 = map[obs][0]+8 ll
    *(u64 *)(r1 + 0) = 9
    r1 = 40
    call g
    exit
.func g, 1
    r0 = r1
    r0 += 2
    exit
