; witness for jit-02-x21-not-restored: a callee that uses r7 and r8 (x20, x21 popped as a
; pair) does not restore x21, the caller's r8
.func main
    r8 = 42
    call f
    r0 = r8
    exit

.func f, 0
    r7 = 1
    r8 = 2
    r0 = r7
    r0 += r8
    exit
