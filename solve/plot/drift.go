package plot

import (
	"fmt"
	"image/color"
	"math"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/snapshot"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// arrows is a plotter of vectors (U, V) anchored at (X, Y), in data units.
type arrows struct {
	x, y, u, v []float64
	color      color.Color
	width      vg.Length
}

func (a *arrows) Plot(c draw.Canvas, p *gplot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := draw.LineStyle{Color: a.color, Width: a.width}
	for i := range a.x {
		x0, y0 := trX(a.x[i]), trY(a.y[i])
		x1, y1 := trX(a.x[i]+a.u[i]), trY(a.y[i]+a.v[i])
		dx, dy := float64(x1-x0), float64(y1-y0)
		l := math.Hypot(dx, dy)
		if !(l > 0.5) || math.IsNaN(l) {
			continue
		}
		c.StrokeLine2(sty, x0, y0, x1, y1)
		// Head: two strokes back from the tip, at ±25°, a third of the
		// arrow long but at most 5 pt.
		h := math.Min(l/3, 5)
		ux, uy := dx/l, dy/l
		for _, s := range []float64{1, -1} {
			cs, sn := math.Cos(25*math.Pi/180), s*math.Sin(25*math.Pi/180)
			bx := -(ux*cs - uy*sn) * h
			by := -(ux*sn + uy*cs) * h
			c.StrokeLine2(sty, x1, y1, x1+vg.Length(bx), y1+vg.Length(by))
		}
	}
}

// driftField evaluates −∇V on an n×n grid over b in the slice through at
// (only the x₁, x₂ components are kept).
func driftField(e Energy, b Box, n int, at []float64, t float64) (x, y, u, v []float64) {
	d := e.Model.Dim
	pts, xs, ys := points(b, n, at)
	g := make([]float64, n*n*d)
	e.Model.PotentialGrad(g, pts, n*n, t, e.Theta)
	for j := range ys {
		for i := range xs {
			k := j*n + i
			x, y = append(x, xs[i]), append(y, ys[j])
			u, v = append(u, -g[k*d]), append(v, -g[k*d+1])
		}
	}
	return
}

// Drift draws the drift field −∇V of the fitted potential as arrows on a
// grid and, when truth is non-nil, that of the true potential beside it.
// Both use one scale: the longest arrow over both panels spans 0.9 of a
// grid cell, and the x-axis label gives the largest |∇V| of each panel. For
// d > 2 the (x₁, x₂) components on the slice through the data mean are
// drawn.
func Drift(fitted Energy, truth *Energy, data *snapshot.Snapshots, o Options) (*Figure, error) {
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
	t := o.time(data)
	n := o.arrows()
	type fld struct{ x, y, u, v []float64 }
	fs := make([]fld, len(es))
	peak := make([]float64, len(es))
	top := 0.0
	for i, e := range es {
		x, y, u, v := driftField(e, b, n, at, t)
		fs[i] = fld{x, y, u, v}
		for k := range u {
			if m := math.Hypot(u[k], v[k]); !math.IsNaN(m) && !math.IsInf(m, 0) {
				peak[i] = max(peak[i], m)
			}
		}
		top = max(top, peak[i])
	}
	cell := math.Min((b.X1-b.X0)/float64(n-1), (b.Y1-b.Y0)/float64(n-1))
	scale := 0.0
	if top > 0 {
		scale = 0.9 * cell / top
	}
	var row []Panel
	for i, f := range fs {
		// Liberation fonts have no ∇: write the gradient as ∂V/∂x.
		p := newPlot(fmt.Sprintf("%s drift −∂V/∂x%s", names[i], sliceNote(d)))
		p.X.Label.Text = fmt.Sprintf("x₁\nlongest arrow: |∂V/∂x| = %.3g", peak[i])
		u := make([]float64, len(f.u))
		v := make([]float64, len(f.v))
		for k := range u {
			u[k], v[k] = f.u[k]*scale, f.v[k]*scale
		}
		p.Add(&arrows{x: f.x, y: f.y, u: u, v: v, color: color.NRGBA{30, 50, 110, 255}, width: vg.Points(0.8)})
		setRange(p, b)
		row = append(row, Panel{Drawer: p, Equal: true})
	}
	return &Figure{Rows: [][]Panel{row}}, nil
}
