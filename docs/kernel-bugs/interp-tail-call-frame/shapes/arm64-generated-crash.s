; callfuzz fuzz-diff, target vm, profile kernel, max args 12
; ctx: 9b169c389903dac2c33ec460c12b02eaeb66ec88e9532a12138e14b0117b523a3bb63cd839a37a6263de640061cba28a8b068c2889f3cab2b32eb450b11bf2dadb56dc78d9431a02037e04a0016b422a2ba62cc829936a5253ce54f051bb927a7bf67c1879e3baa2a31ea440a10be2cacb46cc68c9330af2f36ef490f15b321a1b961cb819835a4243be44e041ab826a6be66c0869d3aa92930e943091fbd2babb36bc58b923fae2e35ee480e14b220a0b860ca809734a3233ae34d0319b725a5bd65cf859c39a8283fe842081ebc2aaab26ac48a913ead2d34ed470d13b12fafb76fc98f9633a22239e24c0218b624a4bc64ce849b38a7273ee741071dbb29a
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
.func t0, stack=512
    r0 = 4096
    *(u64 *)(r10 - 16) = r1
    r1 = *(u64 *)(r1 + 0)
    r0 ^= r1
    *(u64 *)(r10 - 8) = r0
    *(u64 *)(r10 - 512) = 1515847680
    r1 = r0
    r1 &= 7
    *(u32 *)(r10 - 56) = r1
    r1 = map[m0] ll
    r2 = r10
    r2 += -56
    call bpf_map_lookup_elem
    if r0 == 0 goto l0
    r8 = *(u32 *)(r0 + 4)
    r7 = *(u64 *)(r10 - 8)
    r7 *= 16777619
    r7 ^= r8
    *(u64 *)(r10 - 8) = r7
l0:
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
