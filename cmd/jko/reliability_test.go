package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/jko-org/jko/solve/evaluate"
)

// The tests of issue 16's input, output and command-line items: each
// failed before its fix.

func write(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// wantFail runs jko and requires status 1 with every one of wants in its
// output.
func wantFail(t *testing.T, wants []string, args ...string) {
	t.Helper()
	code, out, errs := jko(t, args...)
	ok := code == 1
	for _, w := range wants {
		ok = ok && strings.Contains(out+errs, w)
	}
	if !ok {
		t.Errorf("jko %s: status %d, want 1 with %q; got\n%s%s", strings.Join(args, " "), code, wants, out, errs)
	}
}

// noTemps requires that dir holds no temporary file or folder of jko.
func noTemps(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") || strings.Contains(e.Name(), ".old") || strings.HasPrefix(e.Name(), ".jko-probe") {
			t.Errorf("left behind: %s", filepath.Join(dir, e.Name()))
		}
	}
}

// Item 5: a fitted spec with a [*] vector parameter reads back at the
// dimension it was fitted at, in 3-D and in 10-D (where the checker used to
// compare the literal's 10 entries with d at d = 1…8 only, and reject it).
func TestVectorParamRoundTrip(t *testing.T) {
	dir := t.TempDir()
	spec := write(t, filepath.Join(dir, "v.jko"), "param b[*]\npotential V(x) = dot(b, x) + sum(x^2)\n")
	for _, d := range []int{3, 10} {
		var vals []string
		for i := 1; i <= d; i++ {
			vals = append(vals, strconv.Itoa(i))
		}
		data := filepath.Join(dir, fmt.Sprintf("d%d", d))
		fitted := filepath.Join(dir, fmt.Sprintf("f%d.jko", d))
		mustRun(t, "simulate", spec, "--dim", strconv.Itoa(d), "--param", "b=["+strings.Join(vals, ";")+"]", "--particles", "60", "-o", data)
		mustRun(t, "fit", spec, data, "-o", fitted, "--reg", "0")
		out := mustRun(t, "eval", fitted, data)
		if !strings.Contains(out, "b[9]") && d == 10 || !strings.Contains(out, "one-step-ahead W1") {
			t.Errorf("%d-D eval:\n%s", d, out)
		}
		// The fitted spec names its dimension through its values: at
		// another dimension it is a clear error, not a wrong model.
		other := filepath.Join(dir, "other")
		mustRun(t, "simulate", "flat", "--dim", strconv.Itoa(d+1), "--particles", "20", "--steps", "1", "-o", other)
		wantFail(t, []string{"different lengths"}, "eval", fitted, other)
	}
}

// Item 2: a JKOnet*-layout folder that records no times is not given
// dt = 1; the dt used and its source are reported and written down.
func TestNoGuessedDt(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	spec := write(t, filepath.Join(dir, "q.jko"), "param a\npotential V(x) = a*sum(x^2)\n")
	mustRun(t, "simulate", spec, "--param", "a=1", "--particles", "40", "--dt", "0.05", "-o", data)
	fitted := filepath.Join(dir, "f.jko")
	out := mustRun(t, "fit", spec, data, "-o", fitted)
	text, _ := os.ReadFile(fitted)
	if !strings.Contains(out, "dt 0.05 (from times.npy)") || !strings.Contains(string(text), "dt 0.05 (from times.npy)") {
		t.Errorf("fit output:\n%s\nfitted:\n%s", out, text)
	}
	os.Remove(filepath.Join(data, "times.npy"))
	out = mustRun(t, "fit", spec, data, "-o", fitted)
	if !strings.Contains(out, "dt 0.05 (from args.txt)") {
		t.Errorf("fit output:\n%s", out)
	}
	os.Remove(filepath.Join(data, "args.txt"))
	wantFail(t, []string{"records no times", "--dt"}, "fit", spec, data, "-o", fitted)
	wantFail(t, []string{"records no times", "--dt"}, "eval", fitted, data)
	out = mustRun(t, "fit", spec, data, "-o", fitted, "--dt", "0.05", "--reg", "0")
	text, _ = os.ReadFile(fitted)
	if !strings.Contains(out, "dt 0.05 (from --dt)") || !strings.Contains(string(text), "dt 0.05 (from --dt)") || !regexp.MustCompile(`param a = (1\.0000|0\.9999)`).Match(text) {
		t.Errorf("fit --dt output:\n%s\nfitted:\n%s", out, text)
	}
	// predict takes its own --dt as the data's step when they record none.
	mustRun(t, "predict", fitted, data, "--dt", "0.05", "-o", filepath.Join(dir, "p.csv"))
}

