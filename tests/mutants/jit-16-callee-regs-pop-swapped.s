; witness for jit-16-callee-regs-pop-swapped: callee-saved registers popped in swapped pairs: the
; caller's r6 and r7 come back exchanged
.func main
    r6 = 1
    r7 = 2
    call f
    r0 = r6
    r0 <<= 4
    r0 |= r7
    exit

.func f, 0
    r6 = 3
    r7 = 4
    r0 = r6
    r0 += r7
    exit
