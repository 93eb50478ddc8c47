//go:build !amd64

package eval

// microKernel computes one mr×nr tile (the portable kernel off amd64).
var microKernel tileKernel = kernelGo

func hasFMA() bool { return false }

func hasAVX512() bool { return false }

// The assembly kernels' names, for tests; never chosen off amd64.
var kernelFMA, kernelAVX512 tileKernel = kernelGo, kernelGo
