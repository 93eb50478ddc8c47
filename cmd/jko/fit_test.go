package main

import (
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve"
	"github.com/jko-org/jko/solve/ijkonet"
	"github.com/jko-org/jko/solve/jkonet"
)

// parseFit parses a jko fit command line into its flags.
func parseFit(t *testing.T, args ...string) fitCmd {
	t.Helper()
	var c cli
	p, err := newParser(&c, io.Discard, io.Discard, func(int) { t.Fatal("exit") })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Parse(append([]string{"fit", "spec.jko", "data", "-o", "out.jko"}, args...)); err != nil {
		t.Fatal(err)
	}
	return c.Fit
}

// jko fit without flags asks the library for its defaults: the settings
// its flags default to are the library's, read from it, not copies.
func TestFitFlagDefaultsAreTheLibrarys(t *testing.T) {
	o, err := parseFit(t).options()
	if err != nil {
		t.Fatal(err)
	}
	if o.Method != solve.MethodJKOnet {
		t.Errorf("method %v, want jkonet", o.Method)
	}
	want := jkonet.DefaultOptions()
	if !reflect.DeepEqual(o.JKOnet, want) {
		t.Errorf("jko fit's defaults %+v,\nthe library's %+v", o.JKOnet, want)
	}
	ij, err := parseFit(t, "--method", "ijkonet").options()
	if err != nil {
		t.Fatal(err)
	}
	lib := ijkonet.Options{}.WithDefaults(&compile.Model{})
	if ij.Method != solve.MethodIJKOnet || ij.IJKOnet.MapLR != lib.MapLR || !reflect.DeepEqual(ij.IJKOnet.Widths, lib.Widths) {
		t.Errorf("jko fit --method ijkonet: %v %+v, want the library's map settings", ij.Method, ij.IJKOnet)
	}
}

// Each flag reaches the library as the typed setting it names.
func TestFitFlagsToOptions(t *testing.T) {
	o, err := parseFit(t, "--method", "adam", "--couplings", "sinkhorn:0.05", "--density", "kde", "--reg", "0",
		"--epochs", "7", "--batch", "9", "--lr", "0.5", "--clip", "0", "--max-iter", "3", "--step", "implicit", "--seed", "4").options()
	if err != nil {
		t.Fatal(err)
	}
	jo := o.JKOnet
	if jo.Method != jkonet.MethodAdam || jo.Couplings != jkonet.Sinkhorn(0.05) || jo.Density != jkonet.KDE() || jo.Ridge != jkonet.RidgeFixed(0) ||
		jo.Epochs != 7 || jo.BatchSize != 9 || jo.LR != 0.5 || !math.IsInf(jo.Clip, 1) || jo.MaxIter != 3 || jo.Scheme == nil || *jo.Scheme != compile.Implicit || jo.Seed != 4 {
		t.Errorf("options %+v", jo)
	}
	for _, tc := range []struct{ flag, value, want string }{
		{"--couplings", "sinkhorn:0", "--couplings: couplings \"sinkhorn:0\""},
		{"--couplings", "minibatch:1", "batch size B ≥ 2"},
		{"--density", "gmm:0", "--density: density \"gmm:0\""},
	} {
		if _, err := parseFit(t, tc.flag, tc.value).options(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: err %v, want %q", tc.flag, tc.value, err, tc.want)
		}
	}
}

// The library says what to change in its own terms; jko fit adds the flag.
func TestFitHintsNameFlags(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	mustRun(t, "simulate", "styblinski_tang", "--particles", "100", "-o", data)
	spec := filepath.Join(dir, "model.jko")
	os.WriteFile(spec, []byte("param a\npotential V(x) = sum(cos(a*x))\n"), 0o644)
	code, _, errs := jko(t, "fit", spec, data, "-o", filepath.Join(dir, "f.jko"), "--method", "linear")
	if code == 0 || !strings.Contains(errs, "--method lbfgs") {
		t.Errorf("a nonlinear spec fitted with --method linear: status %d, %q; want a hint naming --method lbfgs", code, errs)
	}
	out := mustRun(t, "fit", spec, data, "-o", filepath.Join(dir, "g.jko"), "--method", "adam", "--epochs", "2")
	if !strings.Contains(out, "(--epochs, --lr)") {
		t.Errorf("an unconverged Adam fit: no flags in the warning:\n%s", out)
	}
}

// A report of a model with many feature weights lists the first entries,
// then every scalar parameter (the diffusion β with its interval) where it
// stands, with a line for each run of entries left out.
func TestFitReportShowsScalars(t *testing.T) {
	var ps []paramReport
	for i := 0; i < 30; i++ {
		ps = append(ps, paramReport{Name: "w[" + string(rune('a'+i%26)) + "]", Value: jsonFloat(i)})
	}
	se := jsonFloat(0.001)
	ps = append(ps, paramReport{Name: "beta", Value: 0.1, StdErr: &se, Interval: &[2]jsonFloat{0.097, 0.103}})
	for i := 0; i < 5; i++ {
		ps = append(ps, paramReport{Name: "v[" + string(rune('a'+i)) + "]", Value: 1})
	}
	var b strings.Builder
	printFitReport(&b, fitReport{Method: "linear", Params: ps, Out: "fit.jko"}, &jkonet.Result{})
	out := b.String()
	for _, want := range []string{
		"  … 6 more parameters in fit.jko\n  beta",
		"± 0.001",
		"95% [0.097, 0.103]",
		"  … 5 more parameters in fit.jko\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if got := strings.Count(out, "\n  w["); got != 24 {
		t.Errorf("%d weights listed, want the first 24:\n%s", got, out)
	}
	// Up to 24 entries, all are listed and nothing is said to be left out.
	b.Reset()
	printFitReport(&b, fitReport{Method: "linear", Params: ps[:24], Out: "fit.jko"}, &jkonet.Result{})
	if strings.Contains(b.String(), "more parameters") {
		t.Errorf("a report of 24 entries leaves some out:\n%s", b.String())
	}
}
