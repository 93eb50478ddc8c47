package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/jkonet"
)

// TestRidgeStudy fits the over-parameterised case of the interaction table
// (styblinski_tang + sphere, β = 0.1, paper_linear: 249 parameters from
// 250 particles per snapshot at N = 500) with the data-chosen ridge and
// with fixed ones, and prints the ridge, β̂, the one-step EMD on the test
// half and the drift error against the truth (JKO_LONG=1; JKO_N, default
// 500; JKO_SEEDS, default 3; JKO_RIDGES, default "auto,1e-5,1e-3,1e-2").
func TestRidgeStudy(t *testing.T) {
	if os.Getenv("JKO_LONG") == "" {
		t.Skip("JKO_LONG=1 runs the ridge study")
	}
	n, seeds := 500, 3
	if v, err := strconv.Atoi(os.Getenv("JKO_N")); err == nil {
		n = v
	}
	if v, err := strconv.Atoi(os.Getenv("JKO_SEEDS")); err == nil {
		seeds = v
	}
	ridges := []string{"auto", "1e-5", "1e-3", "1e-2"}
	if v := os.Getenv("JKO_RIDGES"); v != "" {
		ridges = strings.Split(v, ",")
	}
	c := InteractionSuite(false)[4]
	c.N = n
	fmt.Printf("%s, N = %d\n| seed | ridge | chosen | β̂ | one-step EMD | drift error (relative) |\n|---|---|---|---|---|---|\n", c.Name, n)
	for s := 0; s < seeds; s++ {
		seed := uint64(s)
		train, test, stage, err := simulateCase(c, seed, Options{})
		if err != nil {
			t.Fatal(stage, err)
		}
		ts, err := compile.LoadString("truth.jko", c.Truth)
		if err != nil {
			t.Fatal(err)
		}
		tm, err := ts.Instantiate(c.Dim)
		if err != nil {
			t.Fatal(err)
		}
		tf, err := evaluate.NewFlow(tm, tm.InitTheta(seed), seed)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := compile.LoadString(c.ModelName+".jko", c.Model)
		if err != nil {
			t.Fatal(err)
		}
		for _, rs := range ridges {
			r, err := jkonet.ParseRidge(rs)
			if err != nil {
				t.Fatal(err)
			}
			so := solve.Options{JKOnet: jkonet.Options{Seed: seed, Ridge: r}}
			fitted, err := solve.Fit(ms, train, so)
			if err != nil {
				t.Fatal(err)
			}
			ff, err := evaluate.NewFlow(fitted.Model, fitted.Theta, seed)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := evaluate.OneStep(ff, test, seed, compile.Explicit)
			if err != nil {
				t.Fatal(err)
			}
			de, err := evaluate.DriftError(ff, tf, test, evaluate.DriftErrorPoints, seed)
			if err != nil {
				t.Fatal(err)
			}
			beta := 0.0
			for i, nm := range fitted.Result.Names {
				if nm == "beta" {
					beta = fitted.Result.Theta[i]
				}
			}
			fmt.Printf("| %d | %s | %.3g | %.4g | %.4g ± %.2g | %.3g |\n", s, rs, fitted.Result.Ridge, beta, rep.Mean, rep.Std, de.Relative)
		}
	}
}

// TestRidgePotentialSuite runs the 4.1 suite's paper_linear_potential
// fits (noise-free, 124 parameters) with the data-chosen ridge and prints
// the chosen ridge and the one-step W1 (JKO_LONG=1; JKO_POTENTIALS, default
// the three the features represent exactly and two they do not).
func TestRidgePotentialSuite(t *testing.T) {
	if os.Getenv("JKO_LONG") == "" {
		t.Skip("JKO_LONG=1 runs the 4.1 suite's ridge study")
	}
	pick := map[string]bool{"styblinski_tang": true, "watershed": true, "sphere": true, "flowers": true, "relu": true}
	if v := os.Getenv("JKO_POTENTIALS"); v != "" {
		pick = map[string]bool{}
		for _, p := range strings.Split(v, ",") {
			pick[p] = true
		}
	}
	fmt.Printf("| problem | ridge | one-step W1 |\n|---|---|---|\n")
	for _, c := range PotentialSuite(false) {
		if c.ModelName != "paper_linear_potential" || !pick[c.Name] {
			continue
		}
		train, test, stage, err := simulateCase(c, 0, Options{})
		if err != nil {
			t.Fatal(stage, err)
		}
		fitted, stage, err := fitCase(c, 0, Options{}, train)
		if err != nil {
			t.Fatal(stage, err)
		}
		r := newRow(c, Options{})
		if err := r.score(fitted, test, 0, false); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("| %s | %.3g | %.3g |\n", c.Name, fitted.Result.Ridge, r.EMD)
	}
}
