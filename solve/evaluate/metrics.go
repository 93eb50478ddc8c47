package evaluate

import (
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/internal/parallel"
	"github.com/jko-org/jko/solve/ot"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

// Report holds a distance per step with its mean and standard deviation.
type Report struct {
	Metric  string    `json:"metric"`
	PerStep []float64 `json:"per_step"`
	Mean    float64   `json:"mean"`
	Std     float64   `json:"std"`
}

func (r Report) String() string {
	return fmt.Sprintf("%s %.4g ± %.2g", r.Metric, r.Mean, r.Std)
}

// Summarise is the report of the distances v, one per step: their mean
// and (population) standard deviation, NaN when v is empty. OneStep and
// the others summarise their per-step distances with it, so a caller that
// computes the steps elsewhere (one step per worker) gets the same report.
func Summarise(metric string, v []float64) Report {
	r := Report{Metric: metric, PerStep: v}
	if len(v) == 0 {
		r.Mean, r.Std = math.NaN(), math.NaN()
		return r
	}
	for _, x := range v {
		r.Mean += x
	}
	r.Mean /= float64(len(v))
	for _, x := range v {
		r.Std += (x - r.Mean) * (x - r.Mean)
	}
	r.Std = math.Sqrt(r.Std / float64(len(v)))
	return r
}

// Predict advances the cloud x (n×d) from time t by `steps` steps of length
// dt with the flow, each taken as step says, and returns the clouds after
// each step. An implicit step that cannot be solved is an error wrapping
// sim.ErrImplicitNotConverged.
func Predict(f sim.Dynamics, x *mat.Dense, t, dt float64, steps int, seed uint64, step compile.Scheme) ([]*mat.Dense, error) {
	n, d := x.Dims()
	if d != f.Dim() {
		return nil, fmt.Errorf("evaluate: the cloud is %d-dimensional, the model %d", d, f.Dim())
	}
	if !step.Valid() {
		panic(fmt.Sprintf("evaluate: unknown %v", step))
	}
	pts := make([]float64, 0, n*d)
	for i := 0; i < n; i++ {
		pts = append(pts, x.RawRowView(i)...)
	}
	res, err := sim.Run(f, sim.Options{
		Particles: n, Steps: steps, Dt: dt, T0: t, Seed: seed,
		Init: sim.Init{Kind: "points", Points: pts}, Scheme: step,
	})
	if err != nil {
		return nil, err
	}
	return res.X[1:], nil
}

// OneStepW1 is OneStep's distance for step k, computed on its own: the W1
// distance of the observed cloud y (weights wy, nil for uniform) at time
// tNext to the prediction of the flow from the cloud x at time t, one step
// of length tNext − t taken as step says, with the noise seeded as OneStep
// seeds step k. It lets the steps of a one-step evaluation run on
// different workers and agree with OneStep's PerStep[k].
//
// whole is the population x was drawn from when x is a split of a larger
// observation (snapshot.Snapshots.Population), else nil. A flow whose drift
// depends on the population then steps the whole of it and scores x's
// rows, as OneStep does.
func OneStepW1(f sim.Dynamics, x, whole *mat.Dense, t float64, y *mat.Dense, wy []float64, tNext float64, k int, seed uint64, step compile.Scheme) (float64, error) {
	if k < 0 {
		return 0, fmt.Errorf("evaluate: step %d: want k ≥ 0", k)
	}
	var rows []int
	if usesCloud(f) {
		rows = splitRows(whole, x)
	}
	from := x
	if rows != nil {
		from = whole
	}
	pred, err := Predict(f, from, t, tNext-t, 1, seed+uint64(k), step)
	if err != nil {
		return 0, err
	}
	p := pred[0]
	if rows != nil {
		p = pickRows(p, rows)
	}
	return ot.W1(p, y, nil, wy)
}

// predictOne is the prediction of snapshot k+1 from snapshot k.
// When the drift depends on the population and s.X[k] is a split of a
// larger observed population, the whole population is stepped and the
// split's rows are returned (see populationRows).
func predictOne(f sim.Dynamics, s *snapshot.Snapshots, k int, seed uint64, step compile.Scheme) (*mat.Dense, error) {
	x, rows := s.X[k], populationRows(f, s, k)
	if rows != nil {
		x = s.Population[k]
	}
	pred, err := Predict(f, x, s.Times[k], s.Times[k+1]-s.Times[k], 1, seed+uint64(k), step)
	if err != nil {
		return nil, err
	}
	if rows != nil {
		return pickRows(pred[0], rows), nil
	}
	return pred[0], nil
}

// Progress, when passed to OneStep, OneStepAll or AllSteps, is called as
// each unit of work (a prediction, a distance) is done, from one goroutine
// at a time, with the count done and the total.
type Progress func(done, total int)

// counter reports progress from parallel work.
type counter struct {
	mu          sync.Mutex
	done, total int
	fs          []Progress
}

func newCounter(total int, fs []Progress) *counter { return &counter{total: total, fs: fs} }

func (c *counter) tick() {
	if len(c.fs) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done++
	for _, f := range c.fs {
		if f != nil {
			f(c.done, c.total)
		}
	}
}

// OneStep predicts each snapshot k+1 from the observed snapshot k and
// returns the W1 distance of each prediction to the observation.
func OneStep(f sim.Dynamics, s *snapshot.Snapshots, seed uint64, step compile.Scheme, progress ...Progress) (Report, error) {
	K := s.Len() - 1
	if K < 1 {
		return Report{}, fmt.Errorf("evaluate: one-step prediction needs at least 2 snapshots, have %d", s.Len())
	}
	// Predictions first (the dynamics may keep state), then the exact
	// distances, which are independent problems, on all cores.
	bar := newCounter(2*K, progress)
	preds := make([]*mat.Dense, K)
	for k := 0; k < K; k++ {
		pred, err := predictOne(f, s, k, seed, step)
		if err != nil {
			return Report{}, fmt.Errorf("step %d: %w", k, err)
		}
		preds[k] = pred
		bar.tick()
	}
	out := make([]float64, K)
	errs := make([]error, K)
	parallel.For(K, func(k int) {
		out[k], errs[k] = ot.W1(preds[k], s.X[k+1], nil, weights(s, k+1))
		bar.tick()
	})
	for k, err := range errs {
		if err != nil {
			return Report{}, fmt.Errorf("step %d: %w", k, err)
		}
	}
	return Summarise("one-step W1", out), nil
}

// AllSteps rolls the flow out from the first snapshot and returns the W1
// distance to every later snapshot.
func AllSteps(f sim.Dynamics, s *snapshot.Snapshots, seed uint64, step compile.Scheme, progress ...Progress) (Report, error) {
	bar := newCounter(s.Len()-1, progress)
	var out []float64
	// The rollout of a split whose drift depends on the population moves
	// the whole population and reads the split's rows (see predictOne).
	x, rows := s.X[0], populationRows(f, s, 0)
	if rows != nil {
		x = s.Population[0]
	}
	for k := 0; k+1 < s.Len(); k++ {
		pred, err := Predict(f, x, s.Times[k], s.Times[k+1]-s.Times[k], 1, seed+uint64(k), step)
		if err != nil {
			return Report{}, fmt.Errorf("step %d: %w", k, err)
		}
		x = pred[0]
		split := x
		if rows != nil {
			split = pickRows(x, rows)
		}
		w, err := ot.W1(split, s.X[k+1], nil, weights(s, k+1))
		if err != nil {
			return Report{}, fmt.Errorf("step %d: %w", k, err)
		}
		out = append(out, w)
		bar.tick()
	}
	return Summarise("all-steps W1", out), nil
}

func weights(s *snapshot.Snapshots, k int) []float64 {
	if s.W == nil {
		return nil
	}
	return s.W[k]
}

// Distances are the one-step-ahead errors under three metrics.
type Distances struct {
	W1  Report `json:"w1"`
	W2  Report `json:"w2"`
	MMD Report `json:"mmd"`
}

// OneStepAll is OneStep with three metrics: W1 (Euclidean cost), W2 (the
// square root of the exact squared-Euclidean transport cost) and the
// maximum mean discrepancy with a Gaussian kernel of bandwidth equal to the
// median inter-point distance of each observed snapshot (estimated on up
// to 500 points).
func OneStepAll(f sim.Dynamics, s *snapshot.Snapshots, seed uint64, step compile.Scheme, progress ...Progress) (Distances, error) {
	K := s.Len() - 1
	if K < 1 {
		return Distances{}, fmt.Errorf("evaluate: one-step prediction needs at least 2 snapshots, have %d", s.Len())
	}
	bar := newCounter(4*K, progress)
	preds := make([]*mat.Dense, K)
	for k := 0; k < K; k++ {
		pred, err := predictOne(f, s, k, seed, step)
		if err != nil {
			return Distances{}, fmt.Errorf("step %d: %w", k, err)
		}
		preds[k] = pred
		bar.tick()
	}
	w1, w2, mmd := make([]float64, K), make([]float64, K), make([]float64, K)
	errs := make([]error, 3*K)
	parallel.For(3*K, func(i int) {
		k := i / 3
		switch i % 3 {
		case 0:
			w1[k], errs[i] = ot.W1(preds[k], s.X[k+1], nil, weights(s, k+1))
		case 1:
			var c float64
			c, errs[i] = ot.W2Squared(preds[k], s.X[k+1], nil, weights(s, k+1))
			w2[k] = math.Sqrt(c)
		case 2:
			mmd[k], errs[i] = ot.MMD(preds[k], s.X[k+1], medianDistance(s.X[k+1]))
		}
		bar.tick()
	})
	for i, err := range errs {
		if err != nil {
			return Distances{}, fmt.Errorf("step %d: %w", i/3, err)
		}
	}
	return Distances{Summarise("one-step W1", w1), Summarise("one-step W2", w2), Summarise("one-step MMD", mmd)}, nil
}

// medianDistance is the median distance between points of x (on a
// deterministic subsample of at most 500 points).
func medianDistance(x *mat.Dense) float64 {
	n, d := x.Dims()
	step := max(1, n/500)
	var ds []float64
	for i := 0; i < n; i += step {
		for j := i + step; j < n; j += step {
			s := 0.0
			for k := 0; k < d; k++ {
				v := x.At(i, k) - x.At(j, k)
				s += v * v
			}
			ds = append(ds, math.Sqrt(s))
		}
	}
	if len(ds) == 0 {
		return 1
	}
	sort.Float64s(ds)
	if m := ds[len(ds)/2]; m > 0 {
		return m
	}
	return 1
}
