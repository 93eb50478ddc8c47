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
// per time; at most six times, evenly spread, the first and last among
// them) and, when fitted is non-nil, the one-step predictions of the
// fitted dynamics into each drawn snapshot from the one before it (rings
// in the colour of the drawn time). Particles beyond Options.MaxPoints per snapshot are
// left out with a fixed stride; for d > 2 the (x₁, x₂) projection is shown.
// The legend is a separate panel to the right, so it never covers data.
func Snapshots(fitted *Energy, data *snapshot.Snapshots, o Options) (*Figure, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
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
		if flow, err = evaluate.NewFlow(fitted.Model, fitted.Theta); err != nil {
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
	shown := spread(data.Len(), maxSnapshots)
	cols := rampColors(len(shown))
	leg := gplot.NewLegend()
	leg.Top = true
	leg.Left = true
	leg.TextStyle.Font.Size = vg.Points(10)
	radius := vg.Points(1.6)
	for i, k := range shown {
		x := data.X[k]
		r, _ := x.Dims()
		rows := stride(r, o.maxPoints())
		s, err := plotter.NewScatter(scatterXY(x, rows))
		if err != nil {
			return nil, err
		}
		s.GlyphStyle = draw.GlyphStyle{Color: cols[i], Radius: radius, Shape: draw.CircleGlyph{}}
		p.Add(s)
		leg.Add(fmt.Sprintf("t = %.4g", data.Times[k]), s)
	}
	if flow != nil {
		// The prediction into each shown snapshot but the first, from the
		// snapshot before it.
		for i, k := range shown {
			if k == 0 {
				continue
			}
			dt := data.Times[k] - data.Times[k-1]
			pred, err := evaluate.Predict(flow, data.X[k-1], data.Times[k-1], dt, 1, o.Seed+uint64(k-1), o.Step)
			if err != nil {
				return nil, fmt.Errorf("plot: predicting step %d: %w", k-1, err)
			}
			r, _ := pred[0].Dims()
			s, err := plotter.NewScatter(scatterXY(pred[0], stride(r, o.maxPoints())))
			if err != nil {
				return nil, err
			}
			s.GlyphStyle = draw.GlyphStyle{Color: cols[i], Radius: vg.Points(3), Shape: draw.RingGlyph{}}
			p.Add(s)
		}
		ring, _ := plotter.NewScatter(plotter.XYs{{}})
		ring.GlyphStyle = draw.GlyphStyle{Color: color.Gray{90}, Radius: vg.Points(3), Shape: draw.RingGlyph{}}
		leg.Add("predicted", ring)
	}
	if len(shown) < data.Len() {
		leg.Add(fmt.Sprintf("(%d of %d times)", len(shown), data.Len()), blank{})
	}
	return &Figure{Rows: [][]Panel{{
		{Drawer: p, Equal: true},
		{Drawer: legendPanel{&leg}, Width: 0.3},
	}}}, nil
}

// maxSnapshots is the most snapshots drawn in one panel: more colours of
// one ramp cannot be told apart.
const maxSnapshots = 6

// blank is a legend entry without a mark.
type blank struct{}

func (blank) Thumbnail(*draw.Canvas) {}

// legendPanel draws a legend in its own tile, below a title-high gap.
type legendPanel struct{ l *gplot.Legend }

func (lp legendPanel) Draw(c draw.Canvas) {
	c = draw.Crop(c, 0, 0, 0, -vg.Points(30))
	lp.l.Draw(c)
}
