package jkonet

import (
	"math"
	"runtime"
	"slices"
	"testing"

	"github.com/jko-org/jko/compile"
)

// calibrationPrep fits the drift of styblinski_tang data (400 particles,
// β = 0.1) with an entropy term, and returns what the calibration reads:
// the model, the prepared data, its rows and the drift's θ (β zeroed).
func calibrationPrep(t *testing.T) (*compile.Model, *Prepared, stepBlocks, []float64, Options) {
	t.Helper()
	src := stSpec + "param beta >= 0\ninternal H(rho) = beta*rho*log(rho)\n"
	m := model(t, src)
	data := simulate(t, "styblinski_tang", 400, 0.1, 4)
	o := DefaultOptions()
	prep, err := Prepare(m, data, o, compile.Explicit)
	if err != nil {
		t.Fatal(err)
	}
	blocks := linearRows(m, prep)
	res, err := FitLinear(m, prep, o)
	if err != nil {
		t.Fatal(err)
	}
	theta := res.Theta
	theta[entropyEntry(m)] = 0
	return m, prep, blocks, theta, o
}

// TestCalibrationWarmSame: the calibration's simulations, coupled from
// the prices of the seed's nearest coupling (or another seed's, or the
// data's for the first) and read
// with the sources' neighbours found once (calWarm), give the bits of the
// same simulations made cold, trial after trial: the statistics, each
// simulation's value, the nearest neighbours' statistic and the mean
// refit.
func TestCalibrationWarmSame(t *testing.T) {
	m, prep, blocks, theta, o := calibrationPrep(t)
	warm := &refits{feats: newSourceFeatures(m, prep, blocks)}
	for k, tr := range []struct {
		beta float64
		sims int
	}{{0.08, 1}, {0.1, 1}, {0.1, 4}, {0.12, 4}, {0.1, 2}} {
		got, err := calibrate(m, prep, warm, theta, tr.beta, o, 7, tr.sims)
		if err != nil {
			t.Fatal(err)
		}
		cold := &refits{feats: warm.feats}
		want, err := calibrate(m, prep, cold, theta, tr.beta, o, 7, tr.sims)
		if err != nil {
			t.Fatal(err)
		}
		same := func(a, b diffStat) bool {
			return a == b || (math.IsNaN(a.Icpt) && math.IsNaN(b.Icpt))
		}
		if got.mean != want.mean || !slices.Equal(got.each, want.each) || !same(got.near, want.near) || !slices.Equal(got.refit, want.refit) {
			t.Errorf("trial %d (β %g, %d simulations): warm mean %.17g, each %v; cold %.17g, %v",
				k, tr.beta, tr.sims, got.mean, got.each, want.mean, want.each)
		}
	}
	if !warm.sameMass(uniformMass(prep)) {
		t.Error("the refits' source masses are not the assignment's 1/n: the decompositions prefactor made were not reused")
	}
	for s := range prep.Steps {
		if warm.warm.data[s] == nil {
			t.Errorf("step %d: the first simulation had no data coupling to start from", s)
		}
		if warm.warm.nb[s].nb == nil {
			t.Errorf("step %d: the sources' neighbours were not kept", s)
		}
		if len(warm.warm.done[s]) != 4 {
			t.Errorf("step %d: %d seeds' couplings kept, want 4", s, len(warm.warm.done[s]))
		}
	}
}

// TestDataNeighboursSame: the data's residuals read with the sources'
// neighbours (calWarm.dataNeighbours, when the pairs start from the
// sources in order) give the bits of the statistics that find their own.
func TestDataNeighboursSame(t *testing.T) {
	m, prep, blocks, theta, _ := calibrationPrep(t)
	own := dataResiduals(prep, blocks, theta)
	shared := dataResiduals(prep, blocks, theta)
	rf := &refits{}
	rf.warmState(prep).dataNeighbours(prep, shared, m.Dim)
	for s := range shared {
		if shared[s].nb == nil {
			t.Errorf("step %d: the data's pairs start from the sources, but their neighbours were not shared", s)
		}
	}
	if a, b := differenceStat(own, m.Dim), differenceStat(shared, m.Dim); a != b {
		t.Errorf("nearest neighbours' statistic %+v with its own neighbours, %+v with the sources'", a, b)
	}
	if a, b := farStat(own, m.Dim), farStat(shared, m.Dim); a != b {
		t.Errorf("far statistic %.17g with its own neighbours, %.17g with the sources'", a, b)
	}
}

// TestBetaCalibrationAcrossCores: the β estimator's fit (its simulations
// coupled at once, the refits of a trial at once, the first
// decompositions alongside the first couplings) is the same, bit for bit,
// on one core and on several: θ, the standard errors and β's interval.
func TestBetaCalibrationAcrossCores(t *testing.T) {
	m := model(t, stSpec+"param beta >= 0\ninternal H(rho) = beta*rho*log(rho)\n")
	data := simulate(t, "styblinski_tang", 400, 0.1, 5)
	fit := func(procs int) *Result {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		res, err := Fit(m, data, DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	one, many := fit(1), fit(max(2, runtime.GOMAXPROCS(0)))
	if one.BetaCI == nil || many.BetaCI == nil || !(one.Theta[one.BetaCI.Entry] > 0) {
		t.Fatal("no β estimate: the calibration did not run")
	}
	if !slices.Equal(one.Theta, many.Theta) || !slices.Equal(one.StdErr, many.StdErr) || *one.BetaCI != *many.BetaCI {
		t.Errorf("one core: θ %v ± %v, β in %+v; several: θ %v ± %v, β in %+v",
			one.Theta, one.StdErr, *one.BetaCI, many.Theta, many.StdErr, *many.BetaCI)
	}
}
