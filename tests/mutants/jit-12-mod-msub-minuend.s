; witness for jit-12-mod-msub-minuend: MSUB takes src as the minuend: modulo by zero gives 0
; instead of leaving dst (7) as BPF says
.func main
    r0 = 7
    r1 = 0
    r0 %= r1
    exit
