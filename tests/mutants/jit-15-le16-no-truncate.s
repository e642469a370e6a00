; witness for jit-15-le16-no-truncate: le16 must keep only the low 16 bits
.func main
    r0 = 0x12345
    r0 = le16 r0
    exit
