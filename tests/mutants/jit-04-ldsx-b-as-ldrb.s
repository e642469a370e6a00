; witness for jit-04-ldsx-b-as-ldrb: r0 = *(s8 *) loads zero-extended (0xf0 instead of -16)
.func main
    *(u8 *)(r10 - 8) = 0xf0
    r0 = *(s8 *)(r10 - 8)
    exit
