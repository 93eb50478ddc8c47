package pipeline

import (
	"bytes"
	"context"
	"flag"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/direct"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve"
	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

func TestMain(m *testing.M) {
	flag.Parse()
	beam.Init()
	os.Exit(m.Run())
}

// The truth: styblinski_tang's potential with noise β = 0.1.
const truth = `potential V(x) = 0.5*sum(x^4) - 8*sum(x^2) + 2.5*sum(x)
internal H(rho) = 0.1*rho*log(rho)
`

const fitSpec = `param a, b, c
param beta >= 0
potential V(x) = a*sum(x^4) + b*sum(x^2) + c*sum(x)
internal H(rho) = beta*rho*log(rho)
`

const interactionSpec = `param a, b, c
param k
potential V(x) = a*sum(x^4) + b*sum(x^2) + c*sum(x)
interaction U(z) = k*sum(z^2)
`

// data simulates 5 steps of n particles and writes them as one CSV file
// and as three shards (each time's rows dealt out in order, shard by
// shard), returning the paths and the snapshots.
func data(t *testing.T, n int) (whole string, shards []string, s *snapshot.Snapshots) {
	t.Helper()
	sp, err := compile.LoadString("truth.jko", truth)
	if err != nil {
		t.Fatal(err)
	}
	s, err = solve.Simulate(sp, 2, sim.Options{Particles: n, Steps: 5, Dt: 0.01, Init: sim.Init{Kind: "uniform", Lo: -4, Hi: 4}, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, s *snapshot.Snapshots) string {
		var b bytes.Buffer
		if err := snapshot.WriteCSV(&b, s); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	whole = write("all.csv", s)
	cuts := []int{0, n / 5, n / 2, n}
	for i := 0; i+1 < len(cuts); i++ {
		part := &snapshot.Snapshots{Times: s.Times}
		for _, x := range s.X {
			part.X = append(part.X, mat.DenseCopyOf(x.Slice(cuts[i], cuts[i+1], 0, 2)))
		}
		shards = append(shards, write("shard"+string(rune('a'+i))+".csv", part))
	}
	return whole, shards, s
}

// reference fits the snapshots with jko fit's code (solve/jkonet.Fit).
func reference(t *testing.T, src string, s *snapshot.Snapshots, cfg Config) (*compile.Model, *jkonet.Result) {
	t.Helper()
	sp, err := compile.LoadString("spec.jko", src)
	if err != nil {
		t.Fatal(err)
	}
	m, err := sp.Instantiate(2)
	if err != nil {
		t.Fatal(err)
	}
	res, err := jkonet.Fit(m, s, cfg.options())
	if err != nil {
		t.Fatal(err)
	}
	return m, res
}

func specOf(t *testing.T, src string) Spec {
	t.Helper()
	p := filepath.Join(t.TempDir(), "spec.jko")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	sp, err := LoadSpec(p)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func runFit(t *testing.T, runner string, cfg Config, inputs []string) []byte {
	t.Helper()
	p, s := beam.NewPipelineWithRoot()
	Fit(s, cfg, inputs)
	if _, err := beam.Run(context.Background(), runner, p); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

var number = regexp.MustCompile(`-?[0-9]+\.[0-9]+(e[-+]?[0-9]+)?`)

// The pipeline fits the same θ as jko fit to 1e-9, with the same standard
// errors, and writes the same spec (the numbers aside), on both local
// runners, for whole and sharded inputs, exact and mini-batch couplings,
// potentials, entropies and interactions.
func TestFitEqualsJkoFit(t *testing.T) {
	whole, shards, snaps := data(t, 300)
	implicit := compile.Implicit
	// A directory's train split, whose interaction's mean field runs over
	// the whole population (train and test), as jko fit's does.
	dir := filepath.Join(t.TempDir(), "data")
	train, test, err := snaps.Split(0.5, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := snapshot.WriteDir(dir, train, test); err != nil {
		t.Fatal(err)
	}
	split, err := snapshot.ReadDir(dir, "train", 0)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, src, couplings, runner string
		scheme                       *compile.Scheme
		inputs                       []string
		chunk                        int                 // rows per element: units of several batches, or one
		ref                          *snapshot.Snapshots // what jko fit reads, when not snaps
	}{
		{"exact, entropy", fitSpec, "exact", "direct", nil, []string{whole}, 128, nil},
		{"exact, shards, ridge from the data", fitSpec, "exact", "direct", &implicit, shards, 128, nil},
		{"mini-batch, units of 4 batches", fitSpec, "minibatch:70", "direct", nil, []string{whole}, 280, nil},
		{"interaction", interactionSpec, "exact", "direct", nil, []string{whole}, 128, nil},
		{"interaction, a directory's train split", interactionSpec, "exact", "direct", nil, []string{dir}, 128, split},
		{"interaction, implicit, a directory's train split", interactionSpec, "exact", "prism", &implicit, []string{dir}, 64, split},
		{"prism, mini-batch shards", fitSpec, "minibatch:100", "prism", nil, shards, 128, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{
				Spec: specOf(t, tc.src), Ridge: jkonet.RidgeFixed(0.01), Couplings: couplingsOf(t, tc.couplings), Density: jkonet.GMM(10),
				Scheme: tc.scheme, Seed: 3, ChunkRows: tc.chunk, Out: filepath.Join(t.TempDir(), "fitted.jko"),
				Tool: "jko-beam test", Data: "data.csv",
			}
			if tc.name == "exact, shards, ridge from the data" {
				cfg.Ridge = jkonet.RidgeAuto()
			}
			if err := cfg.Check(); err != nil {
				t.Fatal(err)
			}
			text := runFit(t, tc.runner, cfg, tc.inputs)
			ref := snaps
			if tc.ref != nil {
				ref = tc.ref
			}
			m, want := reference(t, tc.src, ref, cfg)

			// θ, read back from the written spec.
			sp, err := compile.LoadString("fitted.jko", string(text))
			if err != nil {
				t.Fatalf("the fitted spec does not load: %v\n%s", err, text)
			}
			fm, err := sp.Instantiate(2)
			if err != nil {
				t.Fatal(err)
			}
			got := fm.InitTheta(0)
			for j := range want.Theta {
				if d := math.Abs(got[j]-want.Theta[j]) / math.Max(1, math.Abs(want.Theta[j])); d > 1e-9 {
					t.Errorf("%s = %.15g, jko fit %.15g (%.2g)", want.Names[j], got[j], want.Theta[j], d)
				}
			}
			if !fm.SchemeDeclared || fm.Scheme != want.Scheme {
				t.Errorf("step %v (declared: %v), jko fit %v", fm.Scheme, fm.SchemeDeclared, want.Scheme)
			}
			// The text: what jko fit writes with the same header, the
			// numbers aside (they agree to 1e-9 above, not to the last bit).
			wantText, err := FormatFitted(m, want, nil)
			if err != nil {
				t.Fatal(err)
			}
			gotLines := strings.Split(number.ReplaceAllString(string(text), "N"), "\n")[2:]
			wantLines := strings.Split(number.ReplaceAllString(string(wantText), "N"), "\n")[1:] // jko's own header line
			if strings.Join(gotLines, "\n") != strings.Join(wantLines, "\n") {
				t.Errorf("the fitted spec differs from jko fit's:\n%s\nwant (header aside):\n%s", text, wantText)
			}
			// The standard errors as printed (three digits).
			se := regexp.MustCompile(`± [0-9.e+-]+`)
			if g, w := se.FindAllString(string(text), -1), se.FindAllString(string(wantText), -1); strings.Join(g, " ") != strings.Join(w, " ") {
				t.Errorf("standard errors %v, jko fit %v", g, w)
			}
		})
	}
}

// A cell table (.h5ad) is read as jko fit reads it, with the train side
// of a --test-fraction split: the same θ as jkonet.Fit on those cells;
// the header names the split as jko fit does.
func TestFitCellTable(t *testing.T) {
	const src = "param a, b\npotential V(x) = a*norm2(x) + b*sum(x)\n"
	table := "../../solve/snapshot/testdata/cells.h5ad"
	cells := Cells{Source: snapshot.Source{TimeKey: "day", Coords: "X_pca", Times: []float64{0, 1, 2}}, TestFraction: 0.5, SplitSeed: 2}
	cfg := Config{
		Spec: specOf(t, src), Ridge: jkonet.RidgeFixed(0), Cells: cells, Seed: 1,
		Out: filepath.Join(t.TempDir(), "fitted.jko"), Tool: "jko-beam test", Data: table,
	}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	text := runFit(t, "direct", cfg, []string{table})

	all, err := snapshot.ReadH5AD(table, cells.Source)
	if err != nil {
		t.Fatal(err)
	}
	train, _, err := all.Split(0.5, 2)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := compile.LoadString("spec.jko", src)
	if err != nil {
		t.Fatal(err)
	}
	m, err := sp.Instantiate(train.Dim())
	if err != nil {
		t.Fatal(err)
	}
	want, err := jkonet.Fit(m, train, cfg.options())
	if err != nil {
		t.Fatal(err)
	}
	fsp, err := compile.LoadString("fitted.jko", string(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	fm, err := fsp.Instantiate(train.Dim())
	if err != nil {
		t.Fatal(err)
	}
	got := fm.InitTheta(0)
	for j := range want.Theta {
		if d := math.Abs(got[j]-want.Theta[j]) / math.Max(1, math.Abs(want.Theta[j])); d > 1e-9 {
			t.Errorf("%s = %.15g, jko fit %.15g", want.Names[j], got[j], want.Theta[j])
		}
	}
	if !strings.Contains(string(text), "(train side of the 0.5 seed-2 split): 3 snapshots, 3-D") {
		t.Errorf("header:\n%s", text)
	}
	// The cell-table settings on a file that is not one, and a split
	// asked of a cell table: clear errors.
	whole, _, _ := data(t, 20)
	for _, c := range []struct {
		cfg   Config
		input string
		want  string
	}{
		{Config{Cells: Cells{Source: snapshot.Source{TimeKey: "day"}}}, whole, "apply to .h5ad and .npz files"},
		{Config{Split: "train", Cells: cells}, table, "cell table without a train/test split"},
	} {
		_, err := readInput(context.Background(), c.input, c.cfg.Split, "", 0, c.cfg.Cells, false)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v on %s: err = %v, want %q", c.cfg.Cells, c.input, err, c.want)
		}
	}
	if err := (Config{Spec: cfg.Spec, Out: "x", Cells: Cells{TestFraction: 1}}).Check(); err == nil || !strings.Contains(err.Error(), "--test-fraction 1") {
		t.Errorf("test fraction 1: err = %v", err)
	}
}

// Bad input fails the pipeline with a clear error, not a panic or a
// silent success.
func TestFitErrors(t *testing.T) {
	whole, _, _ := data(t, 50)
	one := filepath.Join(t.TempDir(), "one.csv")
	if err := os.WriteFile(one, []byte("t,x1,x2\n0,1,2\n0,2,3\n0,3,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, src, couplings string
		inputs               []string
		want                 string
	}{
		{"not affine", "param a\npotential V(x) = sum(cos(a*x))\n", "exact", []string{whole}, "closed form"},
		{"one snapshot", fitSpec, "exact", []string{one}, "at least 2"},
		{"missing input", fitSpec, "exact", []string{whole + ".nope"}, "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Spec: specOf(t, tc.src), Ridge: jkonet.RidgeFixed(0.01), Couplings: couplingsOf(t, tc.couplings), Density: jkonet.GMM(10),
				Out: filepath.Join(t.TempDir(), "fitted.jko"), Tool: "t", Data: "d"}
			p, s := beam.NewPipelineWithRoot()
			Fit(s, cfg, tc.inputs)
			_, err := beam.Run(context.Background(), "direct", p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
			if _, err := os.Stat(cfg.Out); err == nil {
				t.Error("a failed fit wrote its output")
			}
		})
	}
	bad := Config{Spec: specOf(t, fitSpec), Couplings: jkonet.MiniBatch(1), Out: "x"}
	if err := bad.Check(); err == nil {
		t.Error("minibatch:1 passes Check")
	}
}

// couplingsOf reads couplings as jko fit's --couplings gives them.
func couplingsOf(t *testing.T, s string) jkonet.Couplings {
	t.Helper()
	c, err := jkonet.ParseCouplings(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
