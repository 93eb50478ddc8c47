package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/jko-org/jko/compile"
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

// dataFlags are the flags that say how to read snapshots.
type dataFlags struct {
	Split   string  // train, test, all, or "" for the command's default
	Dt      float64 // time between snapshots, 0: from the data
	Weights string  // CSV: the weights column, "" for none
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
		s, err = snapshot.CSVOptions{Weights: f.Weights}.Read(file, path)
		var se *snapshot.Error
		if errors.As(err, &se) && f.Weights == "" && strings.EqualFold(se.Column, "weight") && se.Line > 0 {
			return nil, fmt.Errorf("%w (--weights-column %s takes it as particle weights)", err, se.Column)
		}
		if err != nil {
			return nil, err
		}
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

// applyParams overrides entries of θ by parameter name.
func applyParams(m *compile.Model, theta []float64, vals map[string][]float64) error {
	var names []string
	for n := range vals {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := vals[n]
		found := false
		for _, p := range m.Params {
			if p.Name != n {
				continue
			}
			found = true
			for _, x := range v {
				if math.IsNaN(x) || x < p.Lower || x > p.Upper {
					return fmt.Errorf("--param %s: %g is outside the bounds [%g, %g] the spec declares", n, x, p.Lower, p.Upper)
				}
			}
			switch len(v) {
			case 1:
				for i := 0; i < p.Size; i++ {
					theta[p.Offset+i] = v[0]
				}
			case p.Size:
				copy(theta[p.Offset:], v)
			default:
				return fmt.Errorf("--param %s: %d values for a parameter of size %d", n, len(v), p.Size)
			}
		}
		if !found {
			return fmt.Errorf("--param %s: the spec has no learnable parameter %s", n, n)
		}
	}
	return nil
}

// progress is a progress bar on stderr, silent when stderr is not a
// terminal or --quiet is set.
type progress struct {
	bar *progressbar.ProgressBar
}

func newProgress(g *globals, total int, desc string) *progress {
	if g.quiet || !g.tty || total <= 0 {
		return &progress{}
	}
	return &progress{bar: progressbar.NewOptions(total,
		progressbar.OptionSetWriter(g.stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100_000_000),
	)}
}

func (p *progress) set(done int, desc string) {
	if p.bar == nil {
		return
	}
	if desc != "" {
		p.bar.Describe(desc)
	}
	_ = p.bar.Set(done)
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

func fmtNum(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
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
