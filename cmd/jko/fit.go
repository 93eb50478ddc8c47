package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve"
	"github.com/jko-org/jko/solve/ijkonet"
	"github.com/jko-org/jko/solve/jkonet"
)

type fitCmd struct {
	Spec       string `arg:"" help:"Spec file (or a standard-library name) with the terms to learn."`
	Data       string `arg:"" help:"Snapshots: a JKOnet*-layout directory or a CSV file (time column + coordinates)."`
	Out        string `short:"o" required:"" placeholder:"FILE.jko" help:"Where to write the fitted spec (- for the standard output; the report then goes to the standard error)."`
	Method     string `help:"auto (linear when every term is affine in its parameters, else lbfgs or adam), linear, lbfgs, adam (all JKOnet*), or ijkonet (no couplings: unpaired snapshots; potential, interaction and entropy terms)." enum:"auto,linear,lbfgs,adam,ijkonet" default:"${method_default}"`
	Reg        string `help:"Ridge, relative to each parameter's feature size on the data (the same fit in any units): auto (generalised cross-validation over one step's rows, 0 on exact data) or a number ≥ 0 (0: the exact solve). The JKOnet* reference's 0.01 acts on τθ in absolute units." default:"${reg_default}"`
	Couplings  string `help:"exact (optimal transport), sinkhorn:EPS (entropic, ε relative to the mean squared distance) or minibatch:B (exact OT on random batches of B points, for clouds beyond exact reach; biased, see BENCHMARKS.md)." default:"${couplings_default}"`
	Density    string `help:"Density estimate for internal energies: gmm:K (the reference: gmm:10) or kde." default:"${density_default}"`
	Step       string `help:"The step to fit: explicit (Euler: the drift at x, the default) or implicit (the JKO step: the drift at y; the default for a spec that declares step implicit). The fitted spec declares the step it was fitted with; iJKOnet fits the implicit step." enum:",explicit,implicit" default:""`
	EvalAt     string `hidden:"" help:"Deprecated: --step (x is explicit, y implicit)." enum:",x,y" default:""`
	DensityAt  string `help:"Where the internal energy's term is taken: x (density of snapshot k), y (of snapshot k+1; the reference's choice) or follow --step (x for explicit, y for implicit)." enum:",x,y" default:""`
	dataFlags  `embed:"" set:"split_help=Which snapshots of a directory to fit: train (the default), test or all. A CSV file is fitted whole."`
	Seed       uint64  `help:"Random seed (density estimates, initial weights, mini-batches)." default:"0"`
	Epochs     int     `help:"Adam: passes over the coupling pairs." default:"${epochs_default}"`
	Batch      int     `help:"Adam: pairs per step." default:"${batch_default}"`
	LR         float64 `help:"Adam: learning rate." default:"${lr_default}"`
	Clip       float64 `help:"Adam: gradient-norm clip (0: none)." default:"${clip_default}"`
	MaxIter    int     `help:"L-BFGS: iterations." default:"${max_iter_default}"`
	Bootstrap  int     `help:"Refit to N resamplings of the coupling pairs (with --method ijkonet: of half of each snapshot's particles), seeded, in parallel, and report each parameter's bootstrap standard error and 95% interval (0: none)." default:"0"`
	JSON       bool    `help:"Print the report as JSON."`
	IJEpochs   int     `name:"ij-epochs" placeholder:"N" help:"iJKOnet: epochs, passes over the particles, one energy step per batch (0: 300 for neural specs, more than 200 parameters; 1000 for others)." default:"0"`
	IJMapSteps int     `name:"ij-map-steps" help:"iJKOnet: map steps per energy step (0: 5 for network maps, 1 Newton step for particle maps)." default:"0"`
	IJLR       float64 `name:"ij-lr" help:"iJKOnet: Adam learning rate of the spec's parameters at the first epoch (0: 0.01 for neural specs, 0.05 for others)." default:"0"`
	IJFinalLR  float64 `name:"ij-final-lr" placeholder:"LR" help:"iJKOnet: the spec parameters' learning rate at the last epoch, reached by a cosine schedule (default: --ij-lr/100; equal to --ij-lr for a constant rate)."`
	IJMapLR    float64 `name:"ij-map-lr" help:"iJKOnet: Adam learning rate of the transport maps." default:"${ij_map_lr_default}"`
	IJWidths   []int   `name:"ij-widths" help:"iJKOnet: hidden widths of the maps' MLP." default:"${ij_widths_default}"`
	IJMap      string  `name:"ij-map" help:"iJKOnet: the maps' form: particles (each particle's own displacement, solved as the proximal step: the exact best response; no entropy terms), gradient (T = x + ∇φ(x), φ a scalar MLP), residual (T = x + mlp(x)), or auto (particles, gradient for specs with entropy)." enum:"auto,gradient,residual,particles" default:"auto"`
	IJShared   bool    `name:"ij-shared" help:"iJKOnet: one time-conditioned map T(x, t) for all steps instead of one map per step."`
	IJHoldout  float64 `name:"ij-holdout" placeholder:"FRACTION" help:"iJKOnet: the fraction of each snapshot's particles held out to choose θ: the fit returns the θ of the epoch whose gap on them is the smallest (0: none, the last epoch's θ; at most 0.5)." default:"0"`
	IJBatch    int     `name:"ij-batch" help:"iJKOnet: particles drawn from each snapshot per step; an epoch takes as many steps as a snapshot holds batches (0: 256 for neural specs, more than 200 parameters; 500 for other specs with interaction terms, which cost batch² pairs; all particles otherwise. -1: all particles, one step per epoch). Consecutive snapshots are drawn in pairs under the optimal plan (the assignment for snapshots of equal size), which lowers the gradient's noise on unpaired snapshots without changing the objective." default:"0"`
	LossCSV    string  `name:"loss-csv" placeholder:"FILE.csv" help:"Write the training loss per epoch (adam) or the final loss (lbfgs) as CSV (epoch,loss; iJKOnet: epoch,gap,map_loss), for jko plot --loss."`
	cellFlags  `embed:""`
}

