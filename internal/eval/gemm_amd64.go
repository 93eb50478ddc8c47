package eval

import "golang.org/x/sys/cpu"

// microKernel computes one mr×nr tile: the AVX2/FMA assembly kernel when
// the CPU (and the operating system) support it, kernelGo otherwise.
var microKernel = kernelGo

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		microKernel = kernelFMA
	}
}

// kernel4x8 is the assembly micro-kernel: tile = A·B over k packed steps
// (a: k×4, b: k×8), each entry a chain of fused multiply–adds in order of
// p. It needs AVX2 and FMA.
//
//go:noescape
func kernel4x8(k int, a, b, tile *float64)

func kernelFMA(k int, a, b []float64, tile *[mr * nr]float64) {
	if k == 0 {
		*tile = [mr * nr]float64{}
		return
	}
	_, _ = a[k*mr-1], b[k*nr-1]
	kernel4x8(k, &a[0], &b[0], &tile[0])
}

func isKernelGo() bool { return !(cpu.X86.HasAVX2 && cpu.X86.HasFMA) }
