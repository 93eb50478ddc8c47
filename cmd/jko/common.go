package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/snapshot"
	"github.com/schollz/progressbar/v3"
)

// dataset is snapshots as a command read them, with what its reports say
// about them.
type dataset struct {
	*snapshot.Snapshots
	// Split is the part used: train, test or all (a CSV file: all).
	Split string
	// TimesNote says which times were used and where they came from.
	TimesNote string
}

// dataFlags are the flags that say how to read snapshots: Split is train,
// test, all, or "" for the command's default (its help, split_help, is
// set where the flags are embedded); Dt the time between snapshots (0:
// from the data); Weights a CSV file's weights column ("" for none).
type dataFlags struct {
	Split   string  `help:"${split_help}" enum:",train,test,all" default:""`
	Dt      float64 `placeholder:"DT" help:"${dt_help}"`
	Weights string  `name:"weights-column" placeholder:"COLUMN" help:"${weights_help}"`
}

// fittedFlags are the arguments and flags of the commands that run a
// fitted spec on snapshots (eval, predict, plot).
type fittedFlags struct {
	Fitted string `arg:"" help:"A fitted spec (from jko fit)."`
	Data   string `arg:"" help:"Snapshots: a JKOnet*-layout directory or a CSV file."`
	Seed   uint64 `help:"Random seed for the prediction noise." default:"0"`
	Step   string `help:"${step_help}" enum:",explicit,implicit" default:""`
	Param  string `placeholder:"NAME=VALUE,…" help:"Override parameter values of the fitted spec: a=1,b=-2,w=[1;2]."`
}

// flow is the fitted spec at dimension d as dynamics (solve.FromSpec, as
// an embedder reads it): the fitted model with --param applied (a
// parameter without a value drawn with --seed), its flow and the step it
// takes (--step, else the spec's declaration).
func (f fittedFlags) flow(spec *compile.Spec, d int) (fitted *solve.Fitted, flow *evaluate.Flow, step evaluate.Step, err error) {
	if fitted, err = solve.FromSpec(spec, d); err != nil {
		return
	}
	fitted.Theta = fitted.Model.InitTheta(f.Seed)
	if err = overrideParams(fitted.Model, fitted.Theta, f.Param); err != nil {
		return
	}
	if flow, err = fitted.Flow(); err != nil {
		return
	}
	step, err = stepOf(f.Step, fitted.Model)
	return
}

// loadData reads snapshots from a JKOnet*-layout directory (split train,
// test, or all for data.npy; "" for dflt) or a CSV file. A --dt and the
// data's own times must agree; a directory that records no times needs
// --dt. The result is validated.
func loadData(path string, f dataFlags, dflt string) (*dataset, error) {
	if math.IsNaN(f.Dt) || math.IsInf(f.Dt, 0) || f.Dt < 0 {
		return nil, fmt.Errorf("--dt %v: want a positive time between snapshots (or 0: from the data)", f.Dt)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading data: %w", err)
	}
	var s *snapshot.Snapshots
	ds := &dataset{Split: f.Split}
	if st.IsDir() {
		if f.Weights != "" {
			return nil, fmt.Errorf("--weights-column %s: %s is a directory; the JKOnet* layout has no weights (only CSV files do)", f.Weights, path)
		}
		if ds.Split == "" {
			ds.Split = dflt
		}
		split := ds.Split
		if split == "all" {
			split = ""
		}
		s, err = snapshot.ReadDir(path, split, f.Dt)
		if errors.Is(err, snapshot.ErrNoTimes) {
			return nil, fmt.Errorf("%w: give the time between snapshots with --dt (every fitted coefficient scales with it)", err)
		}
		if errors.Is(err, snapshot.ErrDtDisagrees) {
			return nil, fmt.Errorf("--dt: %w", err)
		}
		if err != nil {
			return nil, err
		}
	} else {
		if f.Split != "" && f.Split != "all" {
			return nil, fmt.Errorf("--split %s: %s is a CSV file, which has no train/test split (leave --split out, or give --split all)", f.Split, path)
		}
		ds.Split = "all"
		file, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("reading data: %w", err)
		}
		defer file.Close()
		var info snapshot.CSVInfo
		s, info, err = snapshot.CSVOptions{Weights: f.Weights, Coords: csvFlags.coords}.ReadInfo(file, path)
		var se *snapshot.Error
		if errors.As(err, &se) && f.Weights == "" && strings.EqualFold(se.Column, "weight") && se.Line > 0 {
			return nil, fmt.Errorf("%w (--weights-column %s takes it as particle weights)", err, se.Column)
		}
		if err != nil {
			return nil, err
		}
		csvFlags.note(path, info)
		if f.Dt > 0 {
			for k := 1; k < len(s.Times); k++ {
				if got, want := s.Times[k]-s.Times[0], float64(k)*f.Dt; math.Abs(got-want) > 1e-9*math.Max(math.Abs(got), math.Abs(want)) {
					return nil, fmt.Errorf("--dt %g disagrees with the %s of %s: snapshot %d is at time %g, %g after the first (leave --dt out to use the file's times)", f.Dt, s.TimeSource, path, k, s.Times[k], got)
				}
			}
		}
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ds.Snapshots = s
	ds.TimesNote = timesNote(s)
	return ds, nil
}