func (c fitCmd) ijOptions() (ijkonet.Options, error) {
	kind, err := ijkonet.ParseMapKind(c.IJMap)
	if err != nil {
		return ijkonet.Options{}, err
	}
	if c.IJBatch < -1 {
		return ijkonet.Options{}, fmt.Errorf("fit: --ij-batch %d: want a positive count, 0 (the default) or -1 (all particles)", c.IJBatch)
	}
	return ijkonet.Options{Epochs: c.IJEpochs, MapSteps: c.IJMapSteps, LR: c.IJLR, FinalLR: c.IJFinalLR, MapLR: c.IJMapLR,
		Widths: c.IJWidths, Map: kind, Shared: c.IJShared, Batch: c.IJBatch, Holdout: c.IJHoldout, Seed: c.Seed, Bootstrap: c.Bootstrap}, nil
}

// scheme resolves --step and its deprecated alias --eval-at (x is
// explicit, y implicit) to the scheme to fit: nil when neither is given
// (the spec's declaration).
func (c fitCmd) scheme() (*compile.Scheme, error) {
	name := c.Step
	if at := map[string]string{"x": "explicit", "y": "implicit"}[c.EvalAt]; at != "" {
		if name != "" && name != at {
			return nil, fmt.Errorf("fit: --step %s and --eval-at %s disagree (--eval-at is deprecated: use --step)", c.Step, c.EvalAt)
		}
		name = at
	}
	if name == "" {
		return nil, nil
	}
	s, err := compile.ParseScheme(name)
	if err != nil {
		return nil, fmt.Errorf("fit: --step: %w", err)
	}
	return &s, nil
}

// options reads the flags as the library's settings.
func (c fitCmd) options() (solve.Options, error) {
	var o solve.Options
	scheme, err := c.scheme()
	if err != nil {
		return o, err
	}
	if c.Method == "ijkonet" {
		o.Method = solve.MethodIJKOnet
		o.IJKOnet, err = c.ijOptions()
		return o, err
	}
	jo := &o.JKOnet
	if jo.Method, err = jkonet.ParseMethod(c.Method); err != nil {
		return o, fmt.Errorf("--method: %w", err)
	}
	if jo.Ridge, err = jkonet.ParseRidge(c.Reg); err != nil {
		return o, fmt.Errorf("--reg %s: want auto or a number ≥ 0", c.Reg)
	}
	if jo.Couplings, err = jkonet.ParseCouplings(c.Couplings); err != nil {
		return o, fmt.Errorf("--couplings: %w", err)
	}
	if jo.Density, err = jkonet.ParseDensity(c.Density); err != nil {
		return o, fmt.Errorf("--density: %w", err)
	}
	jo.Scheme, jo.DensityAt, jo.Seed, jo.Bootstrap = scheme, c.DensityAt, c.Seed, c.Bootstrap
	jo.Epochs, jo.BatchSize, jo.LR, jo.Clip, jo.MaxIter = c.Epochs, c.Batch, c.LR, c.Clip, c.MaxIter
	if c.Clip == 0 {
		jo.Clip = math.Inf(1) // --clip 0: none
	}
	return o, nil
}

