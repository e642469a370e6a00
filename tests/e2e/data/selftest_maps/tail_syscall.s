; SYSCALL tail calls, the vm target's main shape: the test loads on 7.2
; (sleepable programs may use prog arrays since 7.x), not on 6.18
.map jt, prog_array, entries=2
.map m0, array, key=4, value=8, entries=2
.func main
    r6 = r1
    r7 = *(u64 *)(r6 + 8)
    r7 += 1
    *(u64 *)(r6 + 8) = r7
    r1 = r6
    r2 = map[jt] ll
    r3 = 0
    call bpf_tail_call
    r0 = 7
    exit
.prog jt[0]
.func t0
    *(u64 *)(r10 - 8) = 1
    r1 = map[m0] ll
    r2 = r10
    r2 += -8
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    *(u64 *)(r0 + 0) = 77
out:
    r0 = 42
    exit
