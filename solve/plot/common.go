package plot

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"sort"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/snapshot"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/vg"
)

// Energy is a compiled model with its parameter values θ.
type Energy struct {
	Model *compile.Model
	Theta []float64
}

// Box is a rectangle [X0, X1] × [Y0, Y1] in (x₁, x₂).
type Box struct{ X0, X1, Y0, Y1 float64 }

func (b Box) empty() bool { return !(b.X1 > b.X0) || !(b.Y1 > b.Y0) }

// Options tune the panels. The zero value is usable.
type Options struct {
	// Box is the plotted region; zero: the data's bounding box padded by
	// 5%, or [−4, 4]² without data.
	Box Box
	// Grid is the number of potential evaluations per axis, at least 2
	// (0: DefaultGrid; 1 or a negative count is an error).
	Grid int
	// Arrows is the number of drift arrows per axis, at least 2 (0:
	// DefaultArrows; 1 or a negative count is an error).
	Arrows int
	// T, when set, is the one time at which time-dependent potentials
	// are drawn; nil: at up to four snapshot times (small multiples), and
	// the drift at the first snapshot's time.
	T *float64
	// Seed seeds the noise of the predictions.
	Seed uint64
	// Step is how predictions step (default explicit; implicit for fits
	// of the JKO step: iJKOnet, JKOnet* with the drift at y).
	Step evaluate.Step
	// MaxPoints caps the particles drawn per snapshot (0: 300; negative
	// is an error), taken with a fixed stride.
	MaxPoints int
}

// The defaults of Options.Grid and Options.Arrows.
const (
	DefaultGrid   = 80
	DefaultArrows = 15
)

// check refuses settings that cannot be drawn: a Grid or Arrows of 1 or
// less than 0 (0 is the default), a negative MaxPoints.
func (o Options) check() error {
	switch {
	case o.Grid == 1 || o.Grid < 0:
		return fmt.Errorf("plot: a grid of %d evaluations per axis: want at least 2 (0: %d)", o.Grid, DefaultGrid)
	case o.Arrows == 1 || o.Arrows < 0:
		return fmt.Errorf("plot: %d arrows per axis: want at least 2 (0: %d)", o.Arrows, DefaultArrows)
	case o.MaxPoints < 0:
		return fmt.Errorf("plot: at most %d points per snapshot: want a positive count (0: 300)", o.MaxPoints)
	}
	return nil
}

func (o Options) grid() int {
	if o.Grid > 0 {
		return o.Grid
	}
	return DefaultGrid
}

func (o Options) arrows() int {
	if o.Arrows > 0 {
		return o.Arrows
	}
	return DefaultArrows
}

func (o Options) maxPoints() int {
	if o.MaxPoints > 0 {
		return o.MaxPoints
	}
	return 300
}

func (o Options) time(data *snapshot.Snapshots) float64 {
	if o.T != nil {
		return *o.T
	}
	if data != nil && len(data.Times) > 0 {
		return data.Times[0]
	}
	return 0
}

func (e Energy) check(what string) error {
	if e.Model == nil {
		return fmt.Errorf("plot: no %s model", what)
	}
	if len(e.Theta) != e.Model.NumParams {
		return fmt.Errorf("plot: %s model: %d parameter values for %d parameters", what, len(e.Theta), e.Model.NumParams)
	}
	if e.Model.Dim < 2 {
		return errors.New("plot: only dimensions d ≥ 2 can be plotted")
	}
	return nil
}

// region returns the plotted box.
func region(data *snapshot.Snapshots, o Options) Box {
	if !o.Box.empty() {
		return o.Box
	}
	if data == nil || data.Len() == 0 || data.Dim() < 2 {
		return Box{-4, 4, -4, 4}
	}
	b := Box{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
	for _, x := range data.X {
		r, _ := x.Dims()
		for i := range r {
			u, v := x.At(i, 0), x.At(i, 1)
			b.X0, b.X1 = min(b.X0, u), max(b.X1, u)
			b.Y0, b.Y1 = min(b.Y0, v), max(b.Y1, v)
		}
	}
	px, py := 0.05*(b.X1-b.X0), 0.05*(b.Y1-b.Y0)
	if px == 0 {
		px = 1
	}
	if py == 0 {
		py = 1
	}
	return Box{b.X0 - px, b.X1 + px, b.Y0 - py, b.Y1 + py}
}

// base returns the point of R^d whose coordinates beyond the first two
// fix the plotted slice: the mean of all observed particles (0 without
// data).
func base(d int, data *snapshot.Snapshots) []float64 {
	m := make([]float64, d)
	if data == nil || data.Dim() != d {
		return m
	}
	n := 0
	for _, x := range data.X {
		r, _ := x.Dims()
		for i := range r {
			for j := range d {
				m[j] += x.At(i, j)
			}
		}
		n += r
	}
	for j := range m {
		m[j] /= float64(max(n, 1))
	}
	return m
}

// points returns the n×n grid over b in the slice through base, row j
// (x₂ = ys[j]) after row j−1, and the axis values.
func points(b Box, n int, at []float64) (pts, xs, ys []float64) {
	d := len(at)
	xs, ys = linspace(b.X0, b.X1, n), linspace(b.Y0, b.Y1, n)
	pts = make([]float64, 0, n*n*d)
	for _, y := range ys {
		for _, x := range xs {
			p := append([]float64(nil), at...)
			p[0], p[1] = x, y
			pts = append(pts, p...)
		}
	}
	return pts, xs, ys
}

func linspace(a, b float64, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = a + (b-a)*float64(i)/float64(n-1)
	}
	return v
}

