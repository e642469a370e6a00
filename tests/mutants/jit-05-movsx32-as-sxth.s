; witness for jit-05-movsx32-as-sxth: r0 = (s32)r1 sign-extends from bit 15
.func main
    r1 = 0x12348000
    r0 = (s32)r1
    exit
