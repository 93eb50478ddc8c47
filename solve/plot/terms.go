package plot

import (
	"fmt"
	"image/color"
	"math"
	"sort"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/snapshot"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Line styles of the term curves: fitted solid, true dashed, each
// direction its own colour.
var (
	fittedColor = color.NRGBA{31, 90, 160, 255}
	trueColor   = color.NRGBA{200, 80, 30, 255}
)

// pairDistances returns the distances between particles of one snapshot,
// pooled over the snapshots, from at most 150 particles per snapshot
// (taken with a fixed stride).
func pairDistances(data *snapshot.Snapshots) []float64 {
	if data == nil {
		return nil
	}
	var out []float64
	for _, x := range data.X {
		r, d := x.Dims()
		rows := stride(r, 150)
		for i, a := range rows {
			for _, b := range rows[:i] {
				s := 0.0
				for j := range d {
					v := x.At(a, j) - x.At(b, j)
					s += v * v
				}
				out = append(out, math.Sqrt(s))
			}
		}
	}
	return out
}

// Interaction draws the interaction kernel U along a ray, r ↦ U(r·e₁),
// of the fitted model and, when truth is non-nil, of the true one, each
// shifted to 0 at the largest r drawn (a kernel is defined up to a
// constant). When U is not radial it is drawn along the diagonal
// (e₁ + e₂)/√2 too. With data the r axis spans the distances between
// particles of a snapshot up to their 99th percentile, and the U axis the
// values over the middle 98% of those distances, so that a singular core
// does not flatten the rest.
func Interaction(fitted Energy, truth *Energy, data *snapshot.Snapshots, o Options) (*gplot.Plot, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	p, _, err := interaction(fitted, truth, data)
	return p, err
}

// curve is one line of a term panel, kept for tests.
type curve struct {
	label string
	xy    plotter.XYs
}

func interaction(fitted Energy, truth *Energy, data *snapshot.Snapshots) (*gplot.Plot, []curve, error) {
	es, names, err := termModels(fitted, truth, compile.Interaction, "interaction")
	if err != nil {
		return nil, nil, err
	}
	var drawn []curve
	d := fitted.Model.Dim
	dist := pairDistances(data)
	rmax, rlo := 4.0, 0.0
	if len(dist) > 0 {
		if q := quantile(dist, 0.99); q > 0 {
			rmax, rlo = q, quantile(dist, 0.01)
		}
	}
	const n = 200
	rs := linspace(rmax/n, rmax, n)
	dirs := [][]float64{unit(d, 0), diagonal(d)}
	dirNames := []string{"along e₁", "along (e₁+e₂)/√2"}
	p := newPlot("interaction kernel U(r)")
	p.X.Label.Text = "r = |x − y|"
	p.Y.Label.Text = "U − U(r_max)"
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, e := range es {
		var curves [][]float64
		for _, dir := range dirs {
			z := make([]float64, n*d)
			for k, r := range rs {
				for j := range d {
					z[k*d+j] = r * dir[j]
				}
			}
			u := make([]float64, n)
			e.Model.InteractionValue(u, z, n, e.Theta)
			ref := u[n-1]
			for k := range u {
				u[k] -= ref
			}
			curves = append(curves, u)
		}
		if sameCurve(curves[0], curves[1]) {
			curves = curves[:1]
		}
		for c, u := range curves {
			xy := plotter.XYs{}
			for k, r := range rs {
				if math.IsNaN(u[k]) || math.IsInf(u[k], 0) {
					continue
				}
				xy = append(xy, plotter.XY{X: r, Y: u[k]})
				if r >= rlo {
					lo, hi = min(lo, u[k]), max(hi, u[k])
				}
			}
			if len(xy) < 2 {
				continue
			}
			l, err := plotter.NewLine(xy)
			if err != nil {
				return nil, nil, err
			}
			l.LineStyle = termStyle(i, c)
			p.Add(l)
			label := names[i]
			if len(curves) > 1 {
				label += ", " + dirNames[c]
			}
			p.Legend.Add(label, l)
			drawn = append(drawn, curve{label, xy})
		}
	}
	p.X.Min, p.X.Max = 0, rmax
	pad := 0.05 * (hi - lo)
	finishTermPlot(p, lo-pad, hi+pad)
	return p, drawn, nil
}

// Internal draws the internal energy of the fitted model and, when truth
// is non-nil, of the true one as the diffusion coefficient ρ f″(ρ) against
// the density ρ on a log axis: what the dynamics see (the drift is
// −ρ f″(ρ) ∇log ρ; f itself is defined up to terms affine in ρ). An
// entropy β ρ log ρ is the constant β, named in the legend. The ρ axis
// spans the particles' densities (k-nearest-neighbour estimates, 1st to
// 99th percentile, widened to at least a decade), or 10⁻³…10 without data.
func Internal(fitted Energy, truth *Energy, data *snapshot.Snapshots, o Options) (*gplot.Plot, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	p, _, err := internal(fitted, truth, data)
	return p, err
}

func internal(fitted Energy, truth *Energy, data *snapshot.Snapshots) (*gplot.Plot, []curve, error) {
	es, names, err := termModels(fitted, truth, compile.Internal, "internal")
	if err != nil {
		return nil, nil, err
	}
	var drawn []curve
	rlo, rhi := 1e-3, 10.0
	if rho := knnDensities(data, 10); len(rho) > 0 {
		a, b := quantile(rho, 0.01), quantile(rho, 0.99)
		if a > 0 && b > a {
			m := math.Sqrt(a * b)
			w := math.Max(math.Sqrt(b/a), math.Sqrt(10))
			rlo, rhi = m/w, m*w
		}
	}
	const n = 120
	rhos := make([]float64, n)
	for k := range rhos {
		rhos[k] = rlo * math.Pow(rhi/rlo, float64(k)/float64(n-1))
	}
	p := newPlot("internal energy: ρ f″(ρ)")
	p.X.Label.Text = "density ρ"
	p.Y.Label.Text = "ρ f″(ρ)  (β for β ρ log ρ)"
	p.X.Scale = gplot.LogScale{}
	p.X.Tick.Marker = logTicks{}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, e := range es {
		c := make([]float64, n)
		e.Model.InternalCoef(c, rhos, n, e.Theta)
		xy := plotter.XYs{}
		for k := range c {
			v := c[k] * rhos[k]
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			xy = append(xy, plotter.XY{X: rhos[k], Y: v})
			lo, hi = min(lo, v), max(hi, v)
		}
		if len(xy) < 2 {
			continue
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return nil, nil, err
		}
		l.LineStyle = termStyle(i, 0)
		p.Add(l)
		label := names[i]
		if beta, ok := e.Model.Entropy(e.Theta); ok && e.Model.Has(compile.Internal) {
			if math.Abs(beta) < 1e-12 {
				beta = 0
			}
			label += fmt.Sprintf(": entropy, β = %.4g", beta)
		}
		p.Legend.Add(label, l)
		drawn = append(drawn, curve{label, xy})
	}
	p.X.Min, p.X.Max = rlo, rhi
	if lo <= hi {
		lo, hi = math.Min(lo, 0), math.Max(hi, 0)
		if hi-lo < 1e-6 {
			lo, hi = -0.05, 0.05 // all (nearly) zero: a readable scale
		}
		pad := 0.1 * (hi - lo)
		finishTermPlot(p, lo-pad, hi+pad)
	} else {
		finishTermPlot(p, 0, 0)
	}
	return p, drawn, nil
}

// termModels checks the models drawn by a term panel.
func termModels(fitted Energy, truth *Energy, k compile.TermKind, what string) ([]Energy, []string, error) {
	es := []Energy{fitted}
	names := []string{"fitted"}
	if truth != nil && truth.Model != nil {
		// A truth without the term is drawn too: its term is zero.
		es = append(es, *truth)
		names = append(names, "true")
		if !truth.Model.Has(k) {
			names[1] = "true (no " + what + " term)"
		}
	}
	for i, e := range es {
		if err := e.check(names[i]); err != nil {
			return nil, nil, err
		}
	}
	if !fitted.Model.Has(k) {
		return nil, nil, fmt.Errorf("plot: the fitted model has no %s term", what)
	}
	if len(es) > 1 && es[1].Model.Dim != es[0].Model.Dim {
		return nil, nil, fmt.Errorf("plot: fitted model is %d-D, true model %d-D", es[0].Model.Dim, es[1].Model.Dim)
	}
	return es, names, nil
}

func termStyle(model, dir int) draw.LineStyle {
	s := draw.LineStyle{Color: fittedColor, Width: vg.Points(1.6)}
	if model == 1 {
		s.Color = trueColor
		s.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	if dir == 1 {
		s.Width = vg.Points(0.9)
		s.Dashes = []vg.Length{vg.Points(1.5), vg.Points(2)}
	}
	return s
}

// finishTermPlot adds the grid and puts the legend in headroom above
// the curves (a third of the value range), where it covers none.
func finishTermPlot(p *gplot.Plot, lo, hi float64) {
	if lo < hi {
		p.Y.Min, p.Y.Max = lo, hi+0.35*(hi-lo)
	}
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.Add(plotter.NewGrid())
}

func unit(d, i int) []float64 {
	v := make([]float64, d)
	v[i] = 1
	return v
}

func diagonal(d int) []float64 {
	v := make([]float64, d)
	v[0], v[1] = math.Sqrt(0.5), math.Sqrt(0.5)
	return v
}

// sameCurve reports whether two curves agree to 1e-9 of their range.
func sameCurve(a, b []float64) bool {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range a {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	tol := 1e-9 * math.Max(hi-lo, 1)
	for i := range a {
		if math.IsNaN(a[i]) != math.IsNaN(b[i]) {
			return false
		}
		if !math.IsNaN(a[i]) && math.Abs(a[i]-b[i]) > tol {
			return false
		}
	}
	return true
}

// knnDensities returns k-nearest-neighbour density estimates
// ρ = k / (n · vol of the ball to the k-th neighbour) at up to 300
// particles of each snapshot (a fixed stride), against that snapshot's
// particles (also strided, at most 2000), normalised to mass 1 as jko's
// density estimates are.
func knnDensities(data *snapshot.Snapshots, k int) []float64 {
	if data == nil {
		return nil
	}
	var out []float64
	for _, x := range data.X {
		r, d := x.Dims()
		ref := stride(r, 2000)
		if len(ref) <= k {
			continue
		}
		// Volume of the unit ball in d dimensions.
		vol := math.Pow(math.Pi, float64(d)/2) / math.Gamma(float64(d)/2+1)
		dist := make([]float64, 0, len(ref))
		for _, a := range stride(r, 300) {
			dist = dist[:0]
			for _, b := range ref {
				if a == b {
					continue
				}
				s := 0.0
				for j := range d {
					v := x.At(a, j) - x.At(b, j)
					s += v * v
				}
				dist = append(dist, s)
			}
			sort.Float64s(dist)
			rk := math.Sqrt(dist[k-1])
			if rk > 0 {
				out = append(out, float64(k)/(float64(len(ref))*vol*math.Pow(rk, float64(d))))
			}
		}
	}
	return out
}
