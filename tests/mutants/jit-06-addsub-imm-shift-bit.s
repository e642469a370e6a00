; witness for jit-06-addsub-imm-shift-bit: add with a shifted imm12 (0x3000) adds 0x3
.func main
    r0 = 0
    r0 += 0x3000
    exit
