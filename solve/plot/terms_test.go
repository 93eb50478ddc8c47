package plot

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

const (
	aggTruth  = "potential V(x) = 0.25*sum(x^4) - sum(x^2)\ninteraction U(z) = 0.5*sum(z^2)\ninternal f(rho) = 0.05*rho*log(rho)\n"
	aggFitted = "param a = 0.3\nparam c = 0.4\nparam beta = 0.07\npotential V(x) = a*sum(x^4) - sum(x^2)\ninteraction U(z) = c*sum(z^2)\ninternal f(rho) = beta*rho*log(rho)\n"
)

func simulate(t *testing.T, e Energy, steps int) *snapshot.Snapshots {
	t.Helper()
	flow, err := evaluate.NewFlow(e.Model, e.Theta)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Run(flow, sim.Options{Particles: 120, Steps: steps, Dt: 0.01, Seed: 1,
		Init: sim.Init{Kind: "uniform", Lo: -3, Hi: 3}})
	if err != nil {
		t.Fatal(err)
	}
	return &snapshot.Snapshots{Times: res.Times, X: res.X}
}

// figureTitles joins the titles of a figure's plots.
func figureTitles(f *Figure) string {
	var ts []string
	for _, row := range f.Rows {
		for _, p := range row {
			if pl, ok := p.Drawer.(*gplot.Plot); ok {
				ts = append(ts, pl.Title.Text)
			}
		}
	}
	return strings.Join(ts, " | ")
}

func TestQuantileAndSpread(t *testing.T) {
	v := []float64{4, math.NaN(), 1, 3, 2, math.Inf(1)}
	for _, c := range []struct{ q, want float64 }{{0, 1}, {1, 4}, {0.5, 2.5}, {1.0 / 3, 2}} {
		if got := quantile(v, c.q); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("quantile(%g) = %g, want %g", c.q, got, c.want)
		}
	}
	if !math.IsNaN(quantile([]float64{math.NaN()}, 0.5)) {
		t.Error("quantile of no finite values is not NaN")
	}
	for _, c := range []struct {
		n, m int
		want string
	}{{3, 6, "[0 1 2]"}, {21, 6, "[0 4 8 12 16 20]"}, {11, 4, "[0 3 7 10]"}} {
		if got := fmt.Sprint(spread(c.n, c.m)); got != c.want {
			t.Errorf("spread(%d, %d) = %s, want %s", c.n, c.m, got, c.want)
		}
	}
}

// The colour scale of the potential tops at the particles' 98th
// percentile, below the grid's maximum (the quartic walls), and the
// figure still renders.
func TestPotentialScaleFromData(t *testing.T) {
	truth := energy(t, trueSpec, 2)
	data := simulate(t, truth, 2)
	f, err := Potential(truth, nil, data, Options{Grid: 30, Box: Box{-6, 6, -6, 6}})
	if err != nil {
		t.Fatal(err)
	}
	row := f.Rows[0]
	bar := row[len(row)-1].Drawer.(*gplot.Plot)
	if !strings.Contains(bar.Y.Label.Text, "capped") {
		t.Errorf("colour bar %q does not say it is capped", bar.Y.Label.Text)
	}
	_, _, z := PotentialGrid(truth, Box{-6, 6, -6, 6}, 30, []float64{0, 0}, 0)
	top := 0.0
	for _, v := range z {
		top = max(top, v)
	}
	if got := bar.Y.Max; !(got < top/4) {
		t.Errorf("colour scale tops at %g, the walls at %g: not capped over the data", got, top)
	}
}

