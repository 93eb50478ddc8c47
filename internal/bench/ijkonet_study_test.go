package bench

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/ijkonet"
	"github.com/jko-org/jko/solve/ot"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

// TestIJKOnetSeeds is the unpaired iJKOnet–JKOnet* comparison over seeds
// (BENCHMARKS.md, "iJKOnet against JKOnet*"): for each potential
// (JKO_POTENTIALS, default the four of BENCHMARKS.md) and seed (JKO_SEEDS,
// default 0,1,2) it simulates unpaired training snapshots and paired test
// trajectories once, fits the methods of JKO_METHODS ("jkonet": JKOnet*'s
// defaults, drift at x; "ijkonet": iJKOnet's; "zero": V ≡ 0, no motion;
// default the first two), and prints each one-step EMD (and per step),
// its mean's error (a lower bound of W1), the fit's wall and CPU time,
// and each method's mean ± SD over the seeds (JKO_LONG=1). Knobs:
// JKO_IJ sets iJKOnet options ("epochs=600,batch=128,lr=0.02,final=1e-4,
// holdout=0.2,every=10,mapsteps=1"); JKO_CURVE=E scores iJKOnet's θ every
// E epochs; JKO_AVG=F also scores iJKOnet's θ averaged over the epochs
// after the fraction F of them; JKO_CENTRE=1 removes the training snapshots' mean-shift noise
// (centre); JKO_DATA_STEP=implicit makes the data with the JKO step;
// JKO_THIN=F keeps the fraction F of every odd training snapshot (thin).
func TestIJKOnetSeeds(t *testing.T) {
	if os.Getenv("JKO_LONG") == "" {
		t.Skip("JKO_LONG=1 runs the seeded comparison")
	}
	pots := potentialsEnv("wavy_plateau", "styblinski_tang", "flowers", "oakley_ohagan")
	seeds := []uint64{0, 1, 2}
	if v := os.Getenv("JKO_SEEDS"); v != "" {
		seeds = nil
		for _, f := range strings.Split(v, ",") {
			s, err := strconv.ParseUint(f, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			seeds = append(seeds, s)
		}
	}
	methods := os.Getenv("JKO_METHODS")
	if methods == "" {
		methods = "jkonet,ijkonet"
	}
	c0 := ComparisonSuite(false)[0]
	for _, p := range pots {
		c := c0
		c.Name, c.Truth = p, potentialTruth(p)
		emd, shift := map[string][]float64{}, map[string][]float64{}
		for _, seed := range seeds {
			o := Options{Unpaired: true, PairedTest: true}
			train, test, stage, err := simulateCase(c, seed, o)
			if os.Getenv("JKO_DATA_STEP") == "implicit" {
				train, test, err = simulateImplicit(c, seed)
			}
			if err != nil {
				t.Fatalf("%s %s: %v", p, stage, err)
			}
			if os.Getenv("JKO_CENTRE") != "" {
				centre(train, test)
			}
			if v := os.Getenv("JKO_THIN"); v != "" {
				frac, err := strconv.ParseFloat(v, 64)
				if err != nil || !(frac > 0 && frac <= 1) {
					t.Fatalf("JKO_THIN=%q: want a fraction in (0, 1]", v)
				}
				thin(train, frac)
			}
			fmt.Printf("%s seed %d: the training snapshots' mean shift per step is off the trajectories' by %.4g on average\n", p, seed, sampleShiftError(train, test))
			for _, m := range strings.Split(methods, ",") {
				o.IJKOnet = m == "ijkonet"
				o.IJ = ijOptions(t)
				var checkpoints [][]float64
				var at []int
				every, _ := strconv.Atoi(os.Getenv("JKO_CURVE"))
				avgFrom, _ := strconv.ParseFloat(os.Getenv("JKO_AVG"), 64)
				var avg []float64
				navg := 0
				if (every > 0 || avgFrom > 0) && o.IJKOnet {
					o.IJ.Progress = func(pr ijkonet.Progress) {
						if every > 0 && pr.Epoch%every == 0 {
							checkpoints = append(checkpoints, append([]float64(nil), pr.Theta...))
							at = append(at, pr.Epoch)
						}
						if avgFrom > 0 && float64(pr.Epoch) > avgFrom*float64(pr.Epochs) {
							if avg == nil {
								avg = make([]float64, len(pr.Theta))
							}
							navg++
							for j, v := range pr.Theta {
								avg[j] += (v - avg[j]) / float64(navg)
							}
						}
					}
				}
				start, cpu0 := time.Now(), cpuTime()
				var fitted *solve.Fitted
				if m == "zero" {
					// V ≡ 0 (every weight of the mlp zero): the particles stay put.
					ms, _ := compile.LoadString("zero.jko", c.Model)
					zm, err := ms.Instantiate(2)
					if err != nil {
						t.Fatal(err)
					}
					fitted = &solve.Fitted{Model: zm, Theta: make([]float64, zm.NumParams)}
				} else {
					fitted, stage, err = fitCase(c, seed, o, train)
					if err != nil {
						t.Fatalf("%s %s %s: %v", p, m, stage, err)
					}
				}
				fit, cpu := time.Since(start), cpuTime()-cpu0
				r := newRow(c, o)
				if err := r.score(fitted, test, seed, false); err != nil {
					t.Fatal(err)
				}
				emd[m] = append(emd[m], r.EMD)
				if fl, err := evaluate.NewFlow(fitted.Model, fitted.Theta); err == nil {
					if rep, err := evaluate.OneStep(fl, test, seed, fitted.Scheme()); err == nil {
						fmt.Printf("%s seed %d %s: per step %.4f\n", p, seed, m, rep.PerStep)
					}
				}
				shift[m] = append(shift[m], meanShiftError(t, fitted, test, seed))
				fmt.Printf("%s seed %d %s: its mean's error ‖E pred − E next‖ %.4g (a lower bound of W1)\n", p, seed, m, shift[m][len(shift[m])-1])
				if avg != nil {
					cf := *fitted
					cf.Theta = avg
					rc := newRow(c, o)
					if err := rc.score(&cf, test, seed, false); err != nil {
						t.Fatal(err)
					}
					fmt.Printf("AVG %s seed %d: θ averaged over the last %d epochs: %.4g\n", p, seed, navg, rc.EMD)
				}
				for i, th := range checkpoints {
					cf := *fitted
					cf.Theta = th
					rc := newRow(c, o)
					if err := rc.score(&cf, test, seed, false); err != nil {
						t.Fatal(err)
					}
					fmt.Printf("CURVE %s seed %d epoch %d: %.4g\n", p, seed, at[i], rc.EMD)
				}
				fmt.Printf("%s seed %d %s: %.4g ± %.2g (%s step) fit %.1f s wall, %.1f s CPU; %s %v\n", p, seed, m, r.EMD, r.EMDStd, r.Step, fit.Seconds(), cpu.Seconds(), status(fitted), warnings(fitted))
			}
		}
		for _, m := range strings.Split(methods, ",") {
			mu, sd := meanSD(emd[m])
			fmt.Printf("SUMMARY %s %s: %.4f ± %.4f over %d seeds %v\n", p, m, mu, sd, len(emd[m]), emd[m])
			mu, sd = meanSD(shift[m])
			fmt.Printf("SUMMARY %s %s mean's error: %.4f ± %.4f %v\n", p, m, mu, sd, shift[m])
		}
	}
}

// ijOptions reads iJKOnet options from JKO_IJ, e.g.
// "epochs=600,batch=128,lr=0.02,final=1e-4" (unset: the defaults).
func ijOptions(t *testing.T) ijkonet.Options {
	var o ijkonet.Options
	v := os.Getenv("JKO_IJ")
	if v == "" {
		return o
	}
	for _, kv := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(kv, "=")
		f, err := strconv.ParseFloat(val, 64)
		if err != nil {
			t.Fatalf("JKO_IJ %s: %v", kv, err)
		}
		switch k {
		case "epochs":
			o.Epochs = int(f)
		case "batch":
			o.Batch = int(f)
		case "lr":
			o.LR = f
		case "final":
			o.FinalLR = f
		case "holdout":
			o.Holdout = f
		case "every":
			o.SelectEvery = int(f)
		case "mapsteps":
			o.MapSteps = int(f)
		default:
			t.Fatalf("JKO_IJ: unknown setting %q", k)
		}
	}
	return o
}

