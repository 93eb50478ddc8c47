package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/jko-org/jko/beam/pipeline"
	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/snapshot"
)

func TestMain(m *testing.M) {
	flag.Parse()
	beam.Init()
	os.Exit(m.Run())
}

// Flags go anywhere; the fitted spec is written and named.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data.csv")
	var csv strings.Builder
	csv.WriteString("t,x1,x2\n")
	for k, shift := range []float64{0, 0.1, 0.2} {
		for i := 0; i < 30; i++ {
			x := float64(i%6) - 2.5
			y := float64(i/6) - 2.5
			csv.WriteString(strings.Join([]string{ftoa(float64(k) * 0.01), ftoa(x*(1+shift) + 0.01*float64(i%3)), ftoa(y * (1 + shift))}, ",") + "\n")
		}
	}
	if err := os.WriteFile(data, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "spec.jko")
	if err := os.WriteFile(spec, []byte("param a\npotential V(x) = a*sum(x^2)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "fitted.jko")
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"fit", "--reg", "0", spec, "-o", out, data, "--runner", "direct"}, &stdout); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// The clouds grow by 10 % a step, so V = a‖x‖² with a < 0.
	if !strings.Contains(string(text), "param a = -") || !strings.Contains(stdout.String(), "wrote "+out) {
		t.Errorf("stdout %q, fitted spec:\n%s", stdout.String(), text)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no command"},
		{[]string{"fot"}, "unknown command"},
		{[]string{"fit", spec}, "at least one input"},
		{[]string{"fit", filepath.Join(dir, "nope.jko"), data, "-o", out}, "nope.jko"},
		{[]string{"fit", spec, data, "-o", out, "--couplings", "minibatch:x"}, "minibatch:B"},
		{[]string{"fit", spec, data, "-o", out, "--couplings", "exact", "--eval-at", "z"}, "--eval-at"},
	} {
		*evalAt = ""
		err := run(context.Background(), tc.args, &stdout)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want one saying %q", tc.args, err, tc.want)
		}
	}
}

// eval prints jko eval's one-step W1 (the core's evaluate.OneStep on the
// same file), as text or JSON, and refuses bad flags.
func TestRunEval(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data.csv")
	var csv strings.Builder
	csv.WriteString("t,x1,x2\n")
	for k, shift := range []float64{0, 0.1, 0.2, 0.35} {
		for i := 0; i < 30; i++ {
			x := float64(i%6) - 2.5
			y := float64(i/6) - 2.5
			csv.WriteString(strings.Join([]string{ftoa(float64(k) * 0.01), ftoa(x*(1+shift) + 0.01*float64(i%3)), ftoa(y * (1 + shift))}, ",") + "\n")
		}
	}
	if err := os.WriteFile(data, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	src := "param a = -4\nparam beta = 0.05\npotential V(x) = a*sum(x^2)\ninternal H(rho) = beta*rho*log(rho)\n"
	fitted := filepath.Join(dir, "fitted.jko")
	if err := os.WriteFile(fitted, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	// The reference: what jko eval --only-w1 --seed 4 computes.
	sp, err := compile.LoadFile(fitted)
	if err != nil {
		t.Fatal(err)
	}
	m, err := sp.Instantiate(2)
	if err != nil {
		t.Fatal(err)
	}
	flow, err := evaluate.NewFlow(m, m.InitTheta(4))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := snapshot.ReadCSV(f, data)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	want, err := evaluate.OneStep(flow, snaps, 4, compile.Explicit)
	if err != nil {
		t.Fatal(err)
	}
	reset := func() { *out, *jsonOut, *step, *seed, *split, *evalAt = "", false, "", 0, "", "" }
	defer reset()

	reset()
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"eval", "--json", fitted, "--seed", "4", data, "--runner", "direct"}, &stdout); err != nil {
		t.Fatal(err)
	}
	got, err := pipeline.ReadEvalReport(stdout.Bytes())
	if err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	if len(got.OneStep.PerStep) != 3 || math.Abs(got.OneStep.Mean-want.Mean) > 1e-12 || math.Abs(got.OneStep.Std-want.Std) > 1e-12 || got.Step != "explicit" || got.Split != "all" {
		t.Errorf("jko-beam eval %+v, jko eval %+v", got, want)
	}
	if !(want.Mean > 0.01) {
		t.Errorf("W1 %g: the test compares nothing", want.Mean)
	}

	// Text, and the report kept with -o.
	reset()
	stdout.Reset()
	report := filepath.Join(dir, "report.json")
	if err := run(context.Background(), []string{"eval", fitted, data, "-o", report, "--seed", "4"}, &stdout); err != nil {
		t.Fatal(err)
	}
	line := fmt.Sprintf("one-step-ahead W1 (all split, explicit step): %.4g ± %.2g\n", want.Mean, want.Std)
	if !strings.Contains(stdout.String(), line) {
		t.Errorf("stdout %q, want the line %q", stdout.String(), line)
	}
	if text, err := os.ReadFile(report); err != nil || !strings.Contains(string(text), `"one_step"`) {
		t.Errorf("report %s: %s, %v", report, text, err)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", fitted}, "at least one input"},
		{[]string{"eval", fitted, data, "--step", "sideways"}, "--step"},
		{[]string{"eval", fitted, data, "--split", "dev"}, "--split"},
		{[]string{"eval", filepath.Join(dir, "nope.jko"), data}, "nope.jko"},
		{[]string{"eval", fitted, filepath.Join(dir, "nope.csv")}, "nope.csv"},
	} {
		reset()
		err := run(context.Background(), tc.args, &stdout)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want one saying %q", tc.args, err, tc.want)
		}
	}
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
