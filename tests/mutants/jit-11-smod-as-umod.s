; witness for jit-11-smod-as-umod: r0 s%= r1 divides unsigned (-7 s% 2 is -1, not 1)
.func main
    r0 = -7
    r1 = 2
    r0 s%= r1
    exit