// hint adds to a library error the flags that act on it.
func (c fitCmd) hint(err error) error {
	var ce *compile.Error
	switch {
	case c.Method == "linear" && errors.As(err, &ce):
		return fmt.Errorf("%w\nhint: --method lbfgs or --method adam fit terms that are not linear in their parameters", err)
	case c.Method != "ijkonet" && errors.Is(err, jkonet.ErrDiverged):
		return fmt.Errorf("%w (the learning rate is --lr, the gradient clip --clip)", err)
	case c.Method == "ijkonet" && errors.Is(err, ijkonet.ErrDiverged):
		return fmt.Errorf("%w (the learning rates are --ij-lr and --ij-map-lr)", err)
	}
	return err
}

// warningHint adds to a fit's warning the flags that act on it.
func warningHint(w string) string {
	switch {
	case strings.HasPrefix(w, "Adam: "):
		return w + " (--epochs, --lr)"
	case strings.HasPrefix(w, "L-BFGS stopped"):
		return w + " (--max-iter)"
	}
	return w
}

// fitReport is what fit prints.
type fitReport struct {
	Spec    string             `json:"spec"`
	Data    string             `json:"data"`
	Split   string             `json:"split"`
	TimesAt string             `json:"times"`
	Out     string             `json:"out"`
	Method  string             `json:"method"`
	Step    string             `json:"step"`
	EvalAt  string             `json:"eval_at"`
	Params  []paramReport      `json:"params"`
	Loss    jsonFloat          `json:"loss"`
	Linear  *linearReport      `json:"linear,omitempty"`
	Times   map[string]float64 `json:"seconds"`
	Total   float64            `json:"total_seconds"`
	Clamped []string           `json:"clamped,omitempty"`
	// Converged, Iterations and Status say how the optimiser stopped;
	// Warnings what to know before trusting the numbers.
	Converged  bool     `json:"converged"`
	Iterations int      `json:"iterations,omitempty"`
	Status     string   `json:"status,omitempty"`
	Warnings   []string `json:"warnings,omitempty"`
}

// paramReport is one fitted entry. StdErr is nil when there is none:
// without standard errors, or for an entry the data does not determine
// (NotIdentifiable) or held at a bound.
type paramReport struct {
	Name            string     `json:"name"`
	Value           jsonFloat  `json:"value"`
	StdErr          *jsonFloat `json:"stderr,omitempty"`
	NotIdentifiable bool       `json:"not_identifiable,omitempty"`
	Feature         string     `json:"feature,omitempty"`
	// Interval is the 95% interval when it is not value ± 1.96·stderr
	// (an entropy's β from the residual noise: its lower end is 0 when the
	// data are consistent with no diffusion).
	Interval *[2]jsonFloat `json:"interval,omitempty"`
	// Bootstrap is the bootstrap's standard error and 95% interval (with
	// --bootstrap).
	Bootstrap *bootReport `json:"bootstrap,omitempty"`
}

type linearReport struct {
	Rank          int       `json:"rank"`
	Unknowns      int       `json:"unknowns"`
	Cond          jsonFloat `json:"condition_number"`
	R2            jsonFloat `json:"r2"`
	RSS           jsonFloat `json:"rss"`
	NotIdentified []string  `json:"not_identifiable,omitempty"`
}

// validate rejects flag values that are out of range (never silently
// replaced by defaults).
func (c fitCmd) validate() error {
	return firstErr(
		atLeast("--bootstrap", c.Bootstrap, 0),
		atLeast("--epochs", c.Epochs, 1),
		atLeast("--batch", c.Batch, 1),
		positive("--lr", c.LR),
		atLeastF("--clip", c.Clip, 0),
		atLeast("--max-iter", c.MaxIter, 1),
		atLeast("--ij-epochs", c.IJEpochs, 0),
		atLeast("--ij-map-steps", c.IJMapSteps, 0),
		atLeastF("--ij-lr", c.IJLR, 0),
		atLeastF("--ij-final-lr", c.IJFinalLR, 0),
		atLeastF("--ij-map-lr", c.IJMapLR, 0),
		widths("--ij-widths", c.IJWidths),
	)
}

