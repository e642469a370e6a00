; witness for call_no_mov_x8: the helper's return value stays in x0, r0 (x8) keeps
; its old value
.func main
    r0 = 0
    r1 = 1
    r2 = 2
    r3 = 3
    r4 = 4
    r5 = 5
    call trace
    exit
