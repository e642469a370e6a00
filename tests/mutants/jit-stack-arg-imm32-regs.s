; witness for jit-stack-arg-imm32-regs: arg 6 stored as an immediate (-1)
; reaches the callee zero-extended (0xffffffff)
.func main
    r1 = 1
    r2 = 2
    r3 = 3
    r4 = 4
    r5 = 5
    *(u64 *)(r11 - 8) = -1
    call f6
    exit

.func f6, 6
    r0 = *(u64 *)(r11 + 8)
    exit
