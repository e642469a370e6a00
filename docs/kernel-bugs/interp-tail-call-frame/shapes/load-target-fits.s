; repro.s with main's frame as deep as t0's: main's 96 bytes get a 96-byte
; interpreter frame, t0's stores at r10-40 and r10-88 stay inside it.
.map jt, prog_array, entries=1

.func main, stack=96
    *(u64 *)(r10 - 96) = 0
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
