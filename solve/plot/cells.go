package plot

import (
	"fmt"
	"image/color"
	"math"

	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// PrincipalAxes returns the mean of every particle of data and its two
// leading principal axes (unit vectors, the eigenvectors of the pooled
// covariance with the largest eigenvalues, each signed so that its largest
// entry is positive), with the fraction of the variance each explains.
func PrincipalAxes(data *snapshot.Snapshots) (mean []float64, axes [2][]float64, explained [2]float64, err error) {
	d := data.Dim()
	if d < 2 {
		return nil, axes, explained, fmt.Errorf("plot: principal axes need d ≥ 2, the data is %d-D", d)
	}
	mean, n := data.PooledMean()
	cov := mat.NewSymDense(d, nil)
	c := make([]float64, d)
	for _, x := range data.X {
		r, _ := x.Dims()
		for i := 0; i < r; i++ {
			for j, v := range x.RawRowView(i) {
				c[j] = v - mean[j]
			}
			cov.SymRankOne(cov, 1/float64(n), mat.NewVecDense(d, c))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return nil, axes, explained, fmt.Errorf("plot: the covariance's eigen-decomposition failed")
	}
	vals := eig.Values(nil) // ascending
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	total := 0.0
	for _, v := range vals {
		total += v
	}
	for a := 0; a < 2; a++ {
		col := d - 1 - a
		v := mat.Col(nil, col, &vecs)
		big := 0
		for j := range v {
			if math.Abs(v[j]) > math.Abs(v[big]) {
				big = j
			}
		}
		if v[big] < 0 {
			for j := range v {
				v[j] = -v[j]
			}
		}
		axes[a] = v
		if total > 0 {
			explained[a] = vals[col] / total
		}
	}
	return mean, axes, explained, nil
}

// project maps the rows of x onto the axes.
func project(x *mat.Dense, rows []int, mean []float64, axes [2][]float64) plotter.XYs {
	xy := make(plotter.XYs, len(rows))
	for i, r := range rows {
		row := x.RawRowView(r)
		var p [2]float64
		for a := range axes {
			for j, v := range row {
				p[a] += (v - mean[j]) * axes[a][j]
			}
		}
		xy[i] = plotter.XY{X: p[0], Y: p[1]}
	}
	return xy
}

// Cells draws real data in any dimension: one panel per step k → k+1,
// every cloud projected on the two leading principal axes of all the
// cells shown (one projection for every panel). Each panel holds the
// observed cells at t_k (grey), the observed cells at t_{k+1} (blue)
// and, when fitted is non-nil, the fitted
// dynamics' one-step prediction from t_k (black rings). Pass the test
// cells to see how the model does on cells it was not fitted on. Clouds
// beyond Options.MaxPoints cells are thinned with a fixed stride.
func Cells(fitted *Energy, data *snapshot.Snapshots, o Options) (*Figure, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if data == nil || data.Len() < 2 {
		return nil, fmt.Errorf("plot: cells need at least 2 snapshots")
	}
	mean, axes, expl, err := PrincipalAxes(data)
	if err != nil {
		return nil, err
	}
	var flow *evaluate.Flow
	if fitted != nil {
		if err := fitted.check("fitted"); err != nil {
			return nil, err
		}
		if fitted.Model.Dim != data.Dim() {
			return nil, fmt.Errorf("plot: the model is %d-D, the data %d-D", fitted.Model.Dim, data.Dim())
		}
		if flow, err = evaluate.NewFlow(fitted.Model, fitted.Theta); err != nil {
			return nil, err
		}
	}
	// One range for every panel: the observed clouds' extent.
	box := Box{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
	proj := make([]plotter.XYs, data.Len())
	for k, x := range data.X {
		r, _ := x.Dims()
		proj[k] = project(x, stride(r, o.maxPoints()), mean, axes)
		for _, p := range proj[k] {
			box.X0, box.X1 = math.Min(box.X0, p.X), math.Max(box.X1, p.X)
			box.Y0, box.Y1 = math.Min(box.Y0, p.Y), math.Max(box.Y1, p.Y)
		}
	}
	padX, padY := 0.05*(box.X1-box.X0), 0.05*(box.Y1-box.Y0)
	box = Box{box.X0 - padX, box.X1 + padX, box.Y0 - padY, box.Y1 + padY}
	grey := color.Gray{Y: 190}
	next := color.RGBA{R: 31, G: 119, B: 180, A: 255}
	radius := vg.Points(1.4)
	leg := gplot.NewLegend()
	leg.Top, leg.Left = true, true
	leg.TextStyle.Font.Size = vg.Points(10)
	var row []Panel
	for k := 0; k+1 < data.Len(); k++ {
		p := newPlot(fmt.Sprintf("t = %.4g → %.4g", data.Times[k], data.Times[k+1]))
		p.X.Label.Text = fmt.Sprintf("PC1 (%.0f%%)", 100*expl[0])
		p.Y.Label.Text = fmt.Sprintf("PC2 (%.0f%%)", 100*expl[1])
		setRange(p, box)
		before, err := plotter.NewScatter(proj[k])
		if err != nil {
			return nil, err
		}
		before.GlyphStyle = draw.GlyphStyle{Color: grey, Radius: radius, Shape: draw.CircleGlyph{}}
		after, err := plotter.NewScatter(proj[k+1])
		if err != nil {
			return nil, err
		}
		after.GlyphStyle = draw.GlyphStyle{Color: next, Radius: radius, Shape: draw.CircleGlyph{}}
		p.Add(before, after)
		if k == 0 {
			leg.Add("observed, start", before)
			leg.Add("observed, end", after)
		}
		if flow != nil {
			dt := data.Times[k+1] - data.Times[k]
			pred, err := evaluate.Predict(flow, data.X[k], data.Times[k], dt, 1, o.Seed+uint64(k), o.Step)
			if err != nil {
				return nil, fmt.Errorf("plot: predicting step %d: %w", k, err)
			}
			r, _ := pred[0].Dims()
			s, err := plotter.NewScatter(project(pred[0], stride(r, o.maxPoints()), mean, axes))
			if err != nil {
				return nil, err
			}
			s.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(2.2), Shape: draw.RingGlyph{}}
			p.Add(s)
			if k == 0 {
				leg.Add("predicted", s)
			}
		}
		row = append(row, Panel{Drawer: p, Equal: true})
	}
	row = append(row, Panel{Drawer: legendPanel{&leg}, Width: 0.6})
	return &Figure{Rows: [][]Panel{row}}, nil
}