// Item 3: simulate replaces a dataset folder whole: no stale data.csv, no
// mixed files, no temporary folders left; a folder with other files is
// refused and kept.
func TestSimulateReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	mustRun(t, "simulate", "flat", "--particles", "20", "--steps", "2", "--csv", "-o", data)
	before, _ := os.ReadFile(filepath.Join(data, "data.npy"))
	mustRun(t, "simulate", "flat", "--particles", "30", "--steps", "1", "-o", data)
	if _, err := os.Stat(filepath.Join(data, "data.csv")); err == nil {
		t.Error("a stale data.csv stayed in the dataset")
	}
	after, _ := os.ReadFile(filepath.Join(data, "data.npy"))
	if string(before) == string(after) {
		t.Error("data.npy not replaced")
	}
	noTemps(t, dir)
	// A folder that is not a dataset is not replaced.
	home := filepath.Join(dir, "home")
	os.Mkdir(home, 0o755)
	write(t, filepath.Join(home, "thesis.tex"), "precious")
	wantFail(t, []string{"thesis.tex", "not part of a dataset"}, "simulate", "flat", "--particles", "20", "-o", home)
	if b, _ := os.ReadFile(filepath.Join(home, "thesis.tex")); string(b) != "precious" {
		t.Error("a foreign file was touched")
	}
	wantFail(t, []string{"-o -: a dataset is a folder"}, "simulate", "flat", "-o", "-")
	// A failing simulation leaves the old dataset as it was.
	wantFail(t, []string{"no learnable parameter"}, "simulate", "flat", "--param", "a=1", "-o", data)
	if b, _ := os.ReadFile(filepath.Join(data, "data.npy")); string(b) != string(after) {
		t.Error("a failed simulation changed the dataset")
	}
	noTemps(t, dir)
}

// Item 4 through the command line: a weights line of the wrong length is an
// error in check, eval, predict and simulate.
func TestWrongWeightsLength(t *testing.T) {
	dir := t.TempDir()
	spec := write(t, filepath.Join(dir, "n.jko"), "potential V(x) = mlp(x, 2)\nweights V.mlp = [1, 2, 3]\n")
	data := filepath.Join(dir, "data")
	mustRun(t, "simulate", "flat", "--particles", "20", "--steps", "1", "-o", data)
	for _, args := range [][]string{
		{"check", spec},
		{"eval", spec, data},
		{"predict", spec, data, "-o", filepath.Join(dir, "p.csv")},
		{"simulate", spec, "-o", filepath.Join(dir, "s")},
	} {
		wantFail(t, []string{"n.jko:2:17", "3 values, but the block has 9"}, args...)
	}
}