// timesNote describes the times of s: "dt 0.01 (from args.txt)", or the
// range of a non-uniform grid.
func timesNote(s *snapshot.Snapshots) string {
	from := ""
	switch s.TimeSource {
	case "":
	case "dt given":
		from = " (from --dt)"
	default:
		from = " (from " + s.TimeSource + ")"
	}
	t := s.Times
	if len(t) < 2 {
		return fmt.Sprintf("one snapshot at t = %g%s", t[0], from)
	}
	dt := t[1] - t[0]
	for k := 2; k < len(t); k++ {
		if math.Abs(t[k]-t[k-1]-dt) > 1e-9*math.Abs(dt) {
			return fmt.Sprintf("times %g … %g, not evenly spaced%s", t[0], t[len(t)-1], from)
		}
	}
	return fmt.Sprintf("dt %g%s", dt, from)
}

// csvSettings are the global --coords flag and where notes about CSV
// columns go; run sets them for each command line.
type csvSettings struct {
	coords []string
	notes  io.Writer
}

var csvFlags csvSettings

// coordName matches column names that read as coordinates: x, y, z, x1,
// pc_2, umap1, dim3.
var coordName = regexp.MustCompile(`(?i)^([xyz]|[a-z]{1,6}_?[0-9]+)$`)

// note tells, on stderr, how a CSV file's columns were read whenever a
// column was ignored, read as particle ids, or read as a coordinate with
// a name that does not look like one (a cell_type column silently made a
// 2-D fit 3-D).
func (c csvSettings) note(path string, info snapshot.CSVInfo) {
	if c.notes == nil {
		return
	}
	odd := len(info.Ignored) > 0 || info.ID != ""
	for _, n := range info.Coords {
		odd = odd || !coordName.MatchString(n)
	}
	if !odd {
		return
	}
	msg := fmt.Sprintf("note: %s: coordinates %s (%d-D)", path, strings.Join(info.Coords, ", "), len(info.Coords))
	if info.ID != "" {
		pairing := "the same ids at every time: rows paired by id"
		if !info.Paired {
			pairing = "ids differ between times: unpaired"
		}
		msg += fmt.Sprintf("; particle ids %s (%s)", info.ID, pairing)
	}
	if len(info.Ignored) > 0 {
		msg += "; ignored " + strings.Join(info.Ignored, ", ")
	}
	fmt.Fprintln(c.notes, msg+"; choose with --coords")
}

// parseParams reads "a=1,b=-2,w=[1;2;3]" into values by name.
func parseParams(s string) (map[string][]float64, error) {
	out := map[string][]float64{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, kv := range splitTop(s) {
		name, val, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("--param %q: want NAME=VALUE", kv)
		}
		val = strings.TrimSpace(val)
		var vals []float64
		if strings.HasPrefix(val, "[") && strings.HasSuffix(val, "]") {
			for _, f := range strings.FieldsFunc(val[1:len(val)-1], func(r rune) bool { return r == ';' || r == ' ' }) {
				v, err := strconv.ParseFloat(f, 64)
				if err != nil {
					return nil, fmt.Errorf("--param %s: %q is not a number", name, f)
				}
				vals = append(vals, v)
			}
		} else {
			v, err := strconv.ParseFloat(val, 64)
			if err != nil {
				return nil, fmt.Errorf("--param %s: %q is not a number", name, val)
			}
			vals = []float64{v}
		}
		out[strings.TrimSpace(name)] = vals
	}
	return out, nil
}

