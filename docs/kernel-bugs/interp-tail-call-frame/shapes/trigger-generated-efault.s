; callfuzz fuzz-diff, target vm, profile kernel, max args 12
; ctx: aef2b659a689605fd61ade81ceb18887fe4206a9f6d9b0af266a2ed11e01d8d74e9256f9462900ff76ba7e216e5128279ee2a6499679504fc60ace71bea17877ee32f699e6c9a09f165a1ec10ef1c8c73e8246e93619f0ef66aa6e115e4118178ed296398669403fb6fabe61ae916867de22e689d6b9908f064a0eb1fee1b8b72e7236d92609e0df569a5e014e3108077ec286297659302fa6eaae519e815857ce12d679c6a9807ff63afea1eed1a8a71e6226c916f9d0cf468a4ef13e21f8f76eb276196649201f96da9e418e714847be02c669b699706fe62aee91dec198970e5216b906e9c0bf367a3ee12e11e8e75ea266095639100f86ca8e317e613837
.map m0, hash, key=4, value=8, entries=1
.map jt, prog_array, entries=5

.func main, stack=352
    r0 = 4096
    *(u64 *)(r10 - 16) = r1
    r1 = *(u64 *)(r1 + 0)
    r0 ^= r1
    *(u64 *)(r10 - 8) = r0
    *(u64 *)(r10 - 352) = 1515847680
    r1 = *(u64 *)(r10 - 16)
    r2 = *(u64 *)(r1 + 0)
    r2 *= 16777619
    r2 += 1
    r3 = *(u64 *)(r10 - 8)
    r2 ^= r3
    *(u64 *)(r1 + 0) = r2
    r3 = 0
    r1 = *(u64 *)(r10 - 16)
    r2 = map[jt] ll
    call 12
    r1 = *(u64 *)(r10 - 16)
    r2 = *(u64 *)(r10 - 8)
    *(u64 *)(r1 + 24) = r2
    r0 = *(u64 *)(r10 - 8)
    exit

.prog jt[0], jt[1], jt[2], jt[3], jt[4]
.func t0, stack=480
    r0 = 4096
    *(u64 *)(r10 - 16) = r1
    r1 = *(u64 *)(r1 + 0)
    r0 ^= r1
    *(u64 *)(r10 - 8) = r0
    *(u64 *)(r10 - 480) = 1515847680
    w6 = 32767
    r7 = 0
l0:
    r0 = 0
    w0 += 0
    r7 += 1
    if r7 != 2 goto l0
    r1 = *(u64 *)(r10 - 16)
    r2 = *(u64 *)(r1 + 0)
    r2 *= 16777619
    r2 += 0
    r3 = *(u64 *)(r10 - 8)
    r2 ^= r3
    *(u64 *)(r1 + 0) = r2
    r3 = 0
    r1 = *(u64 *)(r10 - 16)
    r2 = map[jt] ll
    call 12
    r1 = *(u64 *)(r10 - 16)
    r2 = *(u64 *)(r10 - 8)
    *(u64 *)(r1 + 24) = r2
    r0 = *(u64 *)(r10 - 8)
    exit