// Item 6: flags out of range, and --dt or --split that the data
// contradicts, are errors, never silently replaced or ignored.
func TestFlagValidation(t *testing.T) {
	dir := t.TempDir()
	spec := write(t, filepath.Join(dir, "q.jko"), "param a\npotential V(x) = a*sum(x^2)\n")
	data := filepath.Join(dir, "data")
	mustRun(t, "simulate", spec, "--param", "a=1", "--particles", "20", "--steps", "2", "--csv", "-o", data)
	csv := filepath.Join(data, "data.csv")
	out := filepath.Join(dir, "o.jko")
	fit := func(extra ...string) []string { return append([]string{"fit", spec, data, "-o", out}, extra...) }
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"fit", spec, csv, "-o", out, "--dt", "0.5"}, "--dt 0.5 disagrees with the column t of"},
		{[]string{"fit", spec, csv, "-o", out, "--split", "test"}, "is a CSV file, which has no train/test split"},
		{[]string{"eval", spec, csv, "--split", "train"}, "is a CSV file"},
		{fit("--dt=-1"), "--dt -1: want a positive time"},
		{fit("--dt", "nan"), "--dt NaN"},
		{fit("--dt", "0.5"), "dt 0.5 disagrees with the times the data records"},
		{fit("--reg=-1"), "--reg -1"},
		{fit("--epochs", "0"), "--epochs 0: want at least 1"},
		{fit("--lr", "0"), "--lr 0: want a finite number > 0"},
		{fit("--ij-epochs=-5"), "--ij-epochs -5: want at least 0"},
		{fit("--ij-widths", "8,0"), "--ij-widths: width 0"},
		{[]string{"simulate", spec, "--substeps", "0", "-o", filepath.Join(dir, "s")}, "--substeps 0: want at least 1"},
		{[]string{"simulate", spec, "--dt", "0", "-o", filepath.Join(dir, "s")}, "--dt 0: want a finite number > 0"},
		{[]string{"simulate", spec, "--test-ratio", "1", "-o", filepath.Join(dir, "s")}, "--test-ratio 1"},
		{[]string{"plot", spec, data, "--grid", "0", "-o", filepath.Join(dir, "p.png")}, "--grid 0"},
		// One arrow per axis used to be accepted and silently drawn as 15.
		{[]string{"plot", spec, data, "--arrows", "1", "-o", filepath.Join(dir, "p.png")}, "--arrows 1: want 2 to 200"},
		{fit("--couplings", "sinkhorn:-1"), "--couplings: couplings \"sinkhorn:-1\""},
		{fit("--density", "gmm:0"), "--density: density \"gmm:0\""},
		{[]string{"predict", spec, data, "--dt=-1", "-o", filepath.Join(dir, "p.csv")}, "--dt -1"},
	}
	for _, tc := range tests {
		wantFail(t, []string{tc.want}, tc.args...)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused fit wrote its output")
	}
	// A --dt that agrees with the t column is taken; the CSV is all data.
	o := mustRun(t, "fit", spec, csv, "-o", out, "--dt", "0.01")
	text, _ := os.ReadFile(out)
	if !strings.Contains(o, "(all split), dt 0.01 (from column t)") || !strings.Contains(string(text), "(all split)") {
		t.Errorf("fit on CSV:\n%s\n%s", o, text)
	}
}

