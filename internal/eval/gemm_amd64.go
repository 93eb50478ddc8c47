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

// kernel4x8 is the assembly micro-kernel: tile[i·8 + j] = Σ_p
// a[i·rsA + p·csA]·b[p·ldb + j] over k ≥ 1 steps (strides in bytes), each
// entry a chain of fused multiply–adds in order of p. It needs AVX2 and
// FMA.
//
//go:noescape
func kernel4x8(k int, a *float64, rsA, csA int, b *float64, ldb int, tile *float64)

func kernelFMA(k int, a []float64, rsA, csA int, b []float64, ldb int, tile *[mr * nr]float64) {
	if k == 0 {
		*tile = [mr * nr]float64{}
		return
	}
	// The last entries read, so the kernel stays inside a and b.
	_ = a[(mr-1)*rsA+(k-1)*csA]
	_ = b[(k-1)*ldb+nr-1]
	kernel4x8(k, &a[0], 8*rsA, 8*csA, &b[0], 8*ldb, &tile[0])
}
