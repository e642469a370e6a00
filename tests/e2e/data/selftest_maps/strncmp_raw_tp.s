; a read-only map with contents (.rodata.map_s: `s` does not assemble as a
; symbol) as bpf_strncmp's constant string, in a raw tracepoint
.type raw_tracepoint
.map s, array, key=4, value=16, entries=1, rdonly=25640000616263
.func main
    r6 = *(u64 *)(r1 + 8)
    *(u64 *)(r10 - 8) = r6
    r1 = r10
    r1 += -8
    r2 = 3
    r3 = map[s][0]+4 ll
    call bpf_strncmp
    r0 += r6
    exit
