//go:build !amd64

package eval

// microKernel computes one mr×nr tile (the portable kernel off amd64).
var microKernel tileKernel = kernelGo

func hasFMA() bool { return false }
