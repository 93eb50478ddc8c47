package eval

import "github.com/jko-org/jko/internal/gemm"

// softSig4 writes softplus(z) to sp and sigmoid(z) to sg for the first n
// entries (n a multiple of 4), four at a time with AVX2/FMA, and returns
// how many it wrote: it stops before the first group of four holding a z
// with |z| > 708 or NaN (exp(−|z|) below the normal range), which the
// caller evaluates in scalar code. exp(−|z|) is a degree-13 polynomial
// after the reduction by ln 2, log(1 + e) the reduction to [√2/2, √2] and
// the classic odd series in f/(2 + f); the rest (the log1p correction,
// the divisions, the branches as blends) are the scalar code's operations.
//
//go:noescape
func softSig4(sp, sg, z *float64, n int) int

// sigmoid4 is softSig4 for the sigmoid alone.
//
//go:noescape
func sigmoid4(sg, z *float64, n int) int

// vectorActivations reports whether softSig4 and sigmoid4 can run.
var vectorActivations = gemm.HasFMA()

// softSig8 is softSig4 eight values at a time with AVX-512 (n a multiple
// of 8): the same operations, so the same results.
//
//go:noescape
func softSig8(sp, sg, z *float64, n int) int

// sigmoid8 is sigmoid4 eight values at a time with AVX-512.
//
//go:noescape
func sigmoid8(sg, z *float64, n int) int

// wideActivations reports whether softSig8 and sigmoid8 can run.
var wideActivations = gemm.HasAVX512()
