; repro.s: main calls f4, f4 passes f5 to bpf_loop(0); f5, never explored, is the last function
.func main, stack=8
    call f4
    r0 = 0
    exit

.func f4, 0, stack=8
    r1 = 0
    r2 = f5 ll
    r3 = 0
    r4 = 0
    call 181
    r0 = 0
    exit

.func f5, 2, stack=8
    r0 = 0
    exit
