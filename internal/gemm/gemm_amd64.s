#include "textflag.h"

// func kernel4x8(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc, add int)
// t[i*8+j] = Σ_p a[i*rsA + p*csA]·b[p*ldb + j] (strides in bytes), p in
// order, fused multiply–adds; k ≥ 1. Row i of the tile goes to
// c[i*ldc : i*ldc+8] (ldc in bytes), added to it when add ≠ 0.
TEXT ·kernel4x8(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rsA+16(FP), R8
	MOVQ csA+24(FP), R9
	MOVQ b+32(FP), DI
	MOVQ ldb+40(FP), R10
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R12
	MOVQ add+64(FP), R13
	LEAQ (R8)(R8*2), R11
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7

loop:
	VMOVUPD (DI), Y8
	VMOVUPD 32(DI), Y9
	VBROADCASTSD (SI), Y10
	VFMADD231PD Y8, Y10, Y0
	VFMADD231PD Y9, Y10, Y1
	VBROADCASTSD (SI)(R8*1), Y11
	VFMADD231PD Y8, Y11, Y2
	VFMADD231PD Y9, Y11, Y3
	VBROADCASTSD (SI)(R8*2), Y12
	VFMADD231PD Y8, Y12, Y4
	VFMADD231PD Y9, Y12, Y5
	VBROADCASTSD (SI)(R11*1), Y13
	VFMADD231PD Y8, Y13, Y6
	VFMADD231PD Y9, Y13, Y7
	ADDQ R9, SI
	ADDQ R10, DI
	DECQ CX
	JNZ  loop

	TESTQ R13, R13
	JZ    store
	VADDPD (DX), Y0, Y0
	VADDPD 32(DX), Y1, Y1
	ADDQ   R12, DX
	VADDPD (DX), Y2, Y2
	VADDPD 32(DX), Y3, Y3
	ADDQ   R12, DX
	VADDPD (DX), Y4, Y4
	VADDPD 32(DX), Y5, Y5
	ADDQ   R12, DX
	VADDPD (DX), Y6, Y6
	VADDPD 32(DX), Y7, Y7
	MOVQ   c+48(FP), DX

store:
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	ADDQ    R12, DX
	VMOVUPD Y2, (DX)
	VMOVUPD Y3, 32(DX)
	ADDQ    R12, DX
	VMOVUPD Y4, (DX)
	VMOVUPD Y5, 32(DX)
	ADDQ    R12, DX
	VMOVUPD Y6, (DX)
	VMOVUPD Y7, 32(DX)
	VZEROUPPER
	RET

// func kernel8x8(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc, add int)
// kernel4x8 for 8 rows with AVX-512: Zi holds row i of the tile.
TEXT ·kernel8x8(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rsA+16(FP), R8
	MOVQ csA+24(FP), R9
	MOVQ b+32(FP), DI
	MOVQ ldb+40(FP), R10
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R12
	MOVQ add+64(FP), R13
	LEAQ (R8)(R8*2), R11
	LEAQ (SI)(R8*4), BX
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7

loop8:
	VMOVUPD          (DI), Z8
	VFMADD231PD.BCST (SI), Z8, Z0
	VFMADD231PD.BCST (SI)(R8*1), Z8, Z1
	VFMADD231PD.BCST (SI)(R8*2), Z8, Z2
	VFMADD231PD.BCST (SI)(R11*1), Z8, Z3
	VFMADD231PD.BCST (BX), Z8, Z4
	VFMADD231PD.BCST (BX)(R8*1), Z8, Z5
	VFMADD231PD.BCST (BX)(R8*2), Z8, Z6
	VFMADD231PD.BCST (BX)(R11*1), Z8, Z7
	ADDQ             R9, SI
	ADDQ             R9, BX
	ADDQ             R10, DI
	DECQ             CX
	JNZ              loop8

	TESTQ R13, R13
	JZ    store8
	VADDPD (DX), Z0, Z0
	ADDQ   R12, DX
	VADDPD (DX), Z1, Z1
	ADDQ   R12, DX
	VADDPD (DX), Z2, Z2
	ADDQ   R12, DX
	VADDPD (DX), Z3, Z3
	ADDQ   R12, DX
	VADDPD (DX), Z4, Z4
	ADDQ   R12, DX
	VADDPD (DX), Z5, Z5
	ADDQ   R12, DX
	VADDPD (DX), Z6, Z6
	ADDQ   R12, DX
	VADDPD (DX), Z7, Z7
	MOVQ   c+48(FP), DX

store8:
	VMOVUPD Z0, (DX)
	ADDQ    R12, DX
	VMOVUPD Z1, (DX)
	ADDQ    R12, DX
	VMOVUPD Z2, (DX)
	ADDQ    R12, DX
	VMOVUPD Z3, (DX)
	ADDQ    R12, DX
	VMOVUPD Z4, (DX)
	ADDQ    R12, DX
	VMOVUPD Z5, (DX)
	ADDQ    R12, DX
	VMOVUPD Z6, (DX)
	ADDQ    R12, DX
	VMOVUPD Z7, (DX)
	VZEROUPPER
	RET