// Item 7: a CSV column named weight is refused unless --weights-column
// names it; a byte-order mark in CSV and spec files is skipped.
func TestCSVWeightsAndBOM(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	spec := write(t, filepath.Join(dir, "q.jko"), "\ufeffparam a\npotential V(x) = a*sum(x^2)\n")
	mustRun(t, "check", spec)
	mustRun(t, "simulate", spec, "--param", "a=1", "--particles", "20", "--steps", "2", "--csv", "-o", data)
	b, _ := os.ReadFile(filepath.Join(data, "data.csv"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var weighted strings.Builder
	for i, l := range lines {
		if i == 0 {
			weighted.WriteString(l + ",Weight\n")
		} else {
			weighted.WriteString(l + ",1\n")
		}
	}
	wcsv := write(t, filepath.Join(dir, "w.csv"), weighted.String())
	out := filepath.Join(dir, "f.jko")
	wantFail(t, []string{`column "Weight"`, "--weights-column Weight"}, "fit", spec, wcsv, "-o", out)
	mustRun(t, "fit", spec, wcsv, "-o", out, "--weights-column", "Weight")
	wantFail(t, []string{"--weights-column Weight"}, "distance", wcsv, wcsv)
	mustRun(t, "distance", wcsv, wcsv, "--weights-column", "weight")
	bom := write(t, filepath.Join(dir, "bom.csv"), "\ufeff"+string(b))
	mustRun(t, "fit", spec, bom, "-o", out)
}

// Item 8: eval --json --only-w1 leaves out the metrics it skips.
func TestEvalOnlyW1JSON(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	spec := write(t, filepath.Join(dir, "q.jko"), "param a = 1\npotential V(x) = a*sum(x^2)\n")
	mustRun(t, "simulate", spec, "--particles", "20", "--steps", "2", "-o", data)
	var rep map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, "eval", spec, data, "--json", "--only-w1")), &rep); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"one_step_w2", "one_step_mmd", "all_steps"} {
		if _, ok := rep[k]; ok {
			t.Errorf("--only-w1 reports %s: %v", k, rep[k])
		}
	}
	if _, ok := rep["one_step"]; !ok {
		t.Error("no one_step")
	}
	if err := json.Unmarshal([]byte(mustRun(t, "eval", spec, data, "--json")), &rep); err != nil || rep["all_steps"] == nil {
		t.Errorf("eval --json: %v %v", rep, err)
	}
	// A diverged prediction (NaN) is null in JSON, not a failed eval.
	b, err := json.Marshal(evalReport{OneStep: evaluate.Report{Metric: "W1", PerStep: []float64{nan()}, Mean: nan()}}.jsonSafe())
	if err != nil || !strings.Contains(string(b), `"per_step":[null],"mean":null`) {
		t.Errorf("NaN metrics: %s %v", b, err)
	}
}

// Items 9 and 10: destinations are checked before computing; only regular
// writable files are replaced; - is the standard output; errors name the
// destination; nothing temporary is left behind.
func TestOutputs(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	spec := write(t, filepath.Join(dir, "q.jko"), "param a\npotential V(x) = a*sum(x^2)\n")
	mustRun(t, "simulate", spec, "--param", "a=1", "--particles", "20", "--steps", "2", "-o", data)
	target := write(t, filepath.Join(dir, "target.jko"), "keep")
	link := filepath.Join(dir, "link.jko")
	os.Symlink(target, link)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	ro := write(t, filepath.Join(dir, "ro.jko"), "keep")
	os.Chmod(ro, 0o444)
	tests := []struct{ out, want string }{
		{filepath.Join(dir, "missing", "f.jko"), "the folder " + filepath.Join(dir, "missing") + " does not exist"},
		{link, "is a symbolic link"},
		{fifo, "is a named pipe (FIFO)"},
		{ro, "is read-only"},
		{dir, "is a folder"},
	}
	for _, tc := range tests {
		code, out, errs := jko(t, "fit", spec, data, "-o", tc.out)
		if code != 1 || !strings.Contains(errs, "-o "+tc.out+": "+tc.want) || strings.Contains(out, "method") {
			t.Errorf("-o %s: status %d, want a refusal %q before fitting; got\n%s%s", tc.out, code, tc.want, out, errs)
		}
		wantFail(t, []string{tc.want}, "predict", spec, data, "-o", tc.out)
	}
	// A device, checked without running a command that could write it (as
	// root, jko once replaced /dev/null with a regular file).
	if st, err := os.Lstat("/dev/null"); err == nil && st.Mode()&os.ModeDevice != 0 {
		if err := checkOutput("-o", "/dev/null"); err == nil || !strings.Contains(err.Error(), "-o /dev/null: is a device") {
			t.Errorf("-o /dev/null: %v", err)
		}
	}
	for _, p := range []string{target, ro} {
		if b, _ := os.ReadFile(p); string(b) != "keep" {
			t.Errorf("%s changed", p)
		}
	}
	code, out, errs := jko(t, "fit", spec, data, "--loss-csv", filepath.Join(dir, "no", "l.csv"), "-o", filepath.Join(dir, "f.jko"))
	if code != 1 || !strings.Contains(errs, "--loss-csv") || strings.Contains(out, "method") {
		t.Errorf("--loss-csv into a missing folder: %d\n%s%s", code, out, errs)
	}
	// -o - writes the fitted spec to the standard output, the report to
	// the standard error, and no file named -.
	code, out, errs = jko(t, "fit", spec, data, "-o", "-", "--reg", "0")
	if code != 0 || !strings.HasPrefix(out, "# fitted by jko") || !strings.Contains(errs, "method linear") {
		t.Errorf("-o -: status %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if _, err := os.Stat("-"); err == nil {
		t.Error("a file named - was written")
	}
	noTemps(t, dir)
}

// Item 10: a write that fails names the destination, not the temporary
// file, and removes the temporary file.
func TestWriteOutputErrors(t *testing.T) {
	dir := t.TempDir()
	g := &globals{stdout: &strings.Builder{}}
	dest := filepath.Join(dir, "out.txt")
	if err := writeOutput(g, "-o", dest, []byte("one")); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dest, 0o600)
	if err := writeOutput(g, "-o", dest, []byte("two")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(dest); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v not kept", st.Mode().Perm())
	}
	// A rename that fails (the destination became a folder after the
	// check) is reported against the destination.
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	write(t, filepath.Join(sub, "x"), "x")
	err := writeOutput(g, "-o", sub, []byte("x"))
	if err == nil || strings.Contains(err.Error(), ".tmp") || !strings.Contains(err.Error(), sub) {
		t.Errorf("error %v", err)
	}
	if err := writeOutput(g, "-o", "-", []byte("to stdout")); err != nil || g.stdout.(*strings.Builder).String() != "to stdout" {
		t.Errorf("-o -: %v", err)
	}
	noTemps(t, dir)
	// NaN in a report is null in JSON, not a failure after the file.
	b, err := json.Marshal(fitReport{Loss: jsonFloat(nan())})
	if err != nil || !strings.Contains(string(b), `"loss":null`) {
		t.Errorf("NaN loss: %s %v", b, err)
	}
}

