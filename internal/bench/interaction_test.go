package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jko-org/jko/compile"
)

// TestInteractionBeta prints, for the 4.3 interaction problems at N
// particles (JKO_N, default 500) and seed 0, β̂ with its standard error and
// 95% interval, the one-step EMD and the time of the diffusion stage
// (JKO_LONG=1; JKO_CASES picks cases by index, e.g. "0,1,3").
func TestInteractionBeta(t *testing.T) {
	if os.Getenv("JKO_LONG") == "" {
		t.Skip("JKO_LONG=1 runs the interaction problems")
	}
	n := 500
	if v, err := strconv.Atoi(os.Getenv("JKO_N")); err == nil {
		n = v
	}
	cs := InteractionSuite(false)
	pick := map[int]bool{}
	if v := os.Getenv("JKO_CASES"); v != "" {
		for _, f := range strings.Split(v, ",") {
			i, err := strconv.Atoi(f)
			if err != nil {
				t.Fatal(err)
			}
			pick[i] = true
		}
	}
	fmt.Printf("| problem | β̂ ± SE [95%%] | one-step EMD | wall (s) | of which diffusion (s) |\n|---|---|---|---|---|\n")
	for i, c := range cs {
		if len(pick) > 0 && !pick[i] {
			continue
		}
		c.N = n
		start := time.Now()
		r := RunOpts(c, 0, Options{})
		if r.Err != "" {
			t.Fatalf("%s: %s", c.Name, r.Err)
		}
		fmt.Printf("| %s (N=%d) | %.4g ± %.2g [%.4g, %.4g] | %.4g ± %.2g | %.1f | %.1f |\n", c.Name, n, r.Beta, r.BetaSE, r.BetaLo, r.BetaHi, r.EMD, r.EMDStd, time.Since(start).Seconds(), r.Times["diffusion"])
		t.Logf("stages (s): %v", r.Times)
	}
}

// TestComparisonMore runs the iJKOnet–JKOnet* comparison's protocol
// (RunComparison's settings: mlp_potential, 2,000 particles, scored on
// held-out paired trajectories) on unpaired snapshots of other potentials
// (JKO_LONG=1; JKO_POTENTIALS, default "flowers,oakley_ohagan").
func TestComparisonMore(t *testing.T) {
	if os.Getenv("JKO_LONG") == "" {
		t.Skip("JKO_LONG=1 runs the comparison on more potentials")
	}
	pots := potentialsEnv("flowers", "oakley_ohagan")
	c0 := ComparisonSuite(false)[0]
	var rows []Row
	for _, p := range pots {
		c := c0
		c.Name, c.Truth = p, potentialTruth(p)
		explicit, implicit := compile.Explicit, compile.Implicit
		for _, v := range []struct {
			name   string
			scheme *compile.Scheme
			ijk    bool
		}{{"JKOnet* (drift at x)", &explicit, false}, {"JKOnet* (drift at y)", &implicit, false}, {"iJKOnet", nil, true}} {
			r := RunOpts(c, 0, Options{Unpaired: true, PairedTest: true, IJKOnet: v.ijk, Scheme: v.scheme, BothSteps: true})
			if !v.ijk {
				r.Method = v.name
			}
			if r.Err != "" {
				t.Fatalf("%s %s: %s", p, v.name, r.Err)
			}
			rows = append(rows, r)
			fmt.Printf("%s %s: %.4g ± %.2g\n", p, r.Method, r.EMD, r.EMDStd)
		}
	}
	fmt.Print(ComparisonMarkdown(rows))
}
