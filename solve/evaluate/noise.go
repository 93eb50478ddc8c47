package evaluate

import (
	"fmt"
	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/internal/parallel"
	"math"
	"math/rand/v2"

	"github.com/jko-org/jko/solve/ot"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

// NoiseReport puts the one-step W1 next to what noise alone produces, so a
// model cannot score well by predicting less spread than the data have.
//
// W1 between a noisy prediction and a noisy observation is not minimised
// by the true model: a model without noise lands between the realisations
// and scores lower than the truth (the noisy styblinski_tang demo: 0.057
// fitted against 0.066 true). Two references make the number readable:
//
//   - Self: W1 between two predictions of the model from the same snapshot
//     with independent noise, the distance the model itself expects
//     between its prediction and another realisation. For a model with
//     the right noise, W1 to the data ≈ Self; Ratio = W1/Self > 1 says the
//     data are further from the prediction than the model's own noise
//     explains (too little noise, or a wrong drift); < 1, too much noise.
//   - Floor: W1 between the observed snapshot and a resampling of itself
//     with replacement, the distance sampling alone puts between two
//     clouds of that size from the same law.
type NoiseReport struct {
	W1    Report `json:"w1"`
	Self  Report `json:"self"`
	Floor Report `json:"floor"`
	// Ratio is W1.Mean/Self.Mean (+Inf for a model without noise on data
	// that differ from its prediction).
	Ratio float64 `json:"ratio"`
}

// NoiseAware computes the one-step W1 with its two references (see
// NoiseReport). seed fixes the prediction noise and the resampling.
func NoiseAware(f sim.Dynamics, s *snapshot.Snapshots, seed uint64, step compile.Scheme) (NoiseReport, error) {
	K := s.Len() - 1
	if K < 1 {
		return NoiseReport{}, fmt.Errorf("evaluate: one-step prediction needs at least 2 snapshots, have %d", s.Len())
	}
	p1 := make([]*mat.Dense, K)
	p2 := make([]*mat.Dense, K)
	for k := 0; k < K; k++ {
		var err error
		if p1[k], err = predictOne(f, s, k, seed, step); err != nil {
			return NoiseReport{}, fmt.Errorf("step %d: %w", k, err)
		}
		if p2[k], err = predictOne(f, s, k, seed^0x5e1f5e1f, step); err != nil {
			return NoiseReport{}, fmt.Errorf("step %d: %w", k, err)
		}
	}
	w1, self, floor := make([]float64, K), make([]float64, K), make([]float64, K)
	errs := make([]error, 3*K)
	parallel.For(3*K, func(i int) {
		k := i / 3
		obs := s.X[k+1]
		switch i % 3 {
		case 0:
			w1[k], errs[i] = ot.W1(p1[k], obs, nil, weights(s, k+1))
		case 1:
			self[k], errs[i] = ot.W1(p1[k], p2[k], nil, nil)
		case 2:
			floor[k], errs[i] = ot.W1(resample(obs, weights(s, k+1), seed+uint64(k)), obs, nil, weights(s, k+1))
		}
	})
	for i, err := range errs {
		if err != nil {
			return NoiseReport{}, fmt.Errorf("step %d: %w", i/3, err)
		}
	}
	r := NoiseReport{W1: Summarise("one-step W1", w1), Self: Summarise("model against itself", self),
		Floor: Summarise("data against a resampling", floor)}
	switch {
	case r.Self.Mean > 0:
		r.Ratio = r.W1.Mean / r.Self.Mean
	case r.W1.Mean > 0:
		r.Ratio = math.Inf(1)
	default:
		r.Ratio = 1
	}
	return r, nil
}

// resample draws n rows of x with replacement (by the weights w, uniform
// when nil).
func resample(x *mat.Dense, w []float64, seed uint64) *mat.Dense {
	n, d := x.Dims()
	rng := rand.New(rand.NewPCG(seed, 0x7e5a))
	var cum []float64
	if w != nil {
		cum = make([]float64, n)
		s := 0.0
		for i, v := range w {
			s += v
			cum[i] = s
		}
	}
	out := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		j := rng.IntN(n)
		if cum != nil {
			u := rng.Float64() * cum[n-1]
			lo, hi := 0, n-1
			for lo < hi {
				mid := (lo + hi) / 2
				if cum[mid] <= u {
					lo = mid + 1
				} else {
					hi = mid
				}
			}
			j = lo
		}
		out.SetRow(i, x.RawRowView(j))
	}
	return out
}

// DriftError compares the drift of a fitted model with the true one over
// the points of every snapshot but the last (where one-step predictions
// start): rms = √(mean ‖v̂ − v‖²) and rel = rms/√(mean ‖v‖²).
func DriftError(fit, truth sim.Dynamics, s *snapshot.Snapshots) (rel, rms float64, err error) {
	if fit.Dim() != truth.Dim() {
		return 0, 0, fmt.Errorf("evaluate: the fitted model is %d-dimensional, the truth %d", fit.Dim(), truth.Dim())
	}
	d := fit.Dim()
	num, den, cnt := 0.0, 0.0, 0
	for k := 0; k+1 < s.Len(); k++ {
		n, _ := s.X[k].Dims()
		x := make([]float64, 0, n*d)
		for i := 0; i < n; i++ {
			x = append(x, s.X[k].RawRowView(i)...)
		}
		a, b := make([]float64, n*d), make([]float64, n*d)
		if err := fit.Drift(a, x, n, s.Times[k]); err != nil {
			return 0, 0, err
		}
		if err := truth.Drift(b, x, n, s.Times[k]); err != nil {
			return 0, 0, err
		}
		for i := range a {
			num += (a[i] - b[i]) * (a[i] - b[i])
			den += b[i] * b[i]
		}
		cnt += n
	}
	if cnt == 0 {
		return 0, 0, fmt.Errorf("evaluate: no points to compare drifts on")
	}
	rms = math.Sqrt(num / float64(cnt))
	rel = math.Sqrt(num / math.Max(den, 1e-300))
	return rel, rms, nil
}
