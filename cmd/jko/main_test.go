package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jko-org/jko/internal/bench"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/plot"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
)

var update = flag.Bool("update", false, "rewrite docs/commands.md from the commands' --help")

// jko runs the command line and returns its status and output.
func jko(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := jko(t, args...)
	if code != 0 {
		t.Fatalf("jko %s: status %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// The whole pipeline as a user runs it: simulate, check, fit, eval,
// predict, fmt, distance.
func TestPipeline(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	spec := filepath.Join(dir, "model.jko")
	os.WriteFile(spec, []byte("param a, b, c\npotential V(x) = a*sum(x^4) + b*sum(x^2) + c*sum(x)\n"), 0o644)
	// The Styblinski–Tang potential, written with the model's own parameters.
	mustRun(t, "simulate", spec, "--param", "a=0.5,b=-8,c=2.5", "--particles", "400", "-o", data, "--csv")

	out := mustRun(t, "check", spec, "--at=1,2", "--param", "a=0.5,b=-8,c=2.5")
	if !strings.Contains(out, "linear in its parameters: 3 features") || !strings.Contains(out, "V = -24") {
		t.Errorf("check output:\n%s", out)
	}

	fitted := filepath.Join(dir, "fitted.jko")
	out = mustRun(t, "fit", spec, data, "-o", fitted, "--reg", "0", "--json")
	var rep struct {
		Method string
		Params []struct {
			Name  string
			Value float64
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("fit --json: %v\n%s", err, out)
	}
	want := map[string]float64{"a": 0.5, "b": -8, "c": 2.5}
	for _, p := range rep.Params {
		if d := p.Value - want[p.Name]; d > 1e-6 || d < -1e-6 {
			t.Errorf("fitted %s = %v, want %v", p.Name, p.Value, want[p.Name])
		}
	}
	text, _ := os.ReadFile(fitted)
	if !strings.Contains(string(text), "# fitted by jko") || !strings.Contains(string(text), "\nstep explicit\n") {
		t.Errorf("fitted spec:\n%s", text)
	}
	if m := regexp.MustCompile(`param a = (\S+)`).FindStringSubmatch(string(text)); m == nil {
		t.Errorf("no a in the fitted spec:\n%s", text)
	} else if a, err := strconv.ParseFloat(m[1], 64); err != nil || math.Abs(a-0.5) > 1e-12 {
		t.Errorf("the fitted spec writes a = %s, want 0.5 to 1e-12:\n%s", m[1], text)
	}

	out = mustRun(t, "eval", fitted, data)
	m := regexp.MustCompile(`one-step-ahead W1 \(test split, explicit step\): (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("eval output:\n%s", out)
	}
	if w, _ := strconv.ParseFloat(m[1], 64); w > 1e-9 {
		t.Errorf("one-step W1 = %v on exact recovery", w)
	}
	if !strings.Contains(out, "true 0.5") {
		t.Errorf("eval does not compare with the simulating spec:\n%s", out)
	}

	pred := filepath.Join(dir, "pred.csv")
	mustRun(t, "predict", fitted, data, "--from", "1", "--steps", "2", "-o", pred)
	if b, err := os.ReadFile(pred); err != nil || !strings.HasPrefix(string(b), "t,") {
		t.Errorf("predict wrote %q, %v", b, err)
	}

	// The fitted spec is in canonical form already.
	if code, out, _ := jko(t, "fmt", "-l", fitted); code != 0 || out != "" {
		t.Errorf("fmt -l on the fitted spec: status %d, %q", code, out)
	}

	// Distance of the data to itself is zero.
	out = mustRun(t, "distance", filepath.Join(data, "data.csv"), filepath.Join(data, "data.csv"), "--json")
	if !strings.Contains(out, `"value":0`) {
		t.Errorf("distance to itself: %s", out)
	}
}

// Bad input gives a clear message and a non-zero status, never a panic.
func TestErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jko")
	os.WriteFile(bad, []byte("param a\npotential V(x) = a*sum(x^2\n"), 0o644)
	nul := filepath.Join(dir, "nul.jko")
	os.WriteFile(nul, []byte("param a\x00\n"), 0o644)
	empty := filepath.Join(dir, "empty.jko")
	os.WriteFile(empty, nil, 0o644)
	data := filepath.Join(dir, "data")
	mustRun(t, "simulate", "flat", "--particles", "20", "--steps", "1", "-o", data)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"check", bad}, 1, "bad.jko:2:"},
		{[]string{"check", nul}, 1, "nul.jko:1:"},
		{[]string{"check", empty}, 1, "at least one"},
		{[]string{"check", filepath.Join(dir, "missing.jko")}, 1, "no such file"},
		{[]string{"fit", "styblinski_tang", data, "-o", filepath.Join(dir, "o.jko")}, 1, "no learnable parameters"},
		{[]string{"fit", "paper_linear_potential", filepath.Join(dir, "nodata"), "-o", filepath.Join(dir, "o.jko")}, 1, "no such file"},
		{[]string{"stdlib", "nonexistent"}, 1, "no spec"},
		{[]string{"nonsense"}, 2, "unexpected argument"},
	}
	for _, tc := range tests {
		code, out, errs := jko(t, tc.args...)
		if code != tc.code || !strings.Contains(out+errs, tc.want) {
			t.Errorf("jko %s: status %d, want %d with %q; got\n%s%s", strings.Join(tc.args, " "), code, tc.code, tc.want, out, errs)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "o.jko")); err == nil {
		t.Error("a failed fit left a fitted file")
	}
}

// docs/commands.md is the --help of every command; -update rewrites it.
func TestCommandReference(t *testing.T) {
	var b strings.Builder
	b.WriteString("# jko command reference\n\nGenerated from `jko COMMAND --help` by `go test ./cmd/jko -run TestCommandReference -args -update`; a test keeps it true.\n")
	_, top, _ := jko(t, "--help")
	b.WriteString("\n```\n" + top + "```\n")
	// The commands from the parser's model, not from the wrapped help
	// text (whose continuation lines made sections such as "## jko and").
	for _, name := range commandNames(t) {
		_, help, _ := jko(t, name, "--help")
		b.WriteString("\n## jko " + name + "\n\n```\n" + help + "```\n")
	}
	path := filepath.Join("..", "..", "docs", "commands.md")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	have, err := os.ReadFile(path)
	if err != nil || string(have) != b.String() {
		t.Errorf("docs/commands.md is out of date: run go test ./cmd/jko -run TestCommandReference -args -update (%v)", err)
	}
}

// commandNames lists jko's commands in the order of --help.
func commandNames(t *testing.T) []string {
	var c cli
	p, err := newParser(&c, io.Discard, io.Discard, func(int) {})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range p.Model.Children {
		if !n.Hidden {
			names = append(names, n.Name)
		}
	}
	return names
}

// docs/commands.md has one section per command, and nothing else.
func TestCommandReferenceSections(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "commands.md"))
	if err != nil {
		t.Fatal(err)
	}
	var sections []string
	for _, line := range strings.Split(string(b), "\n") {
		if name, ok := strings.CutPrefix(line, "## jko "); ok {
			sections = append(sections, name)
		}
	}
	if got, want := strings.Join(sections, " "), strings.Join(commandNames(t), " "); got != want {
		t.Errorf("docs/commands.md sections %q, want the commands %q", got, want)
	}
}

// iJKOnet through the command line, tiny: it runs and writes a fitted spec.
func TestIJKOnetCommand(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "q.jko")
	os.WriteFile(spec, []byte("param a = 0.3\npotential V(x) = a*norm2(x)\n"), 0o644)
	data := filepath.Join(dir, "data")
	mustRun(t, "simulate", spec, "--param", "a=1", "--particles", "60", "--unpaired", "-o", data)
	out := mustRun(t, "fit", spec, data, "-o", filepath.Join(dir, "fit.jko"), "--method", "ijkonet", "--ij-epochs", "3",
		"--loss-csv", filepath.Join(dir, "loss.csv"))
	if !strings.Contains(out, "method ijkonet") {
		t.Errorf("fit output:\n%s", out)
	}
	// --bootstrap refits half-samples and reports the spread.
	out = mustRun(t, "fit", spec, data, "-o", filepath.Join(dir, "fitb.jko"), "--method", "ijkonet", "--ij-epochs", "3", "--bootstrap", "3")
	if !strings.Contains(out, "bootstrap: 3 resampled fits (0 failed)") || !strings.Contains(out, "bootstrap ±") {
		t.Errorf("fit --bootstrap output:\n%s", out)
	}
	// τ = 0.1 on V = ‖x‖² (curvature 2, fitted 2.5): the report warns
	// that the JKO step fitted differs from Euler's.
	stiff := filepath.Join(dir, "stiff")
	mustRun(t, "simulate", spec, "--param", "a=1", "--particles", "200", "--steps", "3", "--dt", "0.1", "-o", stiff)
	if out := mustRun(t, "fit", spec, stiff, "-o", filepath.Join(dir, "stiff.jko"), "--method", "ijkonet", "--ij-epochs", "200"); !strings.Contains(out, "warning: τ·λ = 0.25 at the median particle") || !strings.Contains(out, "--step explicit") {
		t.Errorf("fit at dt 0.1 should warn about τ·λ:\n%s", out)
	}
	// --ij-holdout: the report and the fitted spec say which epoch's θ
	// was kept and on what.
	if out := mustRun(t, "fit", spec, data, "-o", filepath.Join(dir, "held.jko"), "--method", "ijkonet", "--ij-epochs", "20", "--ij-holdout", "0.25"); !strings.Contains(out, "ijkonet: θ of epoch ") || !strings.Contains(out, "of 20, whose gap on the held-out 0.25") {
		t.Errorf("fit --ij-holdout output:\n%s", out)
	}
	if held, err := os.ReadFile(filepath.Join(dir, "held.jko")); err != nil || !strings.Contains(string(held), "θ chosen by the gap on 0.25 of the particles held out, every 10 epochs") {
		t.Errorf("fitted spec with --ij-holdout: %v\n%s", err, held)
	}
	if code, _, errs := jko(t, "fit", spec, data, "-o", filepath.Join(dir, "bad.jko"), "--method", "ijkonet", "--ij-holdout", "0.9"); code == 0 || !strings.Contains(errs, "Holdout 0.9") {
		t.Errorf("--ij-holdout 0.9: status %d, %q; want an error naming Holdout", code, errs)
	}
	text, err := os.ReadFile(filepath.Join(dir, "fit.jko"))
	if err != nil || !strings.Contains(string(text), "iJKOnet") || !strings.Contains(string(text), "\nstep implicit\n") || !strings.Contains(string(text), "particles maps") {
		t.Errorf("fitted spec: %v\n%s", err, text)
	}
	b, err := os.ReadFile(filepath.Join(dir, "loss.csv"))
	if err != nil || strings.Count(string(b), "\n") != 4 || !strings.HasPrefix(string(b), "epoch,gap,map_loss\n") {
		t.Errorf("loss curve: %q %v", b, err)
	}
	// The gap may be negative: the loss plot switches to a linear axis.
	mustRun(t, "plot", filepath.Join(dir, "fit.jko"), data, "--kind", "loss", "--loss", filepath.Join(dir, "loss.csv"), "-o", filepath.Join(dir, "loss.png"))

	// Interaction and entropy terms, a time-conditioned residual map and
	// mini-batches; eval and predict read the result unchanged.
	full := filepath.Join(dir, "full.jko")
	os.WriteFile(full, []byte("param a = 0.3\nparam c = 0.1\nparam beta >= 0 = 0.05\npotential V(x) = a*norm2(x)\n"+
		"interaction U(z) = c*exp(-norm2(z))\ninternal f(rho) = beta*rho*log(rho)\n"), 0o644)
	data2 := filepath.Join(dir, "data2")
	mustRun(t, "simulate", full, "--param", "a=1,c=0.5,beta=0.2", "--particles", "80", "--unpaired", "--init", "gaussian:0,1", "-o", data2)
	out = mustRun(t, "fit", full, data2, "-o", filepath.Join(dir, "fit2.jko"), "--method", "ijkonet", "--ij-epochs", "3",
		"--ij-map", "residual", "--ij-shared", "--ij-batch", "25", "--ij-widths", "8")
	if !strings.Contains(out, "beta") {
		t.Errorf("fit output:\n%s", out)
	}
	text, _ = os.ReadFile(filepath.Join(dir, "fit2.jko"))
	if !strings.Contains(string(text), "one time-conditioned map") || !strings.Contains(string(text), "batch 25") {
		t.Errorf("fitted spec header:\n%s", text)
	}
	// The fitted spec declares the implicit step, which eval, predict and
	// simulate take unless told otherwise.
	if out := mustRun(t, "eval", filepath.Join(dir, "fit2.jko"), data2); !strings.Contains(out, "implicit step") || !strings.Contains(out, "all-steps-ahead") {
		t.Errorf("eval:\n%s", out)
	}
	if out := mustRun(t, "eval", filepath.Join(dir, "fit2.jko"), data2, "--step", "explicit", "--only-w1"); !strings.Contains(out, "explicit step") {
		t.Errorf("eval --step explicit:\n%s", out)
	}
	mustRun(t, "predict", filepath.Join(dir, "fit2.jko"), data2, "-o", filepath.Join(dir, "pred.csv"), "--steps", "2")
	mustRun(t, "simulate", filepath.Join(dir, "fit2.jko"), "--particles", "30", "-o", filepath.Join(dir, "resim"))

	// A divergent learning rate stops with the epoch and the flags to
	// lower named, and writes no file.
	code, _, errOut := jko(t, "fit", spec, data, "-o", filepath.Join(dir, "bad.jko"), "--method", "ijkonet", "--ij-epochs", "50", "--ij-map-lr", "1e6", "--ij-lr", "1e6")
	if code == 0 || !strings.Contains(errOut, "epoch") || !strings.Contains(errOut, "--ij-lr and --ij-map-lr") {
		t.Errorf("divergent fit: code %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.jko")); err == nil {
		t.Error("a divergent fit wrote its output")
	}
}

// Every stage of a fit shows its own progress bar: the bar of the first
// stage (the couplings) used to finish the only bar, and later stages
// (features, the solve, L-BFGS iterations) never rendered.
func TestProgressEveryStage(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	mustRun(t, "simulate", "styblinski_tang", "--particles", "200", "-o", data)
	spec := filepath.Join(dir, "model.jko")
	os.WriteFile(spec, []byte("param a, b, c\npotential V(x) = a*sum(x^4) + b*sum(x^2) + c*sum(x)\n"), 0o644)
	forceTTY = true
	defer func() { forceTTY = false }()
	for method, stages := range map[string][]string{
		"linear": {"couplings", "features", "solve"},
		"lbfgs":  {"couplings", "lbfgs"},
		"adam":   {"couplings", "epoch"},
	} {
		code, _, errs := jko(t, "fit", spec, data, "-o", filepath.Join(dir, method+".jko"), "--method", method, "--epochs", "3", "--max-iter", "5")
		if code != 0 {
			t.Fatalf("%s: status %d: %s", method, code, errs)
		}
		for _, s := range stages {
			if !strings.Contains(errs, s) {
				t.Errorf("%s: no progress for stage %q in %q", method, s, errs)
			}
		}
	}
	code, _, errs := jko(t, "eval", filepath.Join(dir, "linear.jko"), data)
	for _, st := range []string{"one-step W1, W2, MMD", "all-steps rollout"} {
		if code != 0 || !strings.Contains(errs, st) {
			t.Errorf("eval: status %d, no progress for %q in %q", code, st, errs)
		}
	}
	if _, _, errs := jko(t, "simulate", "flat", "--particles", "20", "-o", filepath.Join(dir, "s")); !strings.Contains(errs, "simulating") {
		t.Errorf("simulate: no progress in %q", errs)
	}
	code, _, errs = jko(t, "-q", "fit", spec, data, "-o", filepath.Join(dir, "q.jko"))
	if code != 0 || errs != "" {
		t.Errorf("--quiet: status %d, stderr %q", code, errs)
	}
}

// One vocabulary: help and bare jko print the usage; --at takes a negative
// first coordinate; fit --step (and the deprecated --eval-at); no kong
// type placeholders in any help.
func TestVocabulary(t *testing.T) {
	for _, args := range [][]string{{}, {"help"}, {"help", "fit"}} {
		code, out, errs := jko(t, args...)
		if code != 0 || !strings.Contains(out, "Usage: jko") {
			t.Errorf("jko %v: status %d\n%s%s", args, code, out, errs)
		}
	}
	out := mustRun(t, "check", "styblinski_tang", "--at", "-1,2")
	if !strings.Contains(out, "at x = [-1 2]: V = ") {
		t.Errorf("check --at -1,2:\n%s", out)
	}
	for _, name := range commandNames(t) {
		_, help, _ := jko(t, name, "--help")
		if m := regexp.MustCompile(`=(FLOAT-64|INT|STRING|UINT-64)\b`).FindString(help); m != "" {
			t.Errorf("jko %s --help shows the placeholder %s", name, m)
		}
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	mustRun(t, "simulate", "styblinski_tang", "--particles", "100", "-o", data)
	spec := filepath.Join(dir, "m.jko")
	os.WriteFile(spec, []byte("param a, b\npotential V(x) = a*sum(x^4) + b*sum(x^2)\n"), 0o644)
	for _, args := range [][]string{{"--step", "implicit"}, {"--eval-at", "y"}} {
		out := mustRun(t, append([]string{"fit", spec, data, "-o", filepath.Join(dir, "f.jko")}, args...)...)
		if !strings.Contains(out, "implicit step") {
			t.Errorf("fit %v:\n%s", args, out)
		}
	}
	if code, _, errs := jko(t, "fit", spec, data, "-o", filepath.Join(dir, "f.jko"), "--step", "implicit", "--eval-at", "x"); code == 0 || !strings.Contains(errs, "disagree") {
		t.Errorf("conflicting --step and --eval-at: status %d, %q", code, errs)
	}
}

// check prints gradients a scientist can read: no internal helpers, no
// float noise, no -0, "1 feature"; an internal term is evaluated at ρ.
func TestCheckReadable(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "m.jko")
	os.WriteFile(spec, []byte("param k = 2\nparam beta = 0.1\npotential V(x) = 0.5*k*sum(x^2) + 3*x[0]^2\n"+
		"interaction U(z) = -0.0025*k*sum(z^2)*0.5\ninternal f(rho) = beta*rho*log(rho)\n"), 0o644)
	out := mustRun(t, "check", spec, "--at", "0,-1", "--rho", "2")
	for _, want := range []string{"∇V(x) = [6*x[0], 0] + k*x", "∇U(z) = -0.0025*k*z", "1 feature\n", "at ρ = 2 (--rho): f = ", "f″ = 0.05"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"pad(", "0000000", "-0 ", "-0]", "1 features"} {
		if strings.Contains(out, bad) {
			t.Errorf("check output has %q:\n%s", bad, out)
		}
	}
	out = mustRun(t, "check", "mlp_potential")
	if strings.Contains(out, "matvec") {
		t.Errorf("check prints matvec:\n%s", out)
	}
}

// CSV columns: a particle-id column pairs the rows and is not a
// coordinate, --coords chooses, a note names what was read; distance
// takes a snapshot of jko's own CSV by --t.
func TestCSVColumns(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "cells.csv")
	var b strings.Builder
	b.WriteString("t,cell_id,x1,x2,batch\n")
	// Two times, rows in different orders; particle i moves by (0.1, 0).
	for k, order := range [][]int{{0, 1, 2, 3}, {3, 1, 0, 2}} {
		for _, i := range order {
			fmt.Fprintf(&b, "%d,c%d,%g,%g,7\n", k, i, float64(i)+0.1*float64(k), float64(i*i))
		}
	}
	os.WriteFile(csvPath, []byte(b.String()), 0o644)
	code, _, errs := jko(t, "--coords", "x1,x2", "distance", csvPath, csvPath, "--t", "1")
	if code != 0 || !strings.Contains(errs, "particle ids cell_id") || !strings.Contains(errs, "ignored batch") {
		t.Errorf("status %d, stderr %q", code, errs)
	}
	s, info, err := snapshot.CSVOptions{Coords: []string{"x1", "x2"}}.ReadInfo(strings.NewReader(b.String()), "cells.csv")
	if err != nil || !info.Paired || info.ID != "cell_id" || len(info.Ignored) != 1 || s.Dim() != 2 {
		t.Fatalf("read %+v, %v", info, err)
	}
	for i := range 4 {
		if dx := s.X[1].At(i, 0) - s.X[0].At(i, 0); math.Abs(dx-0.1) > 1e-12 {
			t.Errorf("row %d not paired by id: moves %g", i, dx)
		}
	}
	// jko's own CSV: the t column is a time, not a coordinate.
	data := filepath.Join(dir, "data")
	mustRun(t, "simulate", "styblinski_tang", "--particles", "30", "-o", data, "--csv")
	out := mustRun(t, "distance", filepath.Join(data, "data.csv"), filepath.Join(data, "data.csv"), "--t", "0.01", "--json")
	if !strings.Contains(out, `"dim":2`) || !strings.Contains(out, `"n":30`) {
		t.Errorf("distance --t: %s", out)
	}
	if code, _, errs := jko(t, "distance", filepath.Join(data, "data.csv"), filepath.Join(data, "data.csv"), "--t", "7"); code == 0 || !strings.Contains(errs, "no snapshot at t = 7") {
		t.Errorf("distance --t 7: status %d, %q", code, errs)
	}
}

// simulate --beta writes a truth with the entropy term, and eval compares
// terms (∇V, β) even when the parameters have other names.
func TestTruthWithBeta(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	mustRun(t, "simulate", "styblinski_tang", "--particles", "200", "--beta", "0.1", "-o", data)
	truth, _ := os.ReadFile(filepath.Join(data, "spec.jko"))
	if !strings.Contains(string(truth), "0.1*rho*log(rho)") {
		t.Fatalf("spec.jko without the entropy:\n%s", truth)
	}
	spec := filepath.Join(dir, "m.jko")
	os.WriteFile(spec, []byte("param p, q, r\nparam s >= 0\npotential V(x) = p*sum(x^4) + q*sum(x^2) + r*sum(x)\ninternal f(rho) = s*rho*log(rho)\n"), 0o644)
	fitted := filepath.Join(dir, "f.jko")
	mustRun(t, "fit", spec, data, "-o", fitted)
	out := mustRun(t, "eval", fitted, data, "--only-w1")
	if !strings.Contains(out, "∇V at the particles") || !strings.Contains(out, "true 0.1)") {
		t.Errorf("eval without term errors:\n%s", out)
	}
	// --only-w1 skips the drift error (the truth's interaction over
	// every pair of particles); the full eval reports it, a mean over
	// every particle here (at most evaluate.DriftErrorPoints of them).
	if strings.Contains(out, "drift error") {
		t.Errorf("eval --only-w1 computes the drift error:\n%s", out)
	}
	var full struct {
		Drift *struct {
			RelativeSE         *float64 `json:"relative_se"`
			Points, Population int
		} `json:"drift_error"`
	}
	js := mustRun(t, "eval", fitted, data, "--json")
	if err := json.Unmarshal([]byte(js), &full); err != nil {
		t.Fatalf("eval --json: %v\n%s", err, js)
	}
	if e := full.Drift; e == nil || e.RelativeSE == nil || *e.RelativeSE != 0 || e.Points != e.Population || e.Points == 0 || e.Points > evaluate.DriftErrorPoints {
		t.Errorf("eval --json drift error: %s", js)
	}
	if out := mustRun(t, "eval", fitted, data); !strings.Contains(out, "drift error against spec.jko") || !strings.Contains(out, "a mean over all") {
		t.Errorf("eval without the drift error:\n%s", out)
	}
	other := filepath.Join(dir, "other")
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(other, "d.csv"), []byte("t,x1,x2\n0,0,0\n0,1,1\n0.01,0,0\n0.01,1,1\n"), 0o644)
	if out := mustRun(t, "eval", fitted, filepath.Join(other, "d.csv"), "--only-w1"); !strings.Contains(out, "no comparison with the truth") {
		t.Errorf("eval without spec.jko says nothing:\n%s", out)
	}
}

// --json on simulate, predict and plot; --param on eval, predict and plot.
func TestJSONAndParam(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	out := mustRun(t, "simulate", "styblinski_tang", "--particles", "40", "-o", data, "--json")
	var sim struct {
		Particles int    `json:"particles"`
		Truth     string `json:"truth"`
	}
	if err := json.Unmarshal([]byte(out), &sim); err != nil || sim.Particles != 40 || !strings.HasSuffix(sim.Truth, "spec.jko") {
		t.Errorf("simulate --json: %v %s", err, out)
	}
	spec := filepath.Join(dir, "m.jko")
	os.WriteFile(spec, []byte("param a = 1\npotential V(x) = a*norm2(x)\n"), 0o644)
	out = mustRun(t, "predict", spec, data, "-o", filepath.Join(dir, "p.csv"), "--json", "--param", "a=2")
	if !strings.Contains(out, `"particles":20`) {
		t.Errorf("predict --json: %s", out)
	}
	// A different a predicts differently: --param is applied.
	p1, _ := os.ReadFile(filepath.Join(dir, "p.csv"))
	mustRun(t, "predict", spec, data, "-o", filepath.Join(dir, "p.csv"))
	if p2, _ := os.ReadFile(filepath.Join(dir, "p.csv")); bytes.Equal(p1, p2) {
		t.Error("predict --param a=2 predicts as a=1")
	}
	out = mustRun(t, "plot", spec, data, "-o", filepath.Join(dir, "p.svg"), "--kind", "drift", "--json", "--param", "a=3", "--grid", "10", "--arrows", "5")
	if !strings.Contains(out, `"out"`) {
		t.Errorf("plot --json: %s", out)
	}
	if code, _, errs := jko(t, "eval", spec, data, "--param", "zz=1"); code == 0 || !strings.Contains(errs, "no learnable parameter zz") {
		t.Errorf("eval --param zz=1: status %d, %q", code, errs)
	}
}

// jko demo writes into a new temporary directory, not the working one.
func TestDemoWritesToTemp(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	wd, _ := os.Getwd()
	cwd := t.TempDir()
	if err := os.Chdir(cwd); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	out := mustRun(t, "demo", "--particles", "200")
	if ents, _ := os.ReadDir(cwd); len(ents) != 0 {
		t.Errorf("demo wrote into the working directory: %v", ents)
	}
	dirs, _ := filepath.Glob(filepath.Join(tmp, "jko-demo-*", "fitted.jko"))
	if len(dirs) != 1 || !strings.Contains(out, filepath.Dir(dirs[0])) {
		t.Errorf("demo output %q, fitted specs %v", out, dirs)
	}
}

// The flags that set a library option default to the library's value
// (libraryDefaults), so the two cannot drift apart.
func TestFlagDefaultsFromLibraries(t *testing.T) {
	for _, c := range []struct {
		cmd, want string
	}{
		{"bench", fmt.Sprintf("per model (default %d)", bench.DefaultSeeds)},
		{"simulate", fmt.Sprintf("--substeps=%d ", sim.DefaultSubsteps)},
		{"eval", fmt.Sprintf("kept snapshots; default %d)", evaluate.DefaultHeldOutSteps)},
		{"plot", fmt.Sprintf("--grid=%d ", plot.DefaultGrid)},
		{"plot", fmt.Sprintf("--arrows=%d ", plot.DefaultArrows)},
	} {
		_, help, _ := jko(t, c.cmd, "--help")
		if !strings.Contains(strings.Join(strings.Fields(help), " "), strings.TrimSpace(c.want)) {
			t.Errorf("jko %s --help does not show %q", c.cmd, c.want)
		}
	}
	if code, _, errs := jko(t, "bench", "--suite", "eb", "--seeds", "0"); code == 0 || !strings.Contains(errs, "--seeds 0: want at least 1") {
		t.Errorf("bench --seeds 0: status %d, %q", code, errs)
	}
}

// --cpuprofile writes a CPU profile of the command: a gzip stream pprof
// reads; a file that cannot be made is an error before the command runs.
func TestCPUProfile(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "cpu.prof")
	mustRun(t, "--cpuprofile", prof, "stdlib", "paper_linear")
	b, err := os.ReadFile(prof)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("the profile is not a gzip stream: % x", b[:min(len(b), 8)])
	}
	if code, _, errs := jko(t, "--cpuprofile", filepath.Join(dir, "missing", "cpu.prof"), "version"); code != 1 || !strings.Contains(errs, "missing") {
		t.Errorf("unwritable profile: status %d, %q", code, errs)
	}
}
