package compile_test

import (
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jko-org/jko/compile"
)

// potentialCase is one row of testdata/potentials_values.csv: an
// independent reference value and central-difference gradient of a
// benchmark energy.
type potentialCase struct {
	name  string
	dim   int
	x     []float64
	value float64
	grad  []float64
}

func parseFloats(t *testing.T, s string) []float64 {
	t.Helper()
	var out []float64
	for _, f := range strings.Fields(s) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			t.Fatalf("bad number %q: %v", f, err)
		}
		out = append(out, v)
	}
	return out
}

func readPotentialCases(t *testing.T) []potentialCase {
	t.Helper()
	f, err := os.Open("testdata/potentials_values.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 2 || strings.Join(rows[0], ",") != "name,dim,x,value,grad" {
		t.Fatalf("unexpected header %v", rows[0])
	}
	var cases []potentialCase
	for _, r := range rows[1:] {
		dim, err := strconv.Atoi(r[1])
		if err != nil {
			t.Fatal(err)
		}
		v, err := strconv.ParseFloat(r[3], 64)
		if err != nil {
			t.Fatal(err)
		}
		c := potentialCase{name: r[0], dim: dim, x: parseFloats(t, r[2]), value: v, grad: parseFloats(t, r[4])}
		if len(c.x) != dim || len(c.grad) != dim {
			t.Fatalf("%s d=%d: row has %d coordinates and %d gradient entries", c.name, dim, len(c.x), len(c.grad))
		}
		cases = append(cases, c)
	}
	return cases
}

// close reports whether got is within rel of want, relative to
// max(|want|, floor).
func closeTo(got, want, rel, floor float64) bool {
	return math.Abs(got-want) <= rel*math.Max(math.Abs(want), floor)
}

func TestBenchmarkPotentials(t *testing.T) {
	cases := readPotentialCases(t)
	byName := map[string][]potentialCase{}
	var order []string
	for _, c := range cases {
		if byName[c.name] == nil {
			order = append(order, c.name)
		}
		byName[c.name] = append(byName[c.name], c)
	}
	if len(order) != 15 {
		t.Errorf("reference has %d energies, want 15", len(order))
	}
	for _, name := range order {
		t.Run(name, func(t *testing.T) {
			spec, err := compile.LoadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			models := map[int]*compile.Model{}
			for _, c := range byName[name] {
				m := models[c.dim]
				if m == nil {
					m, err = spec.Instantiate(c.dim)
					if err != nil {
						t.Fatalf("d=%d: %v", c.dim, err)
					}
					if m.NumParams != 0 {
						t.Fatalf("d=%d: a benchmark energy has %d parameters", c.dim, m.NumParams)
					}
					models[c.dim] = m
				}
				val := make([]float64, 1)
				m.PotentialValue(val, c.x, 1, 0, nil)
				if !closeTo(val[0], c.value, 1e-9, 1) {
					t.Errorf("d=%d x=%v: V = %.12g, want %.12g", c.dim, c.x, val[0], c.value)
				}
				grad := make([]float64, c.dim)
				m.PotentialGrad(grad, c.x, 1, 0, nil)
				// The reference gradients are central differences with
				// h = 1e-6 on values of size |V|: their error is about
				// 1e-10·|V|/h² · h² + ε|V|/h.
				scale := 0.0
				for _, g := range c.grad {
					scale = math.Max(scale, math.Abs(g))
				}
				floor := math.Max(1, 1e-4*math.Abs(c.value))
				for k := range grad {
					if !closeTo(grad[k], c.grad[k], 1e-5, math.Max(floor, 1e-3*scale)) {
						t.Errorf("d=%d x=%v: ∇V[%d] = %.9g, want %.9g", c.dim, c.x, k, grad[k], c.grad[k])
					}
				}
			}
			if len(models) != 2 {
				t.Errorf("reference covers %d dimensions, want 2 (d = 2 and 4)", len(models))
			}
		})
	}
}
