package gemm

import "golang.org/x/sys/cpu"

// microKernel computes one mr×nr tile: an AVX-512 assembly kernel (8×8,
// one register per row) or an AVX2/FMA one (two 4×8 halves) when the CPU
// and the operating system support them, kernelGo otherwise. Both
// assembly kernels sum each entry by the same chain of fused
// multiply–adds, so they agree bit for bit.
var microKernel tileKernel = kernelGo

func init() {
	switch {
	case HasAVX512():
		microKernel = kernelAVX512
	case HasFMA():
		microKernel = kernelFMA
	}
}

// HasFMA reports whether the AVX2/FMA kernel runs (CPU and OS support).
func HasFMA() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

// HasAVX512 reports whether the AVX-512 kernel runs.
func HasAVX512() bool { return cpu.X86.HasAVX512F && HasFMA() }

// kernel4x8 is the AVX2 micro-kernel: t[i·8 + j] = Σ_p
// a[i·rsA + p·csA]·b[p·ldb + j] for i < 4, j < 8, over k ≥ 1 steps
// (strides in bytes), each entry a chain of fused multiply–adds in order
// of p; row i of t is stored to c[i·ldc:] (ldc in bytes), or added to it
// when add ≠ 0. It needs AVX2 and FMA.
//
//go:noescape
func kernel4x8(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc, add int)

// kernel8x8 is kernel4x8 for 8 rows with AVX-512 (one ZMM register per
// row of the tile, broadcasts embedded in the multiply–adds).
//
//go:noescape
func kernel8x8(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc, add int)

// checkTile panics unless the tile's reads and writes stay inside a, b
// and c, and reports whether there is anything to sum (k > 0); with k = 0
// it does the kernel's work (zero, or leave, the tile).
func checkTile(k int, a []float64, rsA, csA int, b []float64, ldb int, c []float64, ldc int, add bool) bool {
	_ = c[(mr-1)*ldc+nr-1]
	if k == 0 {
		if !add {
			for i := range mr {
				clear(c[i*ldc : i*ldc+nr])
			}
		}
		return false
	}
	_ = a[(mr-1)*rsA+(k-1)*csA]
	_ = b[(k-1)*ldb+nr-1]
	return true
}

func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

func kernelFMA(k int, a []float64, rsA, csA int, b []float64, ldb int, c []float64, ldc int, add bool) {
	if !checkTile(k, a, rsA, csA, b, ldb, c, ldc, add) {
		return
	}
	kernel4x8(k, &a[0], 8*rsA, 8*csA, &b[0], 8*ldb, &c[0], 8*ldc, flag(add))
	kernel4x8(k, &a[4*rsA], 8*rsA, 8*csA, &b[0], 8*ldb, &c[4*ldc], 8*ldc, flag(add))
}

func kernelAVX512(k int, a []float64, rsA, csA int, b []float64, ldb int, c []float64, ldc int, add bool) {
	if !checkTile(k, a, rsA, csA, b, ldb, c, ldc, add) {
		return
	}
	kernel8x8(k, &a[0], 8*rsA, 8*csA, &b[0], 8*ldb, &c[0], 8*ldc, flag(add))
}
