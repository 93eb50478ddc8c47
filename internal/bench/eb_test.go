package bench

import (
	"math"
	"strings"
	"testing"

	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

// The EB suite's bookkeeping on the first 150 cells of each snapshot:
// one row per protocol, model and held-out snapshot, means and standard
// deviations over the seeds, the published rows, the markdown tables.
func TestRunEB(t *testing.T) {
	data, err := snapshot.ReadDir("../../examples/eb/data", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for k, x := range data.X {
		_, d := x.Dims()
		data.X[k] = mat.DenseCopyOf(x.Slice(0, 150, 0, d))
	}
	poly := EBModel{Name: "quadratic", Spec: "param c[*]\nparam e[*]\npotential V(x, t) = dot(c, polynomials(x, 2)) + t*dot(e, polynomials(x, 2))\n", Method: jkonet.MethodLinear, Deterministic: true}
	rows := RunEB(data, EBOptions{Seeds: 2, OneStep: []EBModel{poly}, LeaveOutSet: []EBModel{poly}})
	var one, lo []EBRow
	published := 0
	for _, r := range rows {
		switch {
		case r.Published:
			published++
		case r.Protocol == "one-step":
			one = append(one, r)
		default:
			lo = append(lo, r)
		}
	}
	if published != len(EBPublished()) || len(one) != 1 || len(lo) != 2 {
		t.Fatalf("%d published, %d one-step, %d leave-out rows", published, len(one), len(lo))
	}
	r := one[0]
	m, s := (r.PerSeed[0]+r.PerSeed[1])/2, math.Abs(r.PerSeed[0]-r.PerSeed[1])/2
	if r.Err != "" || r.Runs != 2 || r.Metric != "W1" || r.Step != "explicit" || math.Abs(r.Mean-m) > 1e-12 || math.Abs(r.Std-s) > 1e-12 || !(r.Mean > 0.3 && r.Mean < 2) || !(r.Seconds > 0) {
		t.Errorf("one-step row %+v", r)
	}
	if r.PerSeed[0] == r.PerSeed[1] {
		t.Errorf("two seeds, two splits, the same score %v", r.PerSeed[0])
	}
	for i, r := range lo {
		if r.Err != "" || r.Runs != 1 || r.Std != 0 || r.Metric != "W2" || r.Heldout != 2*i+1 || !(r.Mean > 0.3 && r.Mean < 3) {
			t.Errorf("leave-out row %+v", r)
		}
	}
	md := EBMarkdown(rows)
	for _, want := range []string{"| quadratic | JKOnet* (linear) | explicit |", "W2 at t1 | W2 at t3", "| iJKOnet_{t,V} |  |  | 0.983 ± 0.037 | 0.849 ± 0.021 |", "jko, 2 seed(s)"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestMeanStd(t *testing.T) {
	m, s := meanStd([]float64{1, 2, 3, 4})
	if m != 2.5 || math.Abs(s-math.Sqrt(1.25)) > 1e-15 {
		t.Errorf("meanStd = %v, %v", m, s)
	}
	if m, s := meanStd(nil); !math.IsNaN(m) || !math.IsNaN(s) {
		t.Errorf("meanStd(nil) = %v, %v", m, s)
	}
}