// meanShiftError is the distance between the predicted and the observed
// next cloud's means, averaged over the steps of the test trajectories:
// by Kantorovich–Rubinstein duality (the linear test functions) a lower
// bound of the one-step W1, reached when the prediction is off by a
// translation.
func meanShiftError(t *testing.T, f *solve.Fitted, test *snapshot.Snapshots, seed uint64) float64 {
	fl, err := evaluate.NewFlow(f.Model, f.Theta)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for k := 0; k+1 < test.Len(); k++ {
		pred, err := evaluate.Predict(fl, test.X[k], test.Times[k], test.Times[k+1]-test.Times[k], 1, seed, f.Scheme())
		if err != nil {
			t.Fatal(err)
		}
		n, d := pred[0].Dims()
		e := 0.0
		for j := 0; j < d; j++ {
			diff := 0.0
			for i := 0; i < n; i++ {
				diff += pred[0].At(i, j) - test.X[k+1].At(i, j)
			}
			e += (diff / float64(n)) * (diff / float64(n))
		}
		sum += math.Sqrt(e)
	}
	return sum / float64(test.Len()-1)
}

// columnMean returns the mean of column j of x.
func columnMean(x *mat.Dense, j int) float64 {
	n, _ := x.Dims()
	s := 0.0
	for i := 0; i < n; i++ {
		s += x.At(i, j)
	}
	return s / float64(n)
}

