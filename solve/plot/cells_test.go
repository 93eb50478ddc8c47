package plot

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot/vg"
)

// Points spread along known orthogonal directions of R^3: the principal
// axes are those directions (up to the sign rule), with the variance
// fractions of the spreads.
func TestPrincipalAxes(t *testing.T) {
	u := []float64{2 / 3.0, 2 / 3.0, 1 / 3.0}   // spread ±3
	v := []float64{2 / 3.0, -1 / 3.0, -2 / 3.0} // spread ±1
	var rows []float64
	for _, a := range []float64{-3, 3} {
		for _, b := range []float64{-1, 1} {
			for j := range u {
				rows = append(rows, 5+a*u[j]+b*v[j])
			}
		}
	}
	x := mat.NewDense(4, 3, rows)
	s := &snapshot.Snapshots{Times: []float64{0, 1}, X: []*mat.Dense{x, mat.DenseCopyOf(x)}}
	mean, axes, expl, err := PrincipalAxes(s)
	if err != nil {
		t.Fatal(err)
	}
	for j := range mean {
		if math.Abs(mean[j]-5) > 1e-12 || math.Abs(axes[0][j]-u[j]) > 1e-9 || math.Abs(axes[1][j]-v[j]) > 1e-9 {
			t.Fatalf("mean %v axes %v, want 5, %v, %v", mean, axes, u, v)
		}
	}
	if math.Abs(expl[0]-0.9) > 1e-9 || math.Abs(expl[1]-0.1) > 1e-9 {
		t.Errorf("explained %v, want 0.9 and 0.1", expl)
	}
	one := &snapshot.Snapshots{Times: []float64{0, 1}, X: []*mat.Dense{mat.NewDense(2, 1, []float64{0, 1}), mat.NewDense(2, 1, []float64{0, 1})}}
	if _, _, _, err := PrincipalAxes(one); err == nil || !strings.Contains(err.Error(), "d ≥ 2") {
		t.Errorf("1-D data: %v", err)
	}
}

// Cells draws one panel per step and a legend, in 5-D, and renders.
func TestCells(t *testing.T) {
	fitted := energy(t, "param a = 0.5\npotential V(x, t) = a*norm2(x)/2\n", 5)
	s := &snapshot.Snapshots{Times: []float64{0, 1, 3}}
	for k := 0; k < 3; k++ {
		x := mat.NewDense(20, 5, nil)
		for i := 0; i < 20; i++ {
			for j := 0; j < 5; j++ {
				x.Set(i, j, math.Sin(float64(7*i+3*j+k)))
			}
		}
		s.X = append(s.X, x)
	}
	fig, err := Cells(&fitted, s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fig.Rows) != 1 || len(fig.Rows[0]) != 3 {
		t.Fatalf("%d rows, %d panels: want 2 steps and a legend", len(fig.Rows), len(fig.Rows[0]))
	}
	var b bytes.Buffer
	if err := fig.WriteTo(&b, "png", vg.Points(200)); err != nil || b.Len() == 0 {
		t.Errorf("render: %v, %d bytes", err, b.Len())
	}
	if _, err := Cells(nil, &snapshot.Snapshots{Times: []float64{0}, X: s.X[:1]}, Options{}); err == nil {
		t.Error("one snapshot: no error")
	}
}
