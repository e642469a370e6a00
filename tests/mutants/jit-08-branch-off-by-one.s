; witness for jit-08-branch-off-by-one: a taken branch lands one arm64 instruction early
.func main
    r0 = 1
    r1 = 5
    if r1 == 5 goto out
    r0 = 2
out:
    exit