// sampleShiftError is the distance between the shift of the mean from
// one training snapshot to the next (independent clouds when unpaired)
// and that of the test trajectories (paired, so their shift has no
// sampling noise from the clouds' positions), averaged over the steps.
func sampleShiftError(train, test *snapshot.Snapshots) float64 {
	sum := 0.0
	for k := 0; k+1 < train.Len(); k++ {
		e := 0.0
		for j := 0; j < train.Dim(); j++ {
			v := (columnMean(train.X[k+1], j) - columnMean(train.X[k], j)) - (columnMean(test.X[k+1], j) - columnMean(test.X[k], j))
			e += v * v
		}
		sum += math.Sqrt(e)
	}
	return sum / float64(train.Len()-1)
}

// thin keeps the first frac of the particles of every odd snapshot
// (JKO_THIN): snapshots of unequal sizes, as real time courses have. The
// rows of unpaired snapshots are independent draws, so the first rows are
// a random subset.
func thin(s *snapshot.Snapshots, frac float64) {
	for k := 1; k < len(s.X); k += 2 {
		n, d := s.X[k].Dims()
		keep := max(2, int(math.Round(frac*float64(n))))
		s.X[k] = mat.DenseCopyOf(s.X[k].Slice(0, keep, 0, d))
	}
}

// centre removes the sampling noise of the training snapshots' means
// from their steps: it translates snapshot k so that its mean is snapshot
// 0's plus the test trajectories' mean shift from t_0 to t_k (JKO_CENTRE,
// the experiment that tells how much of the error that noise causes).
func centre(train, test *snapshot.Snapshots) {
	for k := 1; k < train.Len(); k++ {
		n, d := train.X[k].Dims()
		for j := 0; j < d; j++ {
			shift := columnMean(train.X[0], j) + columnMean(test.X[k], j) - columnMean(test.X[0], j) - columnMean(train.X[k], j)
			for i := 0; i < n; i++ {
				train.X[k].Set(i, j, train.X[k].At(i, j)+shift)
			}
		}
	}
}

