; only the middle callback: main passes f1 to bpf_loop(0), then calls g
.func main, stack=8
    r1 = 0
    r2 = f1 ll
    r3 = 0
    r4 = 0
    call 181
    call g
    r0 = 0
    exit

.func f1, 2, stack=8
    r0 = 0
    exit

.func g, 0, stack=8
    r0 = 0
    exit
