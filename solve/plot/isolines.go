package plot

import (
	"image/color"
	"math"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// isolines draws level curves of a grid by marching squares, segment by
// segment in a fixed order. (gonum's plotter.Contour joins segments into
// paths through map iteration, so its drawing order, and therefore the
// anti-aliased pixels where lines meet, changes from run to run; jko's
// plots must be byte-for-byte reproducible.)
type isolines struct {
	grid   plotter.GridXYZ
	levels []float64
	style  draw.LineStyle
}

// Plot implements gonum/plot's Plotter.
func (l isolines) Plot(c draw.Canvas, p *gplot.Plot) {
	trX, trY := p.Transforms(&c)
	c.SetLineStyle(l.style)
	cols, rows := l.grid.Dims()
	for _, z := range l.levels {
		for i := 0; i+1 < cols; i++ {
			for j := 0; j+1 < rows; j++ {
				l.cell(c, trX, trY, i, j, z)
			}
		}
	}
}

// cell draws the segments of level z in the cell with corners (i, j) and
// (i+1, j+1).
func (l isolines) cell(c draw.Canvas, trX, trY func(float64) vg.Length, i, j int, z float64) {
	g := l.grid
	xs := [4]float64{g.X(i), g.X(i + 1), g.X(i + 1), g.X(i)}
	ys := [4]float64{g.Y(j), g.Y(j), g.Y(j + 1), g.Y(j + 1)}
	vs := [4]float64{g.Z(i, j), g.Z(i+1, j), g.Z(i+1, j+1), g.Z(i, j+1)}
	for _, v := range vs {
		if math.IsNaN(v) {
			return
		}
	}
	// Crossing points on the four edges, in edge order.
	var pts []vg.Point
	for e := 0; e < 4; e++ {
		a, b := vs[e], vs[(e+1)%4]
		if (a < z) == (b < z) {
			continue
		}
		t := (z - a) / (b - a)
		x := xs[e] + t*(xs[(e+1)%4]-xs[e])
		y := ys[e] + t*(ys[(e+1)%4]-ys[e])
		pts = append(pts, vg.Point{X: trX(x), Y: trY(y)})
	}
	// Two crossings make one segment; four (a saddle) make two, paired
	// by the cell's mean value: when the centre is on corner 0's side,
	// corners 0 and 2 are joined through it and the segments cut off
	// corners 1 (edges 0, 1) and 3 (edges 2, 3); otherwise they cut off
	// corners 0 (edges 3, 0) and 2 (edges 1, 2).
	switch len(pts) {
	case 2:
		c.StrokeLine2(l.style, pts[0].X, pts[0].Y, pts[1].X, pts[1].Y)
	case 4:
		mean := (vs[0] + vs[1] + vs[2] + vs[3]) / 4
		if (mean < z) == (vs[0] < z) {
			c.StrokeLine2(l.style, pts[0].X, pts[0].Y, pts[1].X, pts[1].Y)
			c.StrokeLine2(l.style, pts[2].X, pts[2].Y, pts[3].X, pts[3].Y)
		} else {
			c.StrokeLine2(l.style, pts[3].X, pts[3].Y, pts[0].X, pts[0].Y)
			c.StrokeLine2(l.style, pts[1].X, pts[1].Y, pts[2].X, pts[2].Y)
		}
	}
}

// isolineStyle is the thin translucent white of the level curves.
var isolineStyle = draw.LineStyle{Color: color.NRGBA{255, 255, 255, 150}, Width: vg.Points(0.6)}
