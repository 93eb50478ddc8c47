package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

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

func readCloud(name, weights string) (*mat.Dense, []float64, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	x, w, err := snapshot.CSVOptions{Weights: weights}.ReadPoints(f, name)
	var se *snapshot.Error
	if errors.As(err, &se) && weights == "" && strings.EqualFold(se.Column, "weight") && se.Line > 0 {
		return nil, nil, fmt.Errorf("%w (--weights-column %s takes it as point weights)", err, se.Column)
	}
	return x, w, err
}

func (c distanceCmd) Run(g *globals) error {
	x, a, err := readCloud(c.A, c.Weights)
	if err != nil {
		return err
	}
	y, b, err := readCloud(c.B, c.Weights)
	if err != nil {
		return err
	}
	_, da := x.Dims()
	_, db := y.Dims()
	if da != db {
		return fmt.Errorf("distance: %s has %d coordinate columns, %s has %d", c.A, da, c.B, db)
	}
	cf := ot.Euclidean
	if c.Metric == "w2sq" {
		cf = ot.SqEuclidean
	}
	plan, err := ot.Couple(x, y, a, b, cf)
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