// simulateImplicit is simulateCase for unpaired training snapshots and
// paired test trajectories made by the implicit (JKO) step instead of
// Euler's (JKO_DATA_STEP=implicit: data iJKOnet's model fits exactly).
func simulateImplicit(c Case, seed uint64) (train, test *snapshot.Snapshots, err error) {
	ts, err := compile.LoadString(c.Name+".truth.jko", c.Truth)
	if err != nil {
		return nil, nil, err
	}
	tm, err := ts.Instantiate(c.Dim)
	if err != nil {
		return nil, nil, err
	}
	tf, err := evaluate.NewFlow(tm, tm.InitTheta(seed))
	if err != nil {
		return nil, nil, err
	}
	run := func(simSeed uint64, unpaired bool) (*snapshot.Snapshots, *snapshot.Snapshots, error) {
		res, err := sim.Run(tf, sim.Options{Particles: c.N, Steps: 5, Dt: 0.01, Init: sim.Init{Kind: "uniform", Lo: -4, Hi: 4}, Seed: simSeed, Unpaired: unpaired, Scheme: compile.Implicit})
		if err != nil {
			return nil, nil, err
		}
		return (&snapshot.Snapshots{Times: res.Times, X: res.X}).Split(0.5, seed)
	}
	if train, _, err = run(seed, true); err != nil {
		return nil, nil, err
	}
	_, test, err = run(seed+1_000_003, false)
	return train, test, err
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func status(f *solve.Fitted) string {
	if f.Result == nil {
		return ""
	}
	return f.Result.Status
}

func warnings(f *solve.Fitted) []string {
	if f.Result == nil {
		return nil
	}
	return f.Result.Warnings
}

// meanSD is the mean and sample standard deviation of v.
func meanSD(v []float64) (mu, sd float64) {
	for _, x := range v {
		mu += x
	}
	mu /= float64(len(v))
	for _, x := range v {
		sd += (x - mu) * (x - mu)
	}
	if len(v) > 1 {
		sd = math.Sqrt(sd / float64(len(v)-1))
	}
	return mu, sd
}

// TestUnpairedSignal measures, for each potential (JKO_POTENTIALS) and
// seed (JKO_SEEDS), what the optimal coupling of independent clouds
// (JKOnet*'s unpaired input) recovers of the true displacements: with
// 1,000 particles per snapshot (the comparison's training half), the RMS
// true displacement δ of one step, the RMS error e of the coupled
// displacement (cloud A at t_k coupled to an independent cloud B at
// t_{k+1}, against A's own next positions), and e/δ (JKO_LONG=1).
func TestUnpairedSignal(t *testing.T) {
	if os.Getenv("JKO_LONG") == "" {
		t.Skip("JKO_LONG=1 measures the coupling's error on unpaired clouds")
	}
	pots := potentialsEnv("wavy_plateau", "styblinski_tang", "flowers", "oakley_ohagan")
	const n = 1000
	for _, p := range pots {
		ts, _ := compile.LoadString("truth.jko", potentialTruth(p))
		tm, _ := ts.Instantiate(2)
		tf, _ := evaluate.NewFlow(tm, nil)
		var ratios, deltas []float64
		for seed := uint64(0); seed < 3; seed++ {
			run := func(s uint64) *sim.Result {
				r, err := sim.Run(tf, sim.Options{Particles: n, Steps: 5, Dt: 0.01, Init: sim.Init{Kind: "uniform", Lo: -4, Hi: 4}, Seed: s})
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			a, b := run(2*seed), run(2*seed+1)
			var d2, e2 float64
			for k := 0; k+1 < len(a.X); k++ {
				plan, err := ot.Couple(a.X[k], b.X[k+1], nil, nil, ot.SqEuclidean)
				if err != nil {
					t.Fatal(err)
				}
				for _, q := range plan.Pairs {
					for j := 0; j < 2; j++ {
						e := b.X[k+1].At(q.J, j) - a.X[k+1].At(q.I, j)
						e2 += q.Mass * e * e
					}
				}
				for i := 0; i < n; i++ {
					for j := 0; j < 2; j++ {
						dd := a.X[k+1].At(i, j) - a.X[k].At(i, j)
						d2 += dd * dd / n
					}
				}
			}
			K := float64(len(a.X) - 1)
			delta, e := math.Sqrt(d2/K), math.Sqrt(e2/K)
			deltas = append(deltas, delta)
			ratios = append(ratios, e/delta)
		}
		dm, _ := meanSD(deltas)
		rm, rs := meanSD(ratios)
		fmt.Printf("SIGNAL %s: RMS displacement δ = %.4f, coupled displacement's RMS error e/δ = %.2f ± %.2f\n", p, dm, rm, rs)
	}
}

// potentialsEnv returns the potentials JKO_POTENTIALS lists (comma
// separated), or def when it is unset.
func potentialsEnv(def ...string) []string {
	if v := os.Getenv("JKO_POTENTIALS"); v != "" {
		return strings.Split(v, ",")
	}
	return def
}
