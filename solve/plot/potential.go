package plot

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/snapshot"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
)

// field is values on a grid: z[j*len(xs)+i] at (xs[i], ys[j]).
type field struct {
	xs, ys, z []float64
}

func (f *field) Dims() (c, r int)   { return len(f.xs), len(f.ys) }
func (f *field) Z(c, r int) float64 { return f.z[r*len(f.xs)+c] }
func (f *field) X(c int) float64    { return f.xs[c] }
func (f *field) Y(r int) float64    { return f.ys[r] }

// PotentialGrid evaluates the potential of e on an n×n grid over b in the
// slice through at (len(at) = d), shifted to minimum 0 over the grid.
// Non-finite values become NaN and are left out of the minimum.
func PotentialGrid(e Energy, b Box, n int, at []float64, t float64) (xs, ys, z []float64) {
	xs, ys, z, _ = potentialGrid(e, b, n, at, t)
	return xs, ys, z
}

// potentialGrid is PotentialGrid that also returns the shift (the grid's
// minimum) that was subtracted.
func potentialGrid(e Energy, b Box, n int, at []float64, t float64) (xs, ys, z []float64, lo float64) {
	pts, xs, ys := points(b, n, at)
	z = make([]float64, n*n)
	e.Model.PotentialValue(z, pts, n*n, t, e.Theta)
	lo = math.Inf(1)
	for i, v := range z {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			z[i] = math.NaN()
			continue
		}
		lo = min(lo, v)
	}
	for i := range z {
		z[i] -= lo
	}
	return xs, ys, z, lo
}

// maxTimes is the most snapshot times a time-dependent potential is drawn at.
const maxTimes = 4

// potentialTimes returns the times at which the potentials are drawn: one
// (Options.T, else the first snapshot's) unless some model depends on t
// and the data have several times; then up to maxTimes snapshot times,
// the first and the last among them.
func potentialTimes(data *snapshot.Snapshots, o Options, es []Energy) []float64 {
	dep := false
	for _, e := range es {
		dep = dep || e.Model.TimeDependent()
	}
	if o.T != nil || !dep || data == nil || data.Len() < 2 {
		return []float64{o.time(data)}
	}
	var ts []float64
	for _, k := range spread(data.Len(), maxTimes) {
		ts = append(ts, data.Times[k])
	}
	return ts
}

// spread returns min(n, m) indices of 0…n−1, evenly spaced, the first and
// the last among them.
func spread(n, m int) []int {
	if n <= m {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	idx := make([]int, m)
	for i := range idx {
		idx[i] = int(math.Round(float64(i) * float64(n-1) / float64(m-1)))
	}
	return idx
}

// Potential draws the level curves of the fitted potential and, when truth
// is non-nil, of the true one beside it (below it for a time-dependent
// potential, which is drawn at up to four snapshot times, one panel
// each). Each potential is shifted to minimum 0 over the plotted grid at
// each time. All panels share one colour scale and one colour bar; with
// data its top is the 98th percentile of the shifted potentials over the
// observed particles, so that confining walls far from the population do
// not flatten the wells and barriers where it lives (higher values
// saturate).
func Potential(fitted Energy, truth *Energy, data *snapshot.Snapshots, o Options) (*Figure, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	es := []Energy{fitted}
	names := []string{"fitted"}
	if truth != nil {
		es = append(es, *truth)
		names = append(names, "true")
	}
	for i, e := range es {
		if err := e.check(names[i]); err != nil {
			return nil, err
		}
		if !e.Model.Has(compile.Potential) {
			return nil, fmt.Errorf("plot: the %s model has no potential term", names[i])
		}
	}
	d := fitted.Model.Dim
	if truth != nil && truth.Model.Dim != d {
		return nil, fmt.Errorf("plot: fitted model is %d-D, true model %d-D", d, truth.Model.Dim)
	}
	b := region(data, o)
	at := base(d, data)
	times := potentialTimes(data, o, es)
	n := o.grid()
	pts, np := dataPoints(data, b, at, 4000)
	// fields[i][j]: model i at time j.
	fields := make([][]*field, len(es))
	top, dataTop := 0.0, 0.0
	for i, e := range es {
		for _, t := range times {
			xs, ys, z, lo := potentialGrid(e, b, n, at, t)
			fields[i] = append(fields[i], &field{xs, ys, z})
			for _, v := range z {
				if !math.IsNaN(v) {
					top = max(top, v)
				}
			}
			if np > 0 {
				v := make([]float64, np)
				e.Model.PotentialValue(v, pts, np, t, e.Theta)
				for k := range v {
					v[k] -= lo
				}
				if q := quantile(v, scaleQuantile); q > 0 {
					dataTop = max(dataTop, q)
				}
			}
		}
	}
	top, label := capScale(top, dataTop, "V − min V")
	cm := viridis()
	cm.SetMin(0)
	cm.SetMax(top)
	pal := cm.Palette(256)
	over, _ := cm.At(top)
	levels := linspace(0, top, 12)[1:11]
	fig := &Figure{}
	for i, row := range fields {
		var panels []Panel
		for j, f := range row {
			title := names[i] + " V"
			if len(times) > 1 {
				title += fmt.Sprintf(" at t = %.4g", times[j])
			} else if fitted.Model.TimeDependent() || (truth != nil && truth.Model.TimeDependent()) {
				title += fmt.Sprintf(" (t = %.4g)", times[j])
			}
			p := newPlot(title + sliceNote(d))
			h := plotter.NewHeatMap(f, pal)
			h.Min, h.Max = 0, top
			h.Overflow = over
			h.Rasterized = true
			h.NaN = color.NRGBA{200, 200, 200, 255}
			p.Add(h)
			p.Add(isolines{grid: f, levels: levels, style: isolineStyle})
			setRange(p, b)
			panels = append(panels, Panel{Drawer: p, Equal: true})
		}
		if len(times) > 1 || i == len(fields)-1 {
			panels = append(panels, Panel{Drawer: colorBar(cm, label), Width: 0.28})
		}
		fig.Rows = append(fig.Rows, panels)
	}
	if len(times) == 1 && len(fig.Rows) > 1 {
		// One time: fitted and true side by side, one colour bar.
		fig.Rows = [][]Panel{append(fig.Rows[0], fig.Rows[1]...)}
	}
	return fig, nil
}

// colorBar is a narrow vertical colour bar with the label on its axis.
func colorBar(cm palette.ColorMap, label string) *gplot.Plot {
	p := newPlot(" ")
	p.X.Label.Text = " "
	p.HideX()
	p.X.Label.Text = ""
	p.Y.Label.Text = label
	p.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true, Colors: 256})
	p.Y.Tick.Marker = shortTicks{}
	return p
}

// shortTicks are gonum's default ticks labelled in the shortest form
// ("50", not "50.00"), which keeps a narrow colour bar readable.
type shortTicks struct{}

func (shortTicks) Ticks(lo, hi float64) []gplot.Tick {
	ts := gplot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', 4, 64)
		}
	}
	return ts
}