var white = color.White

// viridis is a viridis-like sequential ramp with monotone luminance,
// interpolated in CIELAB by moreland.NewLuminance.
func viridis() palette.ColorMap {
	hex := []uint32{0x440154, 0x482878, 0x3e4989, 0x31688e, 0x26828e, 0x1f9e89, 0x35b779, 0x6ece58, 0xb5de2b, 0xfde725}
	cs := make([]color.Color, len(hex))
	for i, h := range hex {
		cs[i] = color.NRGBA{uint8(h >> 16), uint8(h >> 8), uint8(h), 255}
	}
	cm, err := moreland.NewLuminance(cs)
	if err != nil {
		panic(err)
	}
	return cm
}

// rampColors returns n colours from the ramp, avoiding its pale end.
func rampColors(n int) []color.Color {
	cm := viridis()
	cm.SetMin(0)
	cm.SetMax(1)
	out := make([]color.Color, n)
	for i := range out {
		v := 0.0
		if n > 1 {
			v = 0.85 * float64(i) / float64(n-1)
		}
		c, err := cm.At(v)
		if err != nil {
			panic(err)
		}
		out[i] = c
	}
	return out
}

// newPlot returns a plot with the house style: title, x₁/x₂ labels.
func newPlot(title string) *gplot.Plot {
	p := gplot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = "x₁"
	p.Y.Label.Text = "x₂"
	for _, a := range []*gplot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = vg.Points(12)
		a.Tick.Label.Font.Size = vg.Points(10)
	}
	return p
}

func setRange(p *gplot.Plot, b Box) {
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = b.X0, b.X1, b.Y0, b.Y1
}

// sliceNote is appended to titles when d > 2.
func sliceNote(d int) string {
	if d > 2 {
		return " (slice at mean)"
	}
	return ""
}

// quantile returns the q-quantile (0 ≤ q ≤ 1) of the finite values in v,
// by linear interpolation between order statistics; NaN when none is
// finite. v is not modified.
func quantile(v []float64, q float64) float64 {
	s := make([]float64, 0, len(v))
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			s = append(s, x)
		}
	}
	if len(s) == 0 {
		return math.NaN()
	}
	sort.Float64s(s)
	pos := q * float64(len(s)-1)
	i := int(pos)
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[i] + (pos-float64(i))*(s[i+1]-s[i])
}

// dataPoints returns the observed particles inside b, projected onto the
// plotted slice (coordinates beyond the first two set to at), at most
// about maxPts of them with a fixed stride over all snapshots: the points
// where colour and arrow scales are measured.
func dataPoints(data *snapshot.Snapshots, b Box, at []float64, maxPts int) (pts []float64, n int) {
	if data == nil || data.Dim() != len(at) {
		return nil, 0
	}
	total := 0
	for _, x := range data.X {
		r, _ := x.Dims()
		total += r
	}
	s := max(1, (total+maxPts-1)/maxPts)
	i := 0
	for _, x := range data.X {
		r, _ := x.Dims()
		for k := range r {
			i++
			if i%s != 0 {
				continue
			}
			u, v := x.At(k, 0), x.At(k, 1)
			if u < b.X0 || u > b.X1 || v < b.Y0 || v > b.Y1 {
				continue
			}
			p := append([]float64(nil), at...)
			p[0], p[1] = u, v
			pts = append(pts, p...)
			n++
		}
	}
	return pts, n
}

// scaleQuantile is the share of the observed particles below the top of
// a colour scale measured over the data: the rest (walls far from the
// population) saturate, so structure where the particles are shows.
const scaleQuantile = 0.98

// arrowRamp is the viridis-like ramp without its pale yellow end, for
// marks drawn on white (arrows, curves).
func arrowRamp() palette.ColorMap {
	hex := []uint32{0x440154, 0x482878, 0x3e4989, 0x31688e, 0x26828e, 0x1f9e89, 0x35b779, 0x6ece58, 0xa8d52f}
	cs := make([]color.Color, len(hex))
	for i, h := range hex {
		cs[i] = color.NRGBA{uint8(h >> 16), uint8(h >> 8), uint8(h), 255}
	}
	cm, err := moreland.NewLuminance(cs)
	if err != nil {
		panic(err)
	}
	return cm
}

// capScale returns the top of a colour scale and its label: top, or the
// particles' quantile dataTop when that is lower (the label then says the
// scale is capped), and 1 when neither is positive.
func capScale(top, dataTop float64, label string) (float64, string) {
	if dataTop > 0 && dataTop < top {
		top, label = dataTop, label+" (capped)"
	}
	if !(top > 0) {
		top = 1
	}
	return top, label
}
