; witness for jit-09-jmp32-cmp-on-x-regs: if w1 == w2 compares all 64 bits
.func main
    r1 = 0x100000001 ll
    r2 = 1
    if w1 == w2 goto same
    r0 = 0
    exit
same:
    r0 = 1
    exit
