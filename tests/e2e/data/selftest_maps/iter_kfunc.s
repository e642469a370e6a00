; the number iterator's kfuncs (bpf_helpers.h declares them __ksym; the
; test's bpf_repeat function makes clang emit their BTF): r0 = 3 rounds
.func main
    *(u64 *)(r10 - 8) = 0
    r1 = r10
    r1 += -8
    r2 = 0
    r3 = 3
    call kfunc bpf_iter_num_new
    r6 = 0
loop:
    r1 = r10
    r1 += -8
    call kfunc bpf_iter_num_next
    if r0 == 0 goto done
    r6 += 1
    goto loop
done:
    r1 = r10
    r1 += -8
    call kfunc bpf_iter_num_destroy
    r0 = r6
    exit
