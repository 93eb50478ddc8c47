package jkonet

import (
	"fmt"
	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/snapshot"
	"math"
	"os"
	"strings"
	"testing"
)

// TestBetaCalibrated is a short check (the seed study is in BENCHMARKS.md) of the diffusion estimate: on
// styblinski_tang with β = 0.1 and on a double well with β = 0.25, β̂ is
// within 10% of the truth and within 3 standard errors, whatever the
// density option, and in units 10× smaller it is 100× smaller (β scales
// as length²/time). Before, β̂ came from the score term β∇log ρ̂ of the
// GMM density: 0.039–0.093 over seeds for 0.1, and 0.039 to 2.12 with
// the density options.
func TestBetaCalibrated(t *testing.T) {
	const ent = "param beta >= 0\ninternal H(rho) = beta*rho*log(rho)\n"
	const well = "param a, b\npotential V(x) = a*sum(x^4) - b*sum(x^2)\n"
	type run struct {
		name, spec, truth string
		beta, box         float64
	}
	runs := []run{
		{"styblinski_tang", stSpec, "", 0.1, 4},
		{"double well", well, "param a = 1\nparam b = 2\npotential V(x) = a*sum(x^4) - b*sum(x^2)\n", 0.25, 2},
	}
	for _, r := range runs {
		for seed := uint64(0); seed < 1; seed++ {
			data := simulate(t, "styblinski_tang", 1000, r.beta, seed)
			if r.truth != "" {
				data = simulateSrc(t, r.truth, 1000, r.beta, seed, -r.box, r.box)
			}
			m := model(t, r.spec+ent)
			bi := m.NumParams - 1
			var first float64
			densities := []Density{GMM(10), KDE()}
			if r.truth != "" {
				densities = densities[:1] // the density options are checked once
			}
			for di, dens := range densities {
				o := DefaultOptions()
				o.Density, o.Seed = dens, seed
				res, err := Fit(m, data, o)
				if err != nil {
					t.Fatal(err)
				}
				b, se := res.Theta[bi], res.StdErr[bi]
				if math.Abs(b-r.beta) > 0.1*r.beta || math.Abs(b-r.beta) > 3*se {
					t.Errorf("%s seed %d %s: β = %.4g ± %.2g, want %g", r.name, seed, dens, b, se, r.beta)
				}
				if di == 0 {
					first = b
				} else if math.Abs(b-first) > 1e-5*first {
					t.Errorf("%s seed %d: β = %v with gmm:10, %v with kde", r.name, seed, first, b)
				}
			}
			if r.truth == "" {
				o := DefaultOptions()
				small, err := Fit(m, scaled(data, 0.1), o)
				if err != nil {
					t.Fatal(err)
				}
				if b := small.Theta[bi]; math.Abs(b/(0.01*first)-1) > 0.05 {
					t.Errorf("%s in units 10× smaller: β = %.4g, want about %.4g", r.name, b, 0.01*first)
				}
			}
		}
	}
}

// TestBetaStudy prints the seed study of BENCHMARKS.md (JKO_LONG=1):
// styblinski_tang with β = 0.1 as jko demo --beta 0.1 fits it (2000
// particles, the training half), seeds 0–5, and a double well with β =
// 0.25 (3000 particles in a ±2 box), seeds 0–7, each with β's 95%
// interval, and per problem the seeds' SD of β̂ (and of the double well's
// drift a and b) against the RMS standard error.
func TestBetaStudy(t *testing.T) {
	if os.Getenv("JKO_LONG") == "" {
		t.Skip("JKO_LONG=1 runs the β seed study")
	}
	const ent = "param beta >= 0\ninternal H(rho) = beta*rho*log(rho)\n"
	summary := func(name string, est, se []float64, truth float64) {
		mean, sd := meanSD(est)
		rms, inside := 0.0, 0
		for _, s := range se {
			rms += s * s / float64(len(se))
		}
		rms = math.Sqrt(rms)
		for i := range est {
			if math.Abs(est[i]-truth) <= 0.1*truth {
				inside++
			}
		}
		fmt.Printf("%s: mean %.4f, seeds' SD %.4f, RMS SE %.4f (ratio %.2f), %d of %d within 10%%\n", name, mean, sd, rms, sd/rms, inside, len(est))
	}
	var est, se []float64
	for seed := uint64(0); seed < 6; seed++ {
		data := simulate(t, "styblinski_tang", 2000, 0.1, seed)
		train, _, _ := data.Split(0.5, seed)
		o := DefaultOptions()
		o.Seed = seed
		res, err := Fit(model(t, stSpec+ent), train, o)
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := res.Interval(3)
		fmt.Printf("| styblinski_tang β=0.1 | %d | %.4f ± %.4f | [%.4f, %.4f] | a %.4f, b %.3f, c %.3f |\n", seed, res.Theta[3], res.StdErr[3], lo, hi, res.Theta[0], res.Theta[1], res.Theta[2])
		est, se = append(est, res.Theta[3]), append(se, res.StdErr[3])
	}
	summary("styblinski_tang", est, se, 0.1)
	est, se = nil, nil
	var drift, driftSE [2][]float64
	for seed := uint64(0); seed < 8; seed++ {
		data := simulateSrc(t, "param a = 1\nparam b = 2\npotential V(x) = a*sum(x^4) - b*sum(x^2)\n", 3000, 0.25, seed, -2, 2)
		o := DefaultOptions()
		o.Seed = seed
		res, err := Fit(model(t, "param a, b\npotential V(x) = a*sum(x^4) - b*sum(x^2)\n"+ent), data, o)
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := res.Interval(2)
		fmt.Printf("| double well β=0.25 | %d | %.4f ± %.4f | [%.4f, %.4f] | a %.4f ± %.4f, b %.3f ± %.3f |\n", seed, res.Theta[2], res.StdErr[2], lo, hi, res.Theta[0], res.StdErr[0], res.Theta[1], res.StdErr[1])
		est, se = append(est, res.Theta[2]), append(se, res.StdErr[2])
		for j := range drift {
			drift[j], driftSE[j] = append(drift[j], res.Theta[j]), append(driftSE[j], res.StdErr[j])
		}
	}
	summary("double well", est, se, 0.25)
	for j, name := range []string{"a", "b"} {
		summary("double well "+name, drift[j], driftSE[j], float64(j+1))
	}
}

