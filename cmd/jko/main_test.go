package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
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
	if !strings.Contains(out, "linear in its parameters: 3 features") || !strings.Contains(out, "value -24") {
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
	if !strings.Contains(string(text), "# fitted by jko") || !strings.Contains(string(text), "param a = 0.5") || !strings.Contains(string(text), "\nstep explicit\n") {
		t.Errorf("fitted spec:\n%s", text)
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

	// A divergent learning rate stops with the epoch named and writes no file.
	code, _, errOut := jko(t, "fit", spec, data, "-o", filepath.Join(dir, "bad.jko"), "--method", "ijkonet", "--ij-epochs", "50", "--ij-map-lr", "1e6", "--ij-lr", "1e6")
	if code == 0 || !strings.Contains(errOut, "epoch") {
		t.Errorf("divergent fit: code %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.jko")); err == nil {
		t.Error("a divergent fit wrote its output")
	}
}
