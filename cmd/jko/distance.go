package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jko-org/jko/solve/ot"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

type distanceCmd struct {
	A       string `arg:"" help:"First point cloud (CSV with a header; coordinate columns; optionally a weights column, see --weights-column)." type:"existingfile"`
	B       string `arg:"" help:"Second point cloud." type:"existingfile"`
	Metric  string `help:"w1 (Euclidean cost) or w2sq (squared Euclidean cost)." enum:"w1,w2sq" default:"w1"`
	JSON    bool   `help:"Print JSON."`
	Weights string `name:"weights-column" help:"The column of point weights in both files (none by default: uniform weights; a column named weight is refused unless named here)."`
}

// readCloud reads one point cloud from r (named name in messages).
func readCloud(r io.Reader, name, weights string) (*mat.Dense, []float64, error) {
	x, w, err := snapshot.CSVOptions{Weights: weights}.ReadPoints(r, name)
	var se *snapshot.Error
	if errors.As(err, &se) && weights == "" && strings.EqualFold(se.Column, "weight") && se.Line > 0 {
		return nil, nil, fmt.Errorf("%w (--weights-column %s takes it as point weights)", err, se.Column)
	}
	return x, w, err
}

// distance reads the clouds a and b (named na and nb) and couples them;
// d is their dimension.
func distance(a, b io.Reader, na, nb, weights, metric string) (plan *ot.Plan, d int, err error) {
	return distanceWith(a, b, na, nb, weights, metric, ot.Options{})
}

// distanceWith is distance with the solver's options (progress reports).
func distanceWith(a, b io.Reader, na, nb, weights, metric string, opt ot.Options) (plan *ot.Plan, d int, err error) {
	x, wa, err := readCloud(a, na, weights)
	if err != nil {
		return nil, 0, err
	}
	y, wb, err := readCloud(b, nb, weights)
	if err != nil {
		return nil, 0, err
	}
	_, d = x.Dims()
	if _, db := y.Dims(); d != db {
		return nil, 0, fmt.Errorf("distance: %s has %d coordinate columns, %s has %d", na, d, nb, db)
	}
	cf := ot.Euclidean
	if metric == "w2sq" {
		cf = ot.SqEuclidean
	}
	plan, err = ot.CoupleWith(x, y, wa, wb, cf, opt)
	return plan, d, err
}

func (c distanceCmd) Run(g *globals) error {
	fa, err := os.Open(c.A)
	if err != nil {
		return err
	}
	defer fa.Close()
	fb, err := os.Open(c.B)
	if err != nil {
		return err
	}
	defer fb.Close()
	// Long solves report their pricing rounds on stderr.
	plan, d, err := distanceWith(fa, fb, c.A, c.B, c.Weights, c.Metric, ot.Options{Progress: func(p ot.Progress) {
		if !g.quiet && p.Elapsed > 2*time.Second {
			fmt.Fprintf(g.stderr, "jko distance: exact OT %s\n", p)
		}
	}})
	if err != nil {
		return err
	}
	n, m := plan.N, plan.M
	if c.JSON {
		return json.NewEncoder(g.stdout).Encode(map[string]any{
			"metric": c.Metric, "value": plan.Cost, "n": n, "m": m, "dim": d, "pairs": len(plan.Pairs),
		})
	}
	fmt.Fprintf(g.stdout, "%s = %.12g   (%d × %d points in %d-D, %d coupling pairs)\n", c.Metric, plan.Cost, n, m, d, len(plan.Pairs))
	return nil
}
