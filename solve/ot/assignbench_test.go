package ot

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// fitCase is an assignment of the closed-form fit's regime: a source
// cloud x and its step y = x − a·x + σ·ξ, σ the particles' spacing (the
// side over n^(1/d), times √(2/d)) and a the drift's contraction (0 or
// 0.1: at 20,000 points in 2-D a displacement of 4–7 spacings, as the
// simulated steps of wavy_plateau), and a second step y2 = x − 1.05·a·x
// + 1.1·σ·ξ with the same ξ (the β calibration's next trial: the same
// noise at another scale, a slightly different drift).
type fitCase struct {
	x, y, y2 *mat.Dense
}

func newFitCase(n, d int, clustered bool, a float64) fitCase {
	r := rand.New(rand.NewPCG(11, uint64(n*10+d)))
	var x *mat.Dense
	if clustered {
		x = clusteredCloud(r, n, d, 6, 0)
	} else {
		x = uniformCloud(r, n, d)
	}
	sigma := 8 / math.Pow(float64(n), 1/float64(d)) * math.Sqrt(2/float64(d))
	if clustered {
		sigma /= 4
	}
	y, y2 := mat.NewDense(n, d, nil), mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for k := 0; k < d; k++ {
			xi := r.NormFloat64()
			y.Set(i, k, (1-a)*x.At(i, k)+sigma*xi)
			y2.Set(i, k, (1-1.05*a)*x.At(i, k)+1.1*sigma*xi)
		}
	}
	return fitCase{x, y, y2}
}

// warmPrices are the prices to start the coupling x → y2 from: those of
// the plan p of x → y moved to y2 to first order (as the calibration's
// startPrices), v_j + 2⟨y2_j − y_j, y_j − x_i⟩ for the x_i coupled to y_j.
func (c fitCase) warmPrices(p *Plan) []float64 {
	n, d := c.x.Dims()
	out := make([]float64, n)
	for _, q := range p.Pairs {
		j := q.J
		g := 0.0
		for k := 0; k < d; k++ {
			g += (c.y2.At(j, k) - c.y.At(j, k)) * (c.y.At(j, k) - c.x.At(q.I, k))
		}
		out[j] = p.V[j] + 2*g
	}
	return out
}

// BenchmarkAssignFit times the assignment in the fit's regime: cold (x →
// y) and warm-started (x → y2 from the prices of x → y); uniform sources
// with noise alone, uniform and clustered sources with drift and noise;
// 2,000 and 20,000 points in 2-D, 2,000 in 5-D.
func BenchmarkAssignFit(b *testing.B) {
	for _, sz := range []struct{ n, d int }{{2000, 2}, {20000, 2}, {2000, 5}} {
		for _, src := range []string{"noise", "drift", "clustered"} {
			a := 0.1
			if src == "noise" {
				a = 0
			}
			c := newFitCase(sz.n, sz.d, src == "clustered", a)
			name := fmt.Sprintf("%s/%dD/%d", src, sz.d, sz.n)
			b.Run(name+"/cold", func(b *testing.B) {
				for b.Loop() {
					if _, err := CoupleWith(c.x, c.y, nil, nil, SqEuclidean, Options{}); err != nil {
						b.Fatal(err)
					}
				}
			})
			p, err := CoupleWith(c.x, c.y, nil, nil, SqEuclidean, Options{})
			if err != nil {
				b.Fatal(err)
			}
			prices := c.warmPrices(p)
			b.Run(name+"/warm", func(b *testing.B) {
				for b.Loop() {
					if _, err := CoupleWith(c.x, c.y2, nil, nil, SqEuclidean, Options{Prices: prices}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
