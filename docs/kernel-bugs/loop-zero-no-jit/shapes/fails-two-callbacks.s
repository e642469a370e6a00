; main passes f1 to bpf_loop(0); main calls f4 directly; f4 passes f5 to bpf_loop(0); f5 last
.func main, stack=8
    r1 = 0
    r2 = f1 ll
    r3 = 0
    r4 = 0
    call 181
    call f4
    r0 = 0
    exit

.func f1, 2, stack=8
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