func nan() float64 { z := 0.0; return z / z }

// Item 10: an interrupted jko removes its temporary files. The test runs
// itself as a child that registers a temporary file and interrupts itself.
func TestInterruptRemovesTemps(t *testing.T) {
	if dir := os.Getenv("JKO_INTERRUPT_CHILD"); dir != "" {
		catchInterrupts()
		f, err := createTemp(dir, ".out.jko.tmp*")
		if err != nil {
			os.Exit(3)
		}
		f.WriteString("partial")
		syscall.Kill(os.Getpid(), syscall.SIGINT)
		select {}
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestInterruptRemovesTemps$")
	cmd.Env = append(os.Environ(), "JKO_INTERRUPT_CHILD="+dir)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "unfinished outputs removed") {
		t.Errorf("child said %q", out)
	}
	noTemps(t, dir)
}

// Item 13: spec files are read with a size bound, also through imports.
func TestSpecSizeBound(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	dir := t.TempDir()
	wantFail(t, []string{"/dev/zero: larger than 16 MiB"}, "check", "/dev/zero")
	os.Symlink("/dev/zero", filepath.Join(dir, "z.jko"))
	spec := write(t, filepath.Join(dir, "s.jko"), "import \"z.jko\"\nparam a\npotential V(x) = a*sum(x^2)\n")
	wantFail(t, []string{"larger than 16 MiB"}, "check", spec)
}

// Item 14: sizes that cannot fit in memory are refused with the reason.
func TestSizeLimits(t *testing.T) {
	dir := t.TempDir()
	wantFail(t, []string{"need about", "GB of memory"}, "simulate", "flat", "--dim", "100000", "--particles", "100000", "-o", filepath.Join(dir, "s"))
	data := filepath.Join(dir, "data")
	spec := write(t, filepath.Join(dir, "q.jko"), "param a = 1\npotential V(x) = a*sum(x^2)\n")
	mustRun(t, "simulate", spec, "--particles", "20", "--steps", "1", "-o", data)
	wantFail(t, []string{"--size 1000in", "pixels", "GB in memory"}, "plot", spec, data, "--size", "1000in", "-o", filepath.Join(dir, "p.png"))
	noTemps(t, dir)
}

