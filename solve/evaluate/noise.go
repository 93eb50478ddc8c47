package evaluate

import (
	"fmt"
	"github.com/jko-org/jko/internal/parallel"
	"math"
	"math/rand/v2"
	"slices"

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
func NoiseAware(f sim.Dynamics, s *snapshot.Snapshots, seed uint64, step Step) (NoiseReport, error) {
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

// DriftErrorEstimate is the drift error of a fitted model against the
// true one, rms = √(mean ‖v̂ − v‖²) and rel = rms/√(mean ‖v‖²), means over
// the particles of every snapshot but the last. When only some particles
// are evaluated (a uniform sample of Points of the Population, each
// against its whole snapshot as the mean field's cloud), Relative and RMS
// are Monte-Carlo estimates of the population's values with standard
// errors RelativeSE and RMSSE (delta method, finite-population corrected;
// 0 when every particle is evaluated).
type DriftErrorEstimate struct {
	Relative, RelativeSE float64
	RMS, RMSSE           float64
	Points, Population   int
}

// DriftErrorPoints is the number of particles DriftError evaluates by
// default: the pair sums of an interaction cost Points × (snapshot size)
// kernel evaluations instead of the population's square.
const DriftErrorPoints = 2000

// CloudDynamics is dynamics whose drift can be evaluated at some points of
// a population cloud (Flow's DriftAt).
type CloudDynamics interface {
	sim.Dynamics
	DriftAt(dst, x []float64, n int, cloud []float64, nc int, t float64) error
}

// DriftError compares the drift of a fitted model with the true one over
// the particles of every snapshot but the last (where one-step predictions
// start). With maxPoints > 0 and more particles than that, it evaluates a
// uniform sample of maxPoints of them, without replacement and fixed by
// seed, each in its whole snapshot, and reports the estimate with its
// standard error; otherwise it evaluates them all (exact, SE 0).
func DriftError(fit, truth CloudDynamics, s *snapshot.Snapshots, maxPoints int, seed uint64) (DriftErrorEstimate, error) {
	var est DriftErrorEstimate
	if fit.Dim() != truth.Dim() {
		return est, fmt.Errorf("evaluate: the fitted model is %d-dimensional, the truth %d", fit.Dim(), truth.Dim())
	}
	d := fit.Dim()
	// start[k] is the pooled index of snapshot k's first particle.
	start := make([]int, max(s.Len(), 1))
	total := 0
	for k := 0; k+1 < s.Len(); k++ {
		start[k] = total
		n, _ := s.X[k].Dims()
		total += n
	}
	if total == 0 {
		return est, fmt.Errorf("evaluate: no points to compare drifts on")
	}
	// picked[k] lists the rows of snapshot k to evaluate, in order.
	picked := make([][]int, s.Len())
	m := total
	if maxPoints > 0 && maxPoints < total {
		m = maxPoints
		perm := make([]int, total)
		for i := range perm {
			perm[i] = i
		}
		rng := rand.New(rand.NewPCG(seed, 0xd21f7))
		for i := 0; i < m; i++ { // partial Fisher–Yates
			j := i + rng.IntN(total-i)
			perm[i], perm[j] = perm[j], perm[i]
		}
		sel := perm[:m]
		slices.Sort(sel)
		k := 0
		for _, g := range sel {
			for k+2 < s.Len() && g >= start[k+1] {
				k++
			}
			picked[k] = append(picked[k], g-start[k])
		}
	} else {
		for k := 0; k+1 < s.Len(); k++ {
			n, _ := s.X[k].Dims()
			for i := 0; i < n; i++ {
				picked[k] = append(picked[k], i)
			}
		}
	}
	e, b := make([]float64, 0, m), make([]float64, 0, m) // ‖v̂ − v‖², ‖v‖² per point
	for k := 0; k+1 < s.Len(); k++ {
		rows := picked[k]
		if len(rows) == 0 {
			continue
		}
		nc, _ := s.X[k].Dims()
		cloud := make([]float64, 0, nc*d)
		for i := 0; i < nc; i++ {
			cloud = append(cloud, s.X[k].RawRowView(i)[:d]...)
		}
		n := len(rows)
		x := make([]float64, 0, n*d)
		for _, i := range rows {
			x = append(x, cloud[i*d:(i+1)*d]...)
		}
		va, vb := make([]float64, n*d), make([]float64, n*d)
		if err := fit.DriftAt(va, x, n, cloud, nc, s.Times[k]); err != nil {
			return est, err
		}
		if err := truth.DriftAt(vb, x, n, cloud, nc, s.Times[k]); err != nil {
			return est, err
		}
		for i := 0; i < n; i++ {
			ei, bi := 0.0, 0.0
			for j := i * d; j < (i+1)*d; j++ {
				ei += (va[j] - vb[j]) * (va[j] - vb[j])
				bi += vb[j] * vb[j]
			}
			e, b = append(e, ei), append(b, bi)
		}
	}
	meanE, meanB := mean(e), mean(b)
	est.Points, est.Population = m, total
	est.RMS = math.Sqrt(meanE)
	est.Relative = math.Sqrt(meanE / math.Max(meanB, 1e-300))
	if m < total && m > 1 {
		// Var of a mean of m of N drawn without replacement: S²/m·(1 − m/N).
		fpc := (1 - float64(m)/float64(total)) / float64(m)
		r := meanE / math.Max(meanB, 1e-300)
		resid := make([]float64, m) // the ratio estimator's linearisation
		for i := range e {
			resid[i] = e[i] - r*b[i]
		}
		seE := math.Sqrt(sampleVar(e) * fpc)
		seR := math.Sqrt(sampleVar(resid)*fpc) / math.Max(meanB, 1e-300)
		if est.RMS > 0 {
			est.RMSSE = seE / (2 * est.RMS) // d√u = du/(2√u)
		}
		if est.Relative > 0 {
			est.RelativeSE = seR / (2 * est.Relative)
		}
	}
	return est, nil
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// sampleVar is the unbiased sample variance (n − 1 in the denominator).
func sampleVar(v []float64) float64 {
	mu, s := mean(v), 0.0
	for _, x := range v {
		s += (x - mu) * (x - mu)
	}
	return s / float64(len(v)-1)
}
