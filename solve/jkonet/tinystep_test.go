package jkonet

import (
	"math"
	"strings"
	"testing"

	"github.com/jko-org/jko/solve/snapshot"
)

// The same displacements observed over a time step of 1e-300 made the
// closed form's normal equations underflow, and the error blamed the
// features ("its feature is zero on the data"); over 1e-160 the estimates
// were silently 4% off. Both are refused, the error naming the time step;
// over 1e-102 the fit is exact and the drift scales by 0.01/τ.
func TestTinyTimeStep(t *testing.T) {
	data := simulate(t, "styblinski_tang", 300, 0, 1)
	m := model(t, stSpec)
	for _, tc := range []struct {
		tau  float64
		want string // error text; "" for a fit
	}{
		{1e-300, "time step τ = 1e-300"},
		{1e-160, "time step τ = 1e-160"},
		{1e-102, ""},
	} {
		scaled := &snapshot.Snapshots{X: data.X, Times: make([]float64, len(data.Times))}
		for k := range scaled.Times {
			scaled.Times[k] = float64(k) * tc.tau
		}
		o := DefaultOptions()
		o.Ridge = RidgeFixed(0)
		res, err := Fit(m, scaled, o)
		if tc.want != "" {
			o.Method = MethodLBFGS
			_, errL := Fit(m, scaled, o)
			if errL == nil || !strings.Contains(errL.Error(), tc.want) {
				t.Errorf("τ = %g, L-BFGS: err %v, want one naming the %s", tc.tau, errL, tc.want)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "feature is zero") {
				t.Errorf("τ = %g: err %v, want one naming the %s", tc.tau, err, tc.want)
			}
			continue
		}
		if err != nil {
			t.Fatalf("τ = %g: %v", tc.tau, err)
		}
		for i, v := range []float64{0.5, -8, 2.5} {
			want := v * 0.01 / tc.tau
			if got := res.Theta[i]; math.Abs(got-want) > 1e-6*math.Abs(want) {
				t.Errorf("τ = %g: %s = %g, want %g", tc.tau, res.Names[i], got, want)
			}
		}
	}
}