func (c fitCmd) Run(g *globals) error {
	start := time.Now()
	if err := c.validate(); err != nil {
		return err
	}
	o, err := c.options()
	if err != nil {
		return err
	}
	// Check the destinations before computing: a fit may take hours.
	if err := checkOutput("-o", c.Out); err != nil {
		return err
	}
	if c.LossCSV != "" {
		if err := checkOutput("--loss-csv", c.LossCSV); err != nil {
			return err
		}
	}
	spec, err := compile.LoadFile(c.Spec)
	if err != nil {
		return err
	}
	data, err := c.fitData(c.Data, c.dataFlags)
	if err != nil {
		return err
	}
	bar := newProgress(g, 0, "")
	o.JKOnet.Progress = func(stage string, done, total int, loss float64) {
		detail := ""
		if !math.IsNaN(loss) {
			detail = fmt.Sprintf("(loss %.4g)", loss)
		}
		bar.update(stage, done, total, detail)
	}
	o.IJKOnet.Progress = func(p ijkonet.Progress) {
		bar.update("epoch", p.Epoch, p.Epochs, fmt.Sprintf("(gap %.4g, maps %.4g)", p.Gap, p.MapLoss))
	}
	fitted, err := solve.Fit(spec, data.Snapshots, o)
	bar.finish()
	if err != nil {
		return c.hint(err)
	}
	m, res := fitted.Model, fitted.Result
	text, err := fitted.Spec(fitHeader(c, m, data, res)...)
	if err != nil {
		return err
	}
	var lossCSV []byte
	if c.LossCSV != "" {
		lossCSV = lossCurveCSV(res)
	}
	// The report first (a failed write then loses nothing that was shown),
	// to the standard error when the fitted spec goes to the standard output.
	rep := makeFitReport(c, m, data, res)
	rep.Total = time.Since(start).Seconds()
	report := g.stdout
	if c.Out == stdoutName || c.LossCSV == stdoutName {
		report = g.stderr
	}
	if c.JSON {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		report.Write(append(b, '\n'))
	} else {
		printFitReport(report, rep, res)
	}
	if err := writeOutput(g, "-o", c.Out, text); err != nil {
		return err
	}
	if c.LossCSV != "" {
		if err := writeOutput(g, "--loss-csv", c.LossCSV, lossCSV); err != nil {
			return err
		}
	}
	if !c.JSON && c.Out != stdoutName {
		fmt.Fprintf(report, "wrote %s\n", c.Out)
	}
	return nil
}

// lossCurveCSV is the --loss-csv file: epoch,loss (iJKOnet:
// epoch,gap,map_loss).
func lossCurveCSV(res *jkonet.Result) []byte {
	var b strings.Builder
	curve := res.LossCurve
	if len(curve) == 0 {
		curve = []float64{res.Loss}
	}
	if res.MapLossCurve != nil {
		b.WriteString("epoch,gap,map_loss\n")
	} else {
		b.WriteString("epoch,loss\n")
	}
	for i, l := range curve {
		fmt.Fprintf(&b, "%d,%s", i+1, strconv.FormatFloat(l, 'g', -1, 64))
		if res.MapLossCurve != nil {
			fmt.Fprintf(&b, ",%s", strconv.FormatFloat(res.MapLossCurve[i], 'g', -1, 64))
		}
		b.WriteString("\n")
	}
	return []byte(b.String())
}

func fitHeader(c fitCmd, m *compile.Model, data *dataset, res *jkonet.Result) []string {
	return []string{
		"# fitted by jko " + version + " with " + methodName(res.Method),
		fmt.Sprintf("# data %s (%s split): %d snapshots, %d-D, %s; %s, seed %d",
			c.Data, data.Split, data.Len(), data.Dim(), data.TimesNote, settingsNote(c, m, res), c.Seed),
	}
}

