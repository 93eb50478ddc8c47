package plot

import (
	"fmt"
	"image/color"

	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// stride returns the rows of an n-row snapshot that are drawn: every
// ⌈n/max⌉-th row, so paired data keep the same particles at every time.
func stride(n, maxPts int) []int {
	s := (n + maxPts - 1) / maxPts
	var rows []int
	for i := 0; i < n; i += max(s, 1) {
		rows = append(rows, i)
	}
	return rows
}

func scatterXY(x *mat.Dense, rows []int) plotter.XYs {
	xy := make(plotter.XYs, len(rows))
	for i, r := range rows {
		xy[i] = plotter.XY{X: x.At(r, 0), Y: x.At(r, 1)}
	}
	return xy
}

// Snapshots draws the observed snapshots (small filled points, one colour
// per time) and, when fitted is non-nil, the one-step predictions of the
// fitted dynamics from each snapshot k to time t_{k+1} (rings in the
// colour of t_{k+1}). Particles beyond Options.MaxPoints per snapshot are
// left out with a fixed stride; for d > 2 the (x₁, x₂) projection is shown.
// The legend is a separate panel to the right, so it never covers data.
func Snapshots(fitted *Energy, data *snapshot.Snapshots, o Options) (*Figure, error) {
	if data == nil || data.Len() == 0 {
		return nil, fmt.Errorf("plot: no snapshots")
	}
	if data.Dim() < 2 {
		return nil, fmt.Errorf("plot: only dimensions d ≥ 2 can be plotted")
	}
	var flow *evaluate.Flow
	if fitted != nil {
		if err := fitted.check("fitted"); err != nil {
			return nil, err
		}
		if fitted.Model.Dim != data.Dim() {
			return nil, fmt.Errorf("plot: the model is %d-D, the data %d-D", fitted.Model.Dim, data.Dim())
		}
		var err error
		if flow, err = evaluate.NewFlow(fitted.Model, fitted.Theta, o.Seed); err != nil {
			return nil, err
		}
	}
	title := "snapshots"
	if flow != nil {
		title = "snapshots and one-step predictions"
	}
	if data.Dim() > 2 {
		title += " (x₁, x₂ projection)"
	}
	p := newPlot(title)
	setRange(p, region(data, o))
	cols := rampColors(data.Len())
	leg := gplot.NewLegend()
	leg.Top = true
	leg.Left = true
	leg.TextStyle.Font.Size = vg.Points(10)
	radius := vg.Points(1.6)
	for k, x := range data.X {
		r, _ := x.Dims()
		rows := stride(r, o.maxPoints())
		s, err := plotter.NewScatter(scatterXY(x, rows))
		if err != nil {
			return nil, err
		}
		s.GlyphStyle = draw.GlyphStyle{Color: cols[k], Radius: radius, Shape: draw.CircleGlyph{}}
		p.Add(s)
		leg.Add(fmt.Sprintf("t = %.4g", data.Times[k]), s)
	}
	if flow != nil {
		for k := 0; k+1 < data.Len(); k++ {
			dt := data.Times[k+1] - data.Times[k]
			pred, err := evaluate.Predict(flow, data.X[k], data.Times[k], dt, 1, o.Seed+uint64(k), o.Step)
			if err != nil {
				return nil, fmt.Errorf("plot: predicting step %d: %w", k, err)
			}
			r, _ := pred[0].Dims()
			s, err := plotter.NewScatter(scatterXY(pred[0], stride(r, o.maxPoints())))
			if err != nil {
				return nil, err
			}
			s.GlyphStyle = draw.GlyphStyle{Color: cols[k+1], Radius: vg.Points(3), Shape: draw.RingGlyph{}}
			p.Add(s)
		}
		ring, _ := plotter.NewScatter(plotter.XYs{{}})
		ring.GlyphStyle = draw.GlyphStyle{Color: color.Gray{90}, Radius: vg.Points(3), Shape: draw.RingGlyph{}}
		leg.Add("predicted", ring)
	}
	return &Figure{Rows: [][]Panel{{
		{Drawer: p, Equal: true},
		{Drawer: legendPanel{&leg}, Width: 0.3},
	}}}, nil
}

// legendPanel draws a legend in its own tile, below a title-high gap.
type legendPanel struct{ l *gplot.Legend }

func (lp legendPanel) Draw(c draw.Canvas) {
	c = draw.Crop(c, 0, 0, 0, -vg.Points(30))
	lp.l.Draw(c)
}
