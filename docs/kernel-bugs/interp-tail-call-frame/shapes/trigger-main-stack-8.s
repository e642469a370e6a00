; The brief's shape: main with 8 bytes of stack (a 32-byte interpreter
; frame) tail calls t0, which uses all 512 bytes: its stores below r10-32
; go below main's frame. r10-40 (x86-64) and r10-88 (arm64) hold a return
; address on Debian's 7.2.13; t0's deepest slot alone (r10-512) lands on
; dead stack there and shows nothing without KASAN.
.map jt, prog_array, entries=1

.func main, stack=8
    *(u64 *)(r10 - 8) = 0
    r2 = map[jt] ll
    r3 = 0
    call bpf_tail_call
    r0 = 0
    exit

.prog jt[0]
.func t0, stack=512
    *(u64 *)(r10 - 40) = 1515847680
    *(u64 *)(r10 - 88) = 1515847680
    *(u64 *)(r10 - 512) = 1515847680
    r0 = 1
    exit
