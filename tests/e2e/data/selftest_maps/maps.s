; a hash map the program loads as a map (SEC(".maps")), an array whose
; value it addresses (.data.obs): r0 = 5, hm[3] and obs written
.map hm, hash, key=8, value=16, entries=2
.map obs, array, key=4, value=8, entries=1
.func main
    *(u64 *)(r10 - 8) = 3
    *(u64 *)(r10 - 24) = 17
    *(u64 *)(r10 - 16) = 34
    r1 = map[hm] ll
    r2 = r10
    r2 += -8
    r3 = r10
    r3 += -24
    r4 = 0
    call bpf_map_update_elem
    r6 = r0
    r1 = map[obs][0]+4 ll
    *(u32 *)(r1 + 0) = 85
    r0 = r6
    r0 += 5
    exit