// A time-dependent potential is drawn at several snapshot times, fitted
// above true, each row with its colour bar.
func TestPotentialSmallMultiples(t *testing.T) {
	e := energy(t, "potential V(x, t) = sum(x^2) + 10*t*x[0]\n", 2)
	data := simulate(t, e, 10)
	f, err := Potential(e, &e, data, Options{Grid: 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Rows) != 2 || len(f.Rows[0]) != maxTimes+1 {
		t.Fatalf("rows %d × %d panels, want 2 × %d", len(f.Rows), len(f.Rows[0]), maxTimes+1)
	}
	if got := f.Rows[1][maxTimes-1].Drawer.(*gplot.Plot).Title.Text; got != "true V at t = 0.1" {
		t.Errorf("last true panel titled %q", got)
	}
	// A fixed time: one row.
	t0 := 0.05
	f, err = Potential(e, &e, data, Options{Grid: 20, T: &t0})
	if err != nil || len(f.Rows) != 1 || len(f.Rows[0]) != 3 {
		t.Fatalf("with Options.T: %v, %d rows", err, len(f.Rows))
	}
}

// The interaction kernel is drawn fitted against true with the right
// values (shifted to 0 at r_max), and U's non-radial form gets a second
// direction.
func TestInteractionKernel(t *testing.T) {
	truth := energy(t, aggTruth, 2)
	fitted := energy(t, aggFitted, 2)
	data := simulate(t, truth, 2)
	_, ls, err := interaction(fitted, &truth, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 {
		t.Fatalf("%d curves, want fitted and true", len(ls))
	}
	// Fitted: 0.4 r² − 0.4 r_max².
	xy := ls[0].xy
	rmax := xy[len(xy)-1].X
	for _, q := range xy {
		if want := 0.4 * (q.X*q.X - rmax*rmax); math.Abs(q.Y-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Fatalf("U(%g) = %g, want %g", q.X, q.Y, want)
		}
	}
	aniso := energy(t, "interaction U(z) = z[0]^2\n", 2)
	_, ls, err = interaction(aniso, nil, data)
	if err != nil || len(ls) != 2 {
		t.Errorf("anisotropic U: %v, %d curves, want 2 directions", err, len(ls))
	}
	if _, err := Interaction(energy(t, trueSpec, 2), nil, data, Options{}); err == nil {
		t.Error("a model without interaction: no error")
	}
}

// The internal energy is drawn as ρ f″(ρ): the constant β for an
// entropy, named in the legend.
func TestInternalEntropy(t *testing.T) {
	truth := energy(t, aggTruth, 2)
	fitted := energy(t, aggFitted, 2)
	data := simulate(t, truth, 2)
	p, ls, err := internal(fitted, &truth, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 {
		t.Fatalf("%d curves, want 2", len(ls))
	}
	for i, want := range []float64{0.07, 0.05} {
		for _, q := range ls[i].xy {
			if math.Abs(q.Y-want) > 1e-12 {
				t.Fatalf("curve %d: ρ f″ = %g at ρ = %g, want %g", i, q.Y, q.X, want)
			}
		}
	}
	var buf bytes.Buffer
	fig := &Figure{Rows: [][]Panel{{{Drawer: p}}}}
	if err := fig.WriteTo(&buf, "svg", 5*vg.Centimeter); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "β = 0.07") {
		t.Error("the legend does not name the fitted β")
	}
}

// All draws every term of an aggregation model, and an interaction-only
// model draws its kernel; a single loss value is left out with a note.
func TestAllTerms(t *testing.T) {
	truth := energy(t, aggTruth, 2)
	fitted := energy(t, aggFitted, 2)
	data := simulate(t, truth, 2)
	o := Options{Grid: 20, Arrows: 6}
	f, err := All(fitted, &truth, data, &LossCurve{Epochs: []float64{1}, Loss: []float64{0.3}}, o)
	if err != nil {
		t.Fatal(err)
	}
	titles := figureTitles(f)
	for _, want := range []string{"fitted V", "true V", "fitted drift", "snapshots", "interaction kernel", "internal energy"} {
		if !strings.Contains(titles, want) {
			t.Errorf("no %q panel in %s", want, titles)
		}
	}
	if strings.Contains(titles, "loss") || len(f.Notes) != 1 || !strings.Contains(f.Notes[0], "single loss value") {
		t.Errorf("single loss value: titles %s, notes %q", titles, f.Notes)
	}
	only := energy(t, "interaction U(z) = 0.5*sum(z^2)\n", 2)
	f, err = All(only, nil, data, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	if titles := figureTitles(f); !strings.Contains(titles, "interaction kernel") || strings.Contains(titles, "V") {
		t.Errorf("interaction-only model: panels %s", titles)
	}
	if len(f.Notes) != 1 || !strings.Contains(f.Notes[0], "no potential") {
		t.Errorf("interaction-only notes %q", f.Notes)
	}
	dir := t.TempDir()
	for _, ext := range []string{"png", "svg", "pdf"} {
		path := filepath.Join(dir, "all."+ext)
		if err := f.Save(path, 3*vg.Centimeter); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		magic := map[string]string{"png": "\x89PNG", "svg": "<?xml", "pdf": "%PDF"}[ext]
		if !bytes.HasPrefix(b, []byte(magic)) {
			t.Errorf(".%s file starts %q", ext, b[:min(len(b), 8)])
		}
	}
}

// iJKOnet's gap is labelled a gap, not a training loss.
func TestLossCurveNames(t *testing.T) {
	c, err := ReadLossCurve(strings.NewReader("epoch,gap,map_loss\n1,-0.5,2\n2,-0.2,1\n"))
	if err != nil || c.Name != "gap" || len(c.Loss) != 2 || c.Loss[1] != -0.2 {
		t.Fatalf("got %+v, %v", c, err)
	}
	p, err := c.Plot()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Title.Text, "gap") || strings.Contains(p.Title.Text, "loss") {
		t.Errorf("gap titled %q", p.Title.Text)
	}
	c, _ = ReadLossCurve(strings.NewReader("epoch,loss\n1,0.5\n2,0.25\n"))
	if p, _ := c.Plot(); p.Title.Text != "training loss" {
		t.Errorf("loss titled %q", p.Title.Text)
	}
	if _, err := (LossCurve{Epochs: []float64{1}, Loss: []float64{3}}).Plot(); err == nil {
		t.Error("a single loss value plotted")
	}
}