func makeFitReport(c fitCmd, m *compile.Model, data *dataset, res *jkonet.Result) fitReport {
	rep := fitReport{Spec: c.Spec, Data: c.Data, Split: data.Split, TimesAt: data.TimesNote, Out: c.Out, Method: res.Method,
		Step: res.Scheme.String(), EvalAt: res.Scheme.DriftAt(), Loss: jsonFloat(res.Loss), Times: map[string]float64{}, Clamped: res.Clamped,
		Converged: res.Converged, Iterations: res.Iterations, Status: res.Status}
	for _, w := range res.Warnings {
		rep.Warnings = append(rep.Warnings, warningHint(w))
	}
	for _, st := range res.Times {
		rep.Times[st.Name] = st.Time.Seconds()
	}
	for i, name := range res.Names {
		if hiddenEntry(m, i) {
			continue
		}
		p := paramReport{Name: name, Value: jsonFloat(res.Theta[i]), Feature: featureOf(m, i)}
		if res.StdErr != nil {
			if se := res.StdErr[i]; math.IsNaN(se) {
				p.NotIdentifiable = !slices.Contains(res.Clamped, name)
			} else {
				v := jsonFloat(se)
				p.StdErr = &v
			}
		}
		if ci := res.BetaCI; ci != nil && ci.Entry == i {
			p.Interval = &[2]jsonFloat{jsonFloat(ci.Lo), jsonFloat(ci.Hi)}
		}
		if b := res.Bootstrap; b != nil {
			p.Bootstrap = &bootReport{jsonFloat(b.StdErr[i]), jsonFloat(b.Lo[i]), jsonFloat(b.Hi[i])}
		}
		rep.Params = append(rep.Params, p)
	}
	if l := res.Linear; l != nil {
		lr := &linearReport{Rank: l.Rank, Unknowns: len(l.Theta), Cond: jsonFloat(l.Cond), R2: jsonFloat(l.R2), RSS: jsonFloat(l.RSS)}
		for _, d := range l.Unidentified {
			lr.NotIdentified = append(lr.NotIdentified, d.String())
		}
		rep.Linear = lr
	}
	return rep
}

// featureOf names the feature that entry i of θ multiplies, if known.
func featureOf(m *compile.Model, i int) string {
	for _, p := range m.Params {
		if i >= p.Offset && i < p.Offset+p.Size {
			return m.FeatureLabel(p.Name, i-p.Offset)
		}
	}
	return ""
}

func hiddenEntry(m *compile.Model, i int) bool {
	for _, p := range m.Params {
		if i >= p.Offset && i < p.Offset+p.Size {
			return p.Hidden
		}
	}
	return false
}

// shownParams is which of params the report lists, by index: all of
// them when there are at most limit, else the first limit and, in their
// place in the order, every scalar parameter and every entry with its own
// interval after them (a model with hundreds of feature weights still
// shows its diffusion β and its 95% interval).
func shownParams(params []paramReport, limit int) []int {
	var out []int
	for i, p := range params {
		if i < limit || len(params) <= limit || !strings.Contains(p.Name, "[") || p.Interval != nil {
			out = append(out, i)
		}
	}
	return out
}

