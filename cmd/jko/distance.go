package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/jko-org/jko/solve/ot"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

type distanceCmd struct {
	A      string `arg:"" help:"First point cloud (CSV with a header; coordinate columns; optional weight column)." type:"existingfile"`
	B      string `arg:"" help:"Second point cloud." type:"existingfile"`
	Metric string `help:"w1 (Euclidean cost) or w2sq (squared Euclidean cost)." enum:"w1,w2sq" default:"w1"`
	JSON   bool   `help:"Print JSON."`
}

func readCloud(name string) (*mat.Dense, []float64, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return snapshot.ReadPointsCSV(f, name)
}

func (c distanceCmd) Run(g *globals) error {
	x, a, err := readCloud(c.A)
	if err != nil {
		return err
	}
	y, b, err := readCloud(c.B)
	if err != nil {
		return err
	}
	cf := ot.Euclidean
	if c.Metric == "w2sq" {
		cf = ot.SqEuclidean
	}
	// Long solves report their pricing rounds on stderr.
	plan, err := ot.CoupleWith(x, y, a, b, cf, ot.Options{Progress: func(p ot.Progress) {
		if !g.quiet && p.Elapsed > 2*time.Second {
			fmt.Fprintf(g.stderr, "jko distance: exact OT %s\n", p)
		}
	}})
	if err != nil {
		return err
	}
	n, d := x.Dims()
	m, _ := y.Dims()
	if c.JSON {
		return json.NewEncoder(g.stdout).Encode(map[string]any{
			"metric": c.Metric, "value": plan.Cost, "n": n, "m": m, "dim": d, "pairs": len(plan.Pairs),
		})
	}
	fmt.Fprintf(g.stdout, "%s = %.12g   (%d × %d points in %d-D, %d coupling pairs)\n", c.Metric, plan.Cost, n, m, d, len(plan.Pairs))
	return nil
}
