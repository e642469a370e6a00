; A false rejection by the 7.2.13 verifier (arm64 and x86-64): f1 passes a pointer to
; its stack (r4) to f3, which passes it on untouched to f4, which reads it; f3 is also
; called from f2 (with a pointer to f2's stack). The kernel: "reading from stack off
; -64+0 size 8, slot poisoned by dead code elimination" (EACCES); the read is valid
; (the interpreter: r0 = 0x1007). Found by vm-fuzz seed 474 (and 545), shrunk by
; callfuzz vm-min and by hand. Run: callfuzz run --target vm THIS_FILE
.func main, stack=96
    r3 = 0x123456789abcdef0 ll
    call f1
    exit
.func f1, 3, stack=64
    *(u64 *)(r10 - 64) = 1515847680
    r4 = r10
    r4 += -64
    r5 = 2004852479
    *(u64 *)(r11 - 16) = r5
    *(u64 *)(r11 - 8) = r3
    call f3
    r1 = r10
    r2 = 32767
    *(u64 *)(r11 - 8) = r2
    call f2
    exit
.func f2, 6, stack=96
    r0 = 4098
    *(u64 *)(r10 - 72) = 65535
    r4 = r10
    r4 += -72
    *(u64 *)(r11 - 16) = r0
    *(u64 *)(r11 - 8) = 305419896
    call f3
l0:
    exit
.func f3, 7, stack=32
    *(u64 *)(r11 - 8) = 63
    call f4
l0:
l1:
l2:
    exit
.func f4, 6, stack=64
    r4 = *(u64 *)(r4 + 0)
    r1 = -1
    w2 = 65535
    r3 = 1431655765
    r4 = 64
    r5 = 256
    call f7
    exit
.func f7, 5, global, stack=32
    r0 = 4103
    exit

