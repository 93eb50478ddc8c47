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

// arrows is a plotter of vectors (u, v) anchored at (x, y), in data
// units, each in its own colour.
type arrows struct {
	x, y, u, v []float64
	colors     []color.Color // one per arrow
	width      vg.Length
}

func (a *arrows) Plot(c draw.Canvas, p *gplot.Plot) {
	trX, trY := p.Transforms(&c)
	for i := range a.x {
		sty := draw.LineStyle{Color: a.colors[i], Width: a.width}
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
// Arrows have one length (0.8 of a grid cell) and show the direction;
// their colour shows the magnitude |∇V| on one scale shared by both panels,
// with a colour bar. With data the scale tops at the 98th percentile of
// |∇V| over the observed particles (stronger drifts saturate), so the
// interior stays readable next to steep walls. For d > 2 the (x₁, x₂)
// components on the slice through the data mean are drawn.
func Drift(fitted Energy, truth *Energy, data *snapshot.Snapshots, o Options) (*Figure, error) {
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
	t := o.time(data)
	n := o.arrows()
	pts, np := dataPoints(data, b, at, 4000)
	type fld struct{ x, y, u, v, m []float64 }
	fs := make([]fld, len(es))
	top, dataTop := 0.0, 0.0
	for i, e := range es {
		x, y, u, v := driftField(e, b, n, at, t)
		m := make([]float64, len(u))
		for k := range u {
			m[k] = math.Hypot(u[k], v[k])
			if !math.IsNaN(m[k]) && !math.IsInf(m[k], 0) {
				top = max(top, m[k])
			}
		}
		fs[i] = fld{x, y, u, v, m}
		if np > 0 {
			g := make([]float64, np*d)
			e.Model.PotentialGrad(g, pts, np, t, e.Theta)
			mag := make([]float64, np)
			for k := range mag {
				mag[k] = math.Hypot(g[k*d], g[k*d+1])
			}
			if q := quantile(mag, scaleQuantile); q > 0 {
				dataTop = max(dataTop, q)
			}
		}
	}
	top, label := capScale(top, dataTop, "|∂V/∂x|")
	cm := arrowRamp()
	cm.SetMin(0)
	cm.SetMax(top)
	length := 0.8 * math.Min((b.X1-b.X0)/float64(n-1), (b.Y1-b.Y0)/float64(n-1))
	var row []Panel
	for i, f := range fs {
		// Liberation fonts have no ∇: write the gradient as ∂V/∂x.
		when := ""
		if es[i].Model.TimeDependent() {
			when = fmt.Sprintf(" at t = %.4g", t)
		}
		p := newPlot(fmt.Sprintf("%s drift −∂V/∂x%s%s", names[i], when, sliceNote(d)))
		a := &arrows{width: vg.Points(0.9)}
		for k := range f.u {
			if !(f.m[k] > 1e-12*top) || math.IsInf(f.m[k], 0) {
				continue
			}
			c, err := cm.At(min(f.m[k], top))
			if err != nil {
				continue
			}
			a.x, a.y = append(a.x, f.x[k]), append(a.y, f.y[k])
			a.u, a.v = append(a.u, f.u[k]/f.m[k]*length), append(a.v, f.v[k]/f.m[k]*length)
			a.colors = append(a.colors, c)
		}
		p.Add(a)
		setRange(p, b)
		row = append(row, Panel{Drawer: p, Equal: true})
	}
	row = append(row, Panel{Drawer: colorBar(cm, label), Width: 0.28})
	return &Figure{Rows: [][]Panel{row}}, nil
}
