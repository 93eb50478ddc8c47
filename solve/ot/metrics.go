package ot

import (
	"math"

	"github.com/jko-org/jko/internal/parallel"
	"gonum.org/v1/gonum/mat"
)

// MMD returns the maximum mean discrepancy between the point clouds x and
// y with the Gaussian kernel k(p, q) = exp(−‖p − q‖² / (2·bandwidth²)):
// the square root of the biased (V-statistic) estimate
// mean k(x,x') + mean k(y,y') − 2 mean k(x,y), clipped at 0.
func MMD(x, y *mat.Dense, bandwidth float64) (float64, error) {
	if !(bandwidth > 0) || math.IsInf(bandwidth, 0) {
		return 0, inputErr("mmd: bandwidth must be positive and finite, got %v", bandwidth)
	}
	if _, _, _, err := checkClouds(x, y); err != nil {
		return 0, err
	}
	g := -1 / (2 * bandwidth * bandwidth)
	// mean is the kernel's mean over the pairs of p and q; over p and
	// itself (self) each unordered pair is summed once and counted twice,
	// the diagonal's exp(0) = 1 added: two thirds of the kernel
	// evaluations of the three full sums.
	mean := func(p, q *mat.Dense, self bool) float64 {
		n, d := p.Dims()
		m, _ := q.Dims()
		ps, qs := rowsOf(p), rowsOf(q)
		part := make([]float64, n)
		parallel.Chunks(n, 32, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				s := 0.0
				j0 := 0
				if self {
					j0 = i + 1
				}
				for j := j0; j < m; j++ {
					r := 0.0
					for k := 0; k < d; k++ {
						t := ps[i*d+k] - qs[j*d+k]
						r += t * t
					}
					s += math.Exp(g * r)
				}
				part[i] = s
			}
		})
		s := 0.0
		for _, v := range part {
			s += v
		}
		if self {
			s = 2*s + float64(n)
		}
		return s / float64(n*m)
	}
	v := mean(x, x, true) + mean(y, y, true) - 2*mean(x, y, false)
	return math.Sqrt(math.Max(v, 0)), nil
}

// Summarise returns the mean and the population standard deviation
// (ddof = 0, as numpy.std) of per-step distances.
func Summarise(v []float64) (mean, std float64, err error) {
	if len(v) == 0 {
		return 0, 0, inputErr("summarise: no values")
	}
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, 0, inputErr("summarise: value %d is %v", i, x)
		}
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(v))), nil
}
