; witness for jit-18-arg-area-last-call-wins: the outgoing area is sized for the last call (9 args,
; 16 bytes), not the largest (12 args, 32 bytes): args 11 and 12 of the first
; call land on the caller's BPF stack (r10-16, r10-8)
.func main
    r1 = 0x77
    *(u64 *)(r10 - 8) = r1
    r1 = 1
    r2 = 2
    r3 = 3
    r4 = 4
    r5 = 5
    *(u64 *)(r11 - 8) = 6
    *(u64 *)(r11 - 16) = 7
    *(u64 *)(r11 - 24) = 8
    *(u64 *)(r11 - 32) = 9
    *(u64 *)(r11 - 40) = 10
    *(u64 *)(r11 - 48) = 11
    *(u64 *)(r11 - 56) = 12
    call f12
    r6 = r0
    r1 = 1
    r2 = 2
    r3 = 3
    r4 = 4
    r5 = 5
    *(u64 *)(r11 - 8) = 6
    *(u64 *)(r11 - 16) = 7
    *(u64 *)(r11 - 24) = 8
    *(u64 *)(r11 - 32) = 9
    call f9
    r0 = *(u64 *)(r10 - 8)
    r0 += r6
    exit

.func f12, 12
    r0 = *(u64 *)(r11 + 56)
    exit

.func f9, 9
    r0 = *(u64 *)(r11 + 32)
    exit