// Item 18: --param values outside the declared bounds; rank-deficient fits
// say "not identifiable" rather than ± 0, once; distance dimension
// mismatches name the files; simulate does not call a given value fitted.
func TestMessages(t *testing.T) {
	dir := t.TempDir()
	spec := write(t, filepath.Join(dir, "b.jko"), "param a in [0, 2]\nparam beta >= 0\npotential V(x) = a*sum(x^2)\ninternal f(rho) = beta*rho*log(rho)\n")
	wantFail(t, []string{"--param a: 3 is outside the bounds [0, 2]"}, "check", spec, "--param", "a=3")
	wantFail(t, []string{"--param beta: -1 is outside the bounds [0, +Inf]"}, "simulate", spec, "--param", "a=1,beta=-1", "-o", filepath.Join(dir, "s"))

	free := write(t, filepath.Join(dir, "free.jko"), "param beta\npotential V(x) = sum(x^2)\ninternal f(rho) = beta*rho*log(rho)\n")
	code, out, errs := jko(t, "simulate", free, "--param", "beta=-1", "-o", filepath.Join(dir, "s"))
	if code != 1 || !strings.Contains(errs, "β = -1 is negative") || strings.Contains(errs, "fitted") {
		t.Errorf("simulate with β = -1: status %d\n%s%s", code, out, errs)
	}

	rd := write(t, filepath.Join(dir, "rd.jko"), "param a, b, c\npotential V(x) = a*sum(x^2) + b*sum(x^2) + c*sum(x)\n")
	data := filepath.Join(dir, "data")
	mustRun(t, "simulate", rd, "--param", "a=1,b=0,c=1", "--particles", "40", "--steps", "2", "-o", data)
	out = mustRun(t, "fit", rd, data, "-o", filepath.Join(dir, "f.jko"))
	if regexp.MustCompile(`(?m)^\s+[ab]\s.*± 0\s*$`).MatchString(out) || strings.Count(out, "not identifiable") != 3 || strings.Contains(out, "not identifiable: a, b are not identifiable") {
		t.Errorf("rank-deficient fit:\n%s", out)
	}

	a := write(t, filepath.Join(dir, "a.csv"), "x,y\n0,0\n1,1\n")
	b := write(t, filepath.Join(dir, "b.csv"), "x\n0\n1\n")
	wantFail(t, []string{"a.csv has 2 coordinate columns", "b.csv has 1"}, "distance", a, b)
}

// FuzzDistance: jko distance on any two CSV texts gives a finite,
// non-negative value with a plan of the right size, or an error; never a
// panic.
func FuzzDistance(f *testing.F) {
	f.Add("x,y\n0,0\n1,1\n", "x,y\n0,1\n2,2\n3,3\n", "", false)
	f.Add("u,w\n1,0.5\n2,0.5\n", "u,w\n1,1\n", "w", true)
	f.Add("\ufeffx\n1e300\n-1e300\n", "x\n0\n", "", false)
	f.Add("a,weight\n1,0\n2,0\n", "a\n1\n", "weight", true)
	f.Fuzz(func(t *testing.T, a, b, weights string, w2 bool) {
		// The fuzzer keeps inputs small; magnitudes up to the float64
		// range must give a finite cost or an error (issue 16 item 12).
		if large(a) || large(b) {
			t.Skip()
		}
		metric := "w1"
		if w2 {
			metric = "w2sq"
		}
		plan, _, err := distance(strings.NewReader(a), strings.NewReader(b), "a.csv", "b.csv", weights, metric)
		if err != nil {
			return
		}
		if !(plan.Cost >= 0) || math.IsInf(plan.Cost, 1) || len(plan.Pairs) == 0 {
			t.Fatalf("cost %v with %d pairs", plan.Cost, len(plan.Pairs))
		}
	})
}

// large reports whether text holds more than 200 values.
func large(text string) bool {
	return strings.Count(text, ",")+strings.Count(text, "\n") > 200
}
