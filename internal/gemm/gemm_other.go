//go:build !amd64

package gemm

// microKernel computes one mr×nr tile (the portable kernel off amd64).
var microKernel tileKernel = kernelGo

// HasFMA reports whether the AVX2/FMA kernel runs (CPU and OS support).
func HasFMA() bool { return false }

// HasAVX512 reports whether the AVX-512 kernel runs.
func HasAVX512() bool { return false }

// The assembly kernels' names, for tests; never chosen off amd64.
var kernelFMA, kernelAVX512 tileKernel = kernelGo, kernelGo
