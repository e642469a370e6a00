; Linux 7.2.13 rejects this valid program (arm64 and x86-64, JIT and interpreter):
;   reading from stack off -8+0 size 8, slot poisoned by dead code elimination
; f1 gets no stack pointer from main, so the static stack liveness analyses it at
; depth 0; f3 is reached from f1 at depth 1 (f1 -> f3) and 2 (f1 -> f2 -> f3), so f4
; has the instances (d2,cs) and (d3,cs) for the call in f3. The verifier reaches
; f4 through f1 -> f3 at frame 3 and takes (d3,cs), the other chain's instance:
; f1's fp-8 is judged dead and poisoned, then f4 reads it. The interpreter: r0 = 1.
; README.md beside this file. Run: callfuzz run --target vm THIS_FILE
.func main
    call f1
    exit
.func f1
    *(u64 *)(r10 - 8) = 1
    r1 = r10
    call f2
    r1 = r10
    call f3
    exit
.func f2, 1
    call f3
    exit
.func f3, 1
    call f4
    exit
.func f4, 1
    r0 = *(u64 *)(r1 - 8)
    exit