func printFitReport(w io.Writer, rep fitReport, res *jkonet.Result) {
	if rep.Method == "ijkonet" {
		fmt.Fprintf(w, "method ijkonet, final gap %.6g\n", float64(rep.Loss))
	} else {
		fmt.Fprintf(w, "method %s (%s step: drift at %s), loss %.6g\n", rep.Method, rep.Step, rep.EvalAt, float64(rep.Loss))
	}
	fmt.Fprintf(w, "data %s (%s split), %s\n", rep.Data, rep.Split, rep.TimesAt)
	shown := shownParams(rep.Params, 24)
	// Columns: name (left), value (right), ± standard error or why
	// there is none (left), feature and bootstrap interval (left).
	rows := make([][4]string, len(shown))
	var wid [4]int
	for i, k := range shown {
		p := rep.Params[k]
		rows[i] = [4]string{p.Name, fmtNum(float64(p.Value)), "", p.Feature}
		switch {
		case p.StdErr != nil:
			rows[i][2] = "± " + fmtNum(float64(*p.StdErr))
		case p.NotIdentifiable:
			rows[i][2] = "not identifiable"
		case res.StdErr != nil:
			rows[i][2] = "at a bound"
		}
		if ci := p.Interval; ci != nil {
			rows[i][3] = strings.TrimSpace(rows[i][3] + fmt.Sprintf("  95%% [%s, %s]", fmtNum(float64(ci[0])), fmtNum(float64(ci[1]))))
		}
		if b := p.Bootstrap; b != nil {
			rows[i][3] = strings.TrimSpace(rows[i][3] + fmt.Sprintf("  bootstrap ± %s [%s, %s]", fmtNum(float64(b.StdErr)), fmtNum(float64(b.Lo)), fmtNum(float64(b.Hi))))
		}
		for j, c := range rows[i] {
			wid[j] = max(wid[j], utf8.RuneCountInString(c))
		}
	}
	// A line "… K more" stands where entries are left out.
	more := func(k int) {
		if k > 0 {
			fmt.Fprintf(w, "  … %d more parameters in %s\n", k, rep.Out)
		}
	}
	for i, r := range rows {
		if i > 0 {
			more(shown[i] - shown[i-1] - 1)
		}
		line := "  " + pad(r[0], wid[0], false) + "  " + pad(r[1], wid[1], true)
		if wid[2] > 0 {
			line += "  " + pad(r[2], wid[2], false)
		}
		if wid[3] > 0 {
			line += "  " + r[3]
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
	if len(shown) > 0 {
		more(len(rep.Params) - 1 - shown[len(shown)-1])
	}
	if l := rep.Linear; l != nil {
		fmt.Fprintf(w, "closed form: rank %d of %d, condition number %.3g, R² %.6f\n", l.Rank, l.Unknowns, float64(l.Cond), float64(l.R2))
		for _, s := range l.NotIdentified {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
	if len(rep.Clamped) > 0 {
		fmt.Fprintf(w, "held at a bound: %s\n", strings.Join(rep.Clamped, ", "))
	}
	switch {
	case rep.Method == "ijkonet" && rep.Status != "":
		// A game has no convergence test: say which epoch's θ it is.
		fmt.Fprintf(w, "ijkonet: %s\n", rep.Status)
	case rep.Method != "linear" && rep.Status != "":
		fmt.Fprintf(w, "%s: %d iterations, %s (converged: %v)\n", rep.Method, rep.Iterations, rep.Status, rep.Converged)
	}
	if b := res.Bootstrap; b != nil {
		fmt.Fprintf(w, "bootstrap: %d resampled fits (%d failed)\n", b.Replicates, b.Failed)
	}
	for _, s := range rep.Warnings {
		fmt.Fprintf(w, "warning: %s\n", s)
	}
	var parts []string
	for _, st := range res.Times {
		parts = append(parts, fmt.Sprintf("%s %.3fs", st.Name, st.Time.Seconds()))
	}
	fmt.Fprintf(w, "time: %s; total %.3fs\n", strings.Join(parts, ", "), rep.Total)
}

// pad pads s with spaces to width runes, on the left when right-aligned.
func pad(s string, width int, right bool) string {
	n := width - utf8.RuneCountInString(s)
	if n <= 0 {
		return s
	}
	if right {
		return strings.Repeat(" ", n) + s
	}
	return s + strings.Repeat(" ", n)
}

func settingsNote(c fitCmd, m *compile.Model, res *jkonet.Result) string {
	if res.Method == "ijkonet" {
		o, _ := c.ijOptions()
		o = o.WithDefaults(m)
		batch := "all particles"
		if o.Batch > 0 {
			batch = fmt.Sprintf("batch %d", o.Batch)
		}
		maps := fmt.Sprintf("%s maps", o.Map)
		if o.Map != ijkonet.Particles {
			maps = fmt.Sprintf("%s maps %v", o.Map, o.Widths)
			if o.Shared {
				maps += ", one time-conditioned map"
			}
		}
		held := ""
		if o.Holdout > 0 {
			held = fmt.Sprintf(", θ chosen by the gap on %g of the particles held out, every %d epochs", o.Holdout, o.SelectEvery)
		}
		return fmt.Sprintf("epochs %d, %s, %d map steps per energy step, lr %g → %g, map lr %g, %s%s", o.Epochs, maps, o.MapSteps, o.LR, o.FinalLR, o.MapLR, batch, held)
	}
	if res.Method == "linear" {
		return fmt.Sprintf("step %s, couplings %s, reg %s (relative ridge %.3g)", res.Scheme, c.Couplings, c.Reg, res.Ridge)
	}
	return fmt.Sprintf("step %s, couplings %s", res.Scheme, c.Couplings)
}

func methodName(m string) string {
	if m == "ijkonet" {
		return "iJKOnet (inverse optimisation, no couplings)"
	}
	return "JKOnet* (" + m + ")"
}

// bootReport is one parameter's bootstrap standard error and 95% interval.
type bootReport struct {
	StdErr jsonFloat `json:"stderr"`
	Lo     jsonFloat `json:"lo"`
	Hi     jsonFloat `json:"hi"`
}