// splitTop splits on commas outside brackets.
func splitTop(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

// overrideParams applies a --param flag (empty: nothing) to θ.
func overrideParams(m *compile.Model, theta []float64, flag string) error {
	vals, err := parseParams(flag)
	if err != nil {
		return err
	}
	return applyParams(m, theta, vals)
}

// applyParams overrides entries of θ by parameter name (solve's
// Fitted.SetParams, the errors naming --param).
func applyParams(m *compile.Model, theta []float64, vals map[string][]float64) error {
	f := &solve.Fitted{Model: m, Theta: theta}
	if err := f.SetParams(vals); err != nil {
		return fmt.Errorf("--param %w", err)
	}
	copy(theta, f.Theta)
	return nil
}

// progress is a progress bar on stderr, one per stage of a long command
// (couplings, densities, features, L-BFGS iterations, epochs, …), each
// with its count, rate and ETA. It is silent when stderr is not a
// terminal or --quiet is set.
type progress struct {
	g     *globals
	stage string // the stage the current bar counts
	bar   *progressbar.ProgressBar
}

func newProgress(g *globals, total int, desc string) *progress {
	p := &progress{g: g}
	if total > 0 {
		p.update(desc, 0, total, "")
	}
	return p
}

func (p *progress) on() bool { return !p.g.quiet && p.g.tty }

// update moves stage's bar to done of total, with detail (a loss, say)
// after the stage's name. A new stage clears the previous bar and starts
// its own, so every stage shows its count and its ETA.
func (p *progress) update(stage string, done, total int, detail string) {
	if !p.on() || total <= 0 {
		return
	}
	if p.bar == nil || stage != p.stage {
		p.finish()
		p.stage = stage
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(p.g.stderr),
			progressbar.OptionSetDescription(stage),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100_000_000),
			progressbar.OptionSetRenderBlankState(true),
		)
	}
	if p.bar.GetMax() != total {
		p.bar.ChangeMax(total)
	}
	desc := stage
	if detail != "" {
		desc += " " + detail
	}
	p.bar.Describe(desc)
	_ = p.bar.Set(done)
}

// set moves the current stage's bar.
func (p *progress) set(done int, desc string) {
	if p.bar == nil {
		return
	}
	if desc != "" {
		p.bar.Describe(desc)
	}
	_ = p.bar.Set(done)
}

// finish clears the current bar.
func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
}

func fmtNum(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	if v == 0 {
		return "0" // and not -0
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// fmtVec writes a vector as [1 -2.5 0], six significant digits, no -0.
func fmtVec(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmtNum(x)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// stepHelp documents the --step flags.
const stepHelp = "How each step advances: explicit (Euler, x + τ·drift(x)) or implicit (the JKO step, y = x + τ·drift(y)). Default: the spec's step declaration (jko fit writes one), else explicit."

// stepOf resolves a --step flag: as given, else the spec's declaration.
func stepOf(flag string, m *compile.Model) (evaluate.Step, error) {
	if flag == "" {
		flag = m.Step
	}
	if flag == "" {
		return evaluate.Explicit, nil
	}
	return evaluate.ParseStep(flag)
}

// jsonFloat is a float64 that JSON carries as null when it is NaN or
// infinite (JSON has no such numbers; encoding/json fails on them).
type jsonFloat float64

// MarshalJSON writes f, or null when f is not finite.
func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(v)
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// atLeast checks an integer flag against its smallest allowed value.
func atLeast(flag string, v, lo int) error {
	if v < lo {
		return fmt.Errorf("%s %d: want at least %d", flag, v, lo)
	}
	return nil
}

// atLeastF checks a float flag: finite and at least lo.
func atLeastF(flag string, v, lo float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < lo {
		return fmt.Errorf("%s %v: want a finite number ≥ %g", flag, v, lo)
	}
	return nil
}

// positive checks a float flag: finite and > 0.
func positive(flag string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
		return fmt.Errorf("%s %v: want a finite number > 0", flag, v)
	}
	return nil
}

// widths checks a list of layer widths.
func widths(flag string, ws []int) error {
	for _, w := range ws {
		if w < 1 {
			return fmt.Errorf("%s: width %d, want at least 1", flag, w)
		}
	}
	return nil
}

// dtHelp and weightsHelp document the --dt and --weights-column flags of
// the commands that read snapshots.
const (
	dtHelp      = "Time between snapshots, for a directory that does not record its times (no times.npy, no dt= in args.txt). Data that records its times (a CSV t column, times.npy, args.txt) must agree with it."
	weightsHelp = "CSV: the column of particle weights (none by default; a column named weight is refused unless named here)."
)
