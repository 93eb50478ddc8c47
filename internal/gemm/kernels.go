package gemm

// Kernels lists the micro-kernels this machine can run, by name: "go"
// (portable, every machine), then "avx2" and "avx512" where supported.
// Gemm uses the last one.
func Kernels() []string {
	names := []string{"go"}
	if HasFMA() {
		names = append(names, "avx2")
	}
	if HasAVX512() {
		names = append(names, "avx512")
	}
	return names
}

// Use makes Gemm run the named micro-kernel (one of Kernels) and returns
// the function that restores the previous one. It is for tests that check
// every code path a machine can take; it must not run concurrently with
// Gemm. It panics on a name not in Kernels.
func Use(name string) (restore func()) {
	var k tileKernel
	switch {
	case name == "go":
		k = kernelGo
	case name == "avx2" && HasFMA():
		k = kernelFMA
	case name == "avx512" && HasAVX512():
		k = kernelAVX512
	default:
		panic("gemm: no kernel " + name + " on this machine")
	}
	prev := microKernel
	microKernel = k
	return func() { microKernel = prev }
}
