; witness for alu32_add_no_zext: w0 += w1 computed on x registers keeps the carry in
; bit 32 (BPF ALU32 zero-extends the 32-bit result)
.func main
    w0 = -1
    r1 = 1
    w0 += w1
    exit
