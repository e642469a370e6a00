; bpf_loop(0, cb): cb never explored, removed as dead code; it is the last function
.func main, stack=8
    r1 = 0
    r2 = cb ll
    r3 = 0
    r4 = 0
    call 181
    r0 = 0
    exit

.func cb, 2, stack=8
    r0 = 0
    exit
