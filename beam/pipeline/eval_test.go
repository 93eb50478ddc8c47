package pipeline

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/snapshot"
)

// A fitted spec near the truth (styblinski_tang, β = 0.1), with noise.
const fittedSpec = `param a = 0.45
param b = -7.5
param c = 2.4
param beta = 0.12
potential V(x) = a*sum(x^4) + b*sum(x^2) + c*sum(x)
internal H(rho) = beta*rho*log(rho)
`

// reference is jko eval --only-w1's computation on the same snapshots.
func evalReference(t *testing.T, src string, s *snapshot.Snapshots, seed uint64, stepName string) evaluate.Report {
	t.Helper()
	sp, err := compile.LoadString("fitted.jko", src)
	if err != nil {
		t.Fatal(err)
	}
	m, err := sp.Instantiate(2)
	if err != nil {
		t.Fatal(err)
	}
	f, err := evaluate.NewFlow(m, m.InitTheta(seed))
	if err != nil {
		t.Fatal(err)
	}
	step := m.Scheme
	if stepName != "" {
		var err error
		if step, err = compile.ParseScheme(stepName); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := evaluate.OneStep(f, s, seed, step)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func runEval(t *testing.T, runner string, cfg EvalConfig, inputs []string) EvalReport {
	t.Helper()
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	p, s := beam.NewPipelineWithRoot()
	Eval(s, cfg, inputs)
	if _, err := beam.Run(context.Background(), runner, p); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ReadEvalReport(text)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// The pipeline's one-step W1 is jko eval's, per step and in mean ± std, to
// 1e-12, on both local runners, for whole and sharded inputs, explicit and
// implicit steps (the fitted spec's own, or asked for), with noise.
func TestEvalEqualsJkoEval(t *testing.T) {
	whole, shards, snaps := data(t, 200)
	tests := []struct {
		name, src, step, runner string
		inputs                  []string
		seed                    uint64
		wantStep                string
	}{
		{"direct, explicit", fittedSpec, "", "direct", []string{whole}, 0, "explicit"},
		{"direct, shards, seed 5", fittedSpec, "", "direct", shards, 5, "explicit"},
		{"prism, the spec's implicit step", "step implicit\n" + fittedSpec, "", "prism", []string{whole}, 2, "implicit"},
		{"direct, --step implicit", fittedSpec, "implicit", "direct", shards, 1, "implicit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := EvalConfig{Fitted: specOf(t, tc.src), Step: tc.step, Seed: tc.seed, ChunkRows: 64,
				Out: filepath.Join(t.TempDir(), "eval.json"), FittedName: "fitted.jko", Data: strings.Join(tc.inputs, " ")}
			got := runEval(t, tc.runner, cfg, tc.inputs)
			want := evalReference(t, tc.src, snaps, tc.seed, tc.step)
			if len(got.OneStep.PerStep) != len(want.PerStep) {
				t.Fatalf("%d steps, jko eval %d", len(got.OneStep.PerStep), len(want.PerStep))
			}
			for k := range want.PerStep {
				if d := math.Abs(got.OneStep.PerStep[k] - want.PerStep[k]); d > 1e-12 {
					t.Errorf("step %d: W1 %.15g, jko eval %.15g", k, got.OneStep.PerStep[k], want.PerStep[k])
				}
			}
			if math.Abs(got.OneStep.Mean-want.Mean) > 1e-12 || math.Abs(got.OneStep.Std-want.Std) > 1e-12 {
				t.Errorf("W1 %v ± %v, jko eval %v ± %v", got.OneStep.Mean, got.OneStep.Std, want.Mean, want.Std)
			}
			if !(want.Mean > 0.01) {
				t.Errorf("a noisy model's W1 is %g: the test compares nothing", want.Mean)
			}
			if got.Step != tc.wantStep || got.Split != "all" || math.Abs(got.Beta-0.12) > 1e-15 {
				t.Errorf("report %+v", got)
			}
		})
	}
}

// On the test split of a directory, a fitted interaction's drift is a mean
// field over the whole population the split was drawn from: the pipeline
// steps the population, as jko eval does, and its W1 is jko eval's (it
// was the split's alone before, a different number).
func TestEvalSplitStepsPopulation(t *testing.T) {
	const src = `param k = 0.2
param c = 20
potential V(x) = k*norm2(x)/2
interaction U(z) = -c*exp(-norm2(z))
`
	_, _, s := data(t, 240)
	train, test, err := s.Split(0.5, 3)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "data")
	if err := snapshot.WriteDir(dir, train, test); err != nil {
		t.Fatal(err)
	}
	read, err := snapshot.ReadDir(dir, "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	if read.Population == nil {
		t.Fatal("the test split was read without its population")
	}
	cfg := EvalConfig{Fitted: specOf(t, src), ChunkRows: 50, Out: filepath.Join(t.TempDir(), "eval.json"), FittedName: "fitted.jko", Data: dir}
	got := runEval(t, "direct", cfg, []string{dir})
	want := evalReference(t, src, read, 0, "")
	alone := *read
	alone.Population = nil
	miss := evalReference(t, src, &alone, 0, "")
	for k := range want.PerStep {
		if d := math.Abs(got.OneStep.PerStep[k] - want.PerStep[k]); d > 1e-12 {
			t.Errorf("step %d: W1 %.15g, jko eval %.15g (the split alone: %.15g)", k, got.OneStep.PerStep[k], want.PerStep[k], miss.PerStep[k])
		}
	}
	if math.Abs(miss.Mean-want.Mean) < 1e-4 {
		t.Errorf("the split alone scores %g, the population %g: the test compares nothing", miss.Mean, want.Mean)
	}
}

// Bad input fails the evaluation with a clear error.
func TestEvalErrors(t *testing.T) {
	whole, _, _ := data(t, 30)
	one := filepath.Join(t.TempDir(), "one.csv")
	if err := os.WriteFile(one, []byte("t,x1,x2\n0,1,2\n0,2,3\n0,3,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	three := filepath.Join(t.TempDir(), "three.csv")
	if err := os.WriteFile(three, []byte("t,x1,x2,x3\n0,1,2,3\n0,0,0,1\n0.01,2,3,4\n0.01,1,1,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, src string
		inputs    []string
		want      string
	}{
		{"one snapshot", fittedSpec, []string{one}, "at least 2"},
		{"missing input", fittedSpec, []string{whole + ".nope"}, "no such file"},
		{"negative beta", strings.Replace(fittedSpec, "0.12", "-0.1", 1), []string{whole}, "negative"},
		{"test split of a CSV file", fittedSpec, []string{whole}, "no train/test split"},
		{"inputs of different dimensions", fittedSpec, []string{whole, three}, "coordinates"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := EvalConfig{Fitted: specOf(t, tc.src), Out: filepath.Join(t.TempDir(), "eval.json")}
			if tc.name == "test split of a CSV file" {
				cfg.Split = "test"
			}
			p, s := beam.NewPipelineWithRoot()
			Eval(s, cfg, tc.inputs)
			_, err := beam.Run(context.Background(), "direct", p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
			if _, err := os.Stat(cfg.Out); err == nil {
				t.Error("a failed evaluation wrote its report")
			}
		})
	}
	if err := (EvalConfig{Fitted: specOf(t, fittedSpec), Step: "sideways", Out: "x"}).Check(); err == nil {
		t.Error("--step sideways passes Check")
	}
}
