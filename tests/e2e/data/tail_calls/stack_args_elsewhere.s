; stack arguments on a chain that reaches no tail call are fine: h passes
; arg 6 to g, main reaches the tail call through f only
.map jt, prog_array, entries=2

.func main, 1, stack=8
    *(u64 *)(r10 - 8) = r1
    call h
    r6 = r0
    r1 = *(u64 *)(r10 - 8)
    call f
    r0 += r6
    exit

.func f, 1
    r2 = map[jt] ll
    r3 = 1
    call bpf_tail_call
    r0 = 2
    exit

.func h
    *(u64 *)(r11 - 8) = 600
    call g
    exit

.func g, 6
    r0 = *(u64 *)(r11 + 8)
    exit

.prog jt[1]
.func t0
    r0 = 42
    exit
