; run: --no-lse
; witness for jit-10-llsc-cmpxchg-old-low-half: LL/SC cmpxchg_64 compares against the low half of r0
; only, so an equal 64-bit value looks different and nothing is stored
.func main
    r1 = 0x100000005 ll
    *(u64 *)(r10 - 8) = r1
    r0 = r1
    r2 = 7
    r0 = cmpxchg_64(r10 - 8, r0, r2)
    r0 = *(u64 *)(r10 - 8)
    exit
