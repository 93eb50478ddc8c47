package eval

import "golang.org/x/sys/cpu"

// microKernel computes one mr×nr tile: the AVX2/FMA assembly kernel when
// the CPU (and the operating system) support it, kernelGo otherwise.
var microKernel tileKernel = kernelGo

func init() {
	if hasFMA() {
		microKernel = kernelFMA
	}
}

func hasFMA() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

// kernel4x8 is the assembly micro-kernel: t[i·8 + j] = Σ_p
// a[i·rsA + p·csA]·b[p·ldb + j] over k ≥ 1 steps (strides in bytes), each
// entry a chain of fused multiply–adds in order of p; row i of t is
// stored to c[i·ldc:] (ldc in bytes), or added to it when add ≠ 0. It
// needs AVX2 and FMA.
//
//go:noescape
func kernel4x8(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc, add int)

func kernelFMA(k int, a []float64, rsA, csA int, b []float64, ldb int, c []float64, ldc int, add bool) {
	// The last entries touched, so the kernel stays inside a, b and c.
	_ = c[(mr-1)*ldc+nr-1]
	if k == 0 {
		if !add {
			for i := range mr {
				clear(c[i*ldc : i*ldc+nr])
			}
		}
		return
	}
	_ = a[(mr-1)*rsA+(k-1)*csA]
	_ = b[(k-1)*ldb+nr-1]
	ad := 0
	if add {
		ad = 1
	}
	kernel4x8(k, &a[0], 8*rsA, 8*csA, &b[0], 8*ldb, &c[0], 8*ldc, ad)
}
