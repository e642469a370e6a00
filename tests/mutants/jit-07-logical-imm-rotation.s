; witness for jit-07-logical-imm-rotation: the bitmask immediate 0xff00 encoded with the rotation
; the wrong way round (immr = 64 - r instead of r)
.func main
    r0 = 0
    r0 |= 0xff00
    exit