// TestBetaIgnoresPopulation: without an interaction term, the population
// a split belongs to changes nothing, β included. The calibration must
// simulate from the particles that were coupled (the training half), not
// from the whole snapshot the mean field averages over: from the whole
// snapshot its coupling sees twice the particles, removes a different
// share of the noise, and was 15× slower on jko demo.
func TestBetaIgnoresPopulation(t *testing.T) {
	const ent = "param beta >= 0\ninternal H(rho) = beta*rho*log(rho)\n"
	all := simulate(t, "styblinski_tang", 600, 0.1, 2)
	train, _, err := all.Split(0.5, 2)
	if err != nil {
		t.Fatal(err)
	}
	if train.Population == nil {
		t.Fatal("Split keeps no population: the test checks nothing")
	}
	alone := *train
	alone.Population = nil
	m := model(t, stSpec+ent)
	var got [2][]float64
	for i, s := range []*snapshot.Snapshots{train, &alone} {
		res, err := Fit(m, s, DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		got[i] = res.Theta
	}
	for j := range got[0] {
		if got[0][j] != got[1][j] {
			t.Errorf("θ[%d] = %v with the population, %v without", j, got[0][j], got[1][j])
		}
	}
}

// The calibration's features at the source particles, gathered from the
// data's closed-form rows, equal the features evaluated there (ρ = 1: the
// entropy's column 0), for a model with a potential, an interaction and an
// entropy.
func TestSourceFeaturesGathered(t *testing.T) {
	m, prep := interactionEntropyPrep(t)
	for s := range prep.Steps {
		st := &prep.Steps[s]
		F, b, w := stepRows(m, st)
		got, ok := gatherSourceFeatures(m, st, rowBlock{F, b, w})
		if !ok {
			t.Fatalf("step %d: the sources are not the pairs' x", s)
		}
		ones := make([]float64, st.NS)
		for i := range ones {
			ones[i] = 1
		}
		wantF, wantC := stepFeatures(m, &Transition{K: st.K, Tau: st.Tau, T: st.T, N: st.NS, P: st.Source, Cloud: st.Cloud, NC: st.NC,
			Rho: ones, GradRho: make([]float64, st.NS*m.Dim)})
		for i := range wantF {
			if math.Abs(got.F[i]-wantF[i]) > 1e-9*(1+math.Abs(wantF[i])) {
				t.Fatalf("step %d: F[%d] = %g gathered, %g evaluated", s, i, got.F[i], wantF[i])
			}
		}
		for i := range wantC {
			if math.Abs(got.c[i]-wantC[i]) > 1e-9*(1+math.Abs(wantC[i])) {
				t.Fatalf("step %d: c[%d] = %g gathered, %g evaluated", s, i, got.c[i], wantC[i])
			}
		}
	}
}

// Noise-free data leave residuals at the rounding of the positions: β is
// 0 exactly, without the calibration's simulations (which measured the
// rounding, 1.8e-31, in 3–4 CPU-seconds of couplings on the demo). A small
// real noise is still measured.
func TestBetaNoiseFree(t *testing.T) {
	const ent = "param beta >= 0\ninternal H(rho) = beta*rho*log(rho)\n"
	m := model(t, stSpec+ent)
	for _, tc := range []struct {
		beta float64
		zero bool
	}{{0, true}, {1e-3, false}} {
		res, err := Fit(m, simulate(t, "styblinski_tang", 400, tc.beta, 1), DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		b := res.Theta[len(res.Theta)-1]
		if tc.zero && b != 0 {
			t.Errorf("noise-free data: β = %g, want 0 exactly", b)
		}
		if !tc.zero && !(b > 0.5*tc.beta && b < 2*tc.beta) {
			t.Errorf("β = %g data: β̂ = %g", tc.beta, b)
		}
	}
}

// TestDriftBetaSlope: the corrected drift's standard errors count β̂'s
// error times the slope in β of the calibrations' refitted drift, and
// that slope matches central differences of the refitted drift (calSims
// simulations at β̂ ± 10%, common random numbers) at the corrected drift,
// within 15% (double well, a = 1, b = 2, β = 0.25, 600 particles); the
// part is a sizeable share of the standard errors (now: a 0.27, b 0.19).
func TestDriftBetaSlope(t *testing.T) {
	const truth = "param a = 1\nparam b = 2\npotential V(x) = a*sum(x^4) - b*sum(x^2)\n"
	m := model(t, "param a, b\npotential V(x) = a*sum(x^4) - b*sum(x^2)\nparam beta >= 0\ninternal H(rho) = beta*rho*log(rho)\n")
	data := simulateSrc(t, truth, 600, 0.25, 5, -2, 2)
	o, err := DefaultOptions().resolve()
	if err != nil {
		t.Fatal(err)
	}
	o.Seed = 5
	res, err := Fit(m, data, o)
	if err != nil {
		t.Fatal(err)
	}
	prep, err := Prepare(m, data, o, compile.Explicit)
	if err != nil {
		t.Fatal(err)
	}
	o.Ridge = RidgeFixed(res.Ridge)
	rf := &refits{feats: newSourceFeatures(m, prep, linearRows(m, prep))}
	beta, seBeta := res.Theta[2], res.StdErr[2]
	drift := []float64{res.Theta[0], res.Theta[1], 0}
	h := 0.1 * beta
	var at [2]calibration
	for i, b := range []float64{beta - h, beta + h} {
		if at[i], err = calibrate(m, prep, rf, drift, b, o, 99, calSims); err != nil {
			t.Fatal(err)
		}
	}
	for j := 0; j < 2; j++ {
		fd := math.Abs(at[1].refit[j]-at[0].refit[j]) / (2 * h) * seBeta
		part := res.betaDriftSE[j]
		t.Logf("θ%d: standard error %.4g, of which β̂'s error %.4g; by central differences %.4g", j, res.StdErr[j], part, fd)
		if math.Abs(part-fd) > 0.15*fd {
			t.Errorf("θ%d: β̂'s error adds %.4g, central differences say %.4g", j, part, fd)
		}
		if !(part > 0.05*res.StdErr[j]) || !(res.StdErr[j] > part) {
			t.Errorf("θ%d: standard error %.4g, β̂'s part %.4g", j, res.StdErr[j], part)
		}
	}
}

// TestSummaryOfBetaFit: a fitted spec's header counts the closed form's
// unknowns as it solved them (β, estimated from the residuals afterwards,
// is not one of them: the header said "rank 2 of 3" where the solve had
// two) and carries β's 95% interval, which is not β̂ ± 1.96·SE.
func TestSummaryOfBetaFit(t *testing.T) {
	const spec = "param a, b\npotential V(x) = a*sum(x^4) - b*sum(x^2)\nparam beta >= 0\ninternal H(rho) = beta*rho*log(rho)\n"
	data := simulateSrc(t, "param a = 1\nparam b = 2\npotential V(x) = a*sum(x^4) - b*sum(x^2)\n", 300, 0.25, 1, -2, 2)
	res, err := Fit(model(t, spec), data, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	h := strings.Join(res.Summary(), "\n")
	if !strings.Contains(h, "# closed form: rank 2 of 2,") {
		t.Errorf("the header does not count the solve's two unknowns:\n%s", h)
	}
	ci := res.BetaCI
	if ci == nil {
		t.Fatal("no interval for β")
	}
	want := fmt.Sprintf("95%% interval [%.4g, %.4g]", ci.Lo, ci.Hi)
	if !strings.Contains(h, "# beta from the residual noise") || !strings.Contains(h, want) {
		t.Errorf("the header lacks β's note with %q:\n%s", want, h)
	}
}

// TestDriftStepHelpers: the drift's gap is the RMS of the entries'
// misses in units of their spread, over the entries that have one, and
// the paired shift averages only over the simulations both calibrations
// made (the same seeds).
func TestDriftStepHelpers(t *testing.T) {
	for _, c := range []struct {
		theta, refit, sd []float64
		want             float64
	}{
		{[]float64{1, 2}, []float64{1, 2}, []float64{1, 1}, 0},
		{[]float64{1, 2, 0}, []float64{0, 4, 5}, []float64{0.5, 1, 0}, math.Sqrt((4 + 4) / 2.0)},
		{[]float64{3}, []float64{1}, []float64{0}, 0},
	} {
		if got := driftGap(c.theta, c.refit, c.sd); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("driftGap(%v, %v, %v) = %v, want %v", c.theta, c.refit, c.sd, got, c.want)
		}
	}
	a := calibration{each: []float64{1}}
	b := calibration{each: []float64{1.5, 9, 9, 9}}
	if got := pairedShift(a, b); got != 0.5 {
		t.Errorf("pairedShift over one shared simulation = %v, want 0.5", got)
	}
	b2 := calibration{each: []float64{2, 4}}
	a2 := calibration{each: []float64{1, 1}}
	if got := pairedShift(a2, b2); got != 2 {
		t.Errorf("pairedShift = %v, want 2", got)
	}
}
