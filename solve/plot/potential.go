package plot

import (
	"fmt"
	"image/color"
	"math"

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
	pts, xs, ys := points(b, n, at)
	z = make([]float64, n*n)
	e.Model.PotentialValue(z, pts, n*n, t, e.Theta)
	lo := math.Inf(1)
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
	return xs, ys, z
}

// Potential draws the level curves of the fitted potential and, when truth
// is non-nil, of the true one beside it, on one colour scale with a colour
// bar. Each potential is shifted to minimum 0 over the plotted grid.
func Potential(fitted Energy, truth *Energy, data *snapshot.Snapshots, o Options) (*Figure, error) {
	es := []Energy{fitted}
	titles := []string{"fitted V"}
	if truth != nil {
		es = append(es, *truth)
		titles = append(titles, "true V")
	}
	for i, e := range es {
		if err := e.check(titles[i][:len(titles[i])-2]); err != nil {
			return nil, err
		}
		if !e.Model.Has(compile.Potential) {
			return nil, fmt.Errorf("plot: the %s model has no potential term", titles[i][:len(titles[i])-2])
		}
	}
	d := fitted.Model.Dim
	if truth != nil && truth.Model.Dim != d {
		return nil, fmt.Errorf("plot: fitted model is %d-D, true model %d-D", d, truth.Model.Dim)
	}
	b := region(data, o)
	at := base(d, data)
	t := o.time(data)
	n := o.grid()
	fields := make([]*field, len(es))
	top := 0.0
	for i, e := range es {
		xs, ys, z := PotentialGrid(e, b, n, at, t)
		fields[i] = &field{xs, ys, z}
		for _, v := range z {
			if !math.IsNaN(v) {
				top = max(top, v)
			}
		}
	}
	if !(top > 0) {
		top = 1
	}
	cm := viridis()
	cm.SetMin(0)
	cm.SetMax(top)
	pal := cm.Palette(256)
	levels := linspace(0, top, 12)[1:11]
	row := make([]Panel, 0, 3)
	for i, f := range fields {
		p := newPlot(titles[i] + sliceNote(d))
		h := plotter.NewHeatMap(f, pal)
		h.Min, h.Max = 0, top
		h.Rasterized = true
		h.NaN = color.NRGBA{200, 200, 200, 255}
		p.Add(h)
		p.Add(isolines{grid: f, levels: levels, style: isolineStyle})
		setRange(p, b)
		row = append(row, Panel{Drawer: p, Equal: true})
	}
	row = append(row, Panel{Drawer: colorBar(cm, "V − min V"), Width: 0.28})
	return &Figure{Rows: [][]Panel{row}}, nil
}

// colorBar is a narrow vertical colour bar with the label on its axis.
func colorBar(cm palette.ColorMap, label string) *gplot.Plot {
	p := newPlot(" ")
	p.X.Label.Text = " "
	p.HideX()
	p.X.Label.Text = ""
	p.Y.Label.Text = label
	p.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true, Colors: 256})
	return p
}
