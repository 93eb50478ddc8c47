package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/jko-org/jko/solve/ot"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

type distanceCmd struct {
	A      string   `arg:"" help:"First point cloud: CSV with a header, coordinate columns and optional weight and particle-id (id, *_id) columns; with a t or time column (jko's snapshot CSV), the snapshot at --t." type:"existingfile"`
	B      string   `arg:"" help:"Second point cloud, read the same way." type:"existingfile"`
	T      *float64 `help:"For CSV files with a time column: the time of the snapshot to compare (default: the only time, or the last one, said on stderr)." placeholder:"T"`
	Metric string   `help:"w1 (Euclidean cost) or w2sq (squared Euclidean cost)." enum:"w1,w2sq" default:"w1"`
	JSON   bool     `help:"Print JSON."`
}

// readCloud reads a point cloud; from a file with a time column (jko's
// snapshot CSV), the snapshot at time t (nil: the last one, with a note).
func readCloud(name string, t *float64, notes io.Writer) (*mat.Dense, []float64, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, nil, err
	}
	if !hasTimeColumn(b) {
		return snapshot.ReadPointsCSV(bytes.NewReader(b), name)
	}
	s, info, err := snapshot.ReadCSVWith(bytes.NewReader(b), name, snapshot.CSVOptions{Coords: csvFlags.coords})
	if err != nil {
		return nil, nil, err
	}
	csvFlags.note(name, info)
	k := s.Len() - 1
	if t != nil {
		k = -1
		for i, ti := range s.Times {
			if math.Abs(ti-*t) <= 1e-9*math.Max(1, math.Abs(ti)) {
				k = i
			}
		}
		if k < 0 {
			return nil, nil, fmt.Errorf("%s: no snapshot at t = %g (times %s)", name, *t, fmtList(s.Times))
		}
	} else if s.Len() > 1 {
		fmt.Fprintf(notes, "note: %s: %d snapshots; comparing the last, t = %g (choose with --t)\n", name, s.Len(), s.Times[k])
	}
	var w []float64
	if s.W != nil {
		w = s.W[k]
	}
	return s.X[k], w, nil
}

// hasTimeColumn reports whether the CSV header (the first line that is
// not a comment) has a column named t or time.
func hasTimeColumn(b []byte) bool {
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, h := range strings.Split(line, ",") {
			if h = strings.ToLower(strings.Trim(strings.TrimSpace(h), `"`)); h == "t" || h == "time" {
				return true
			}
		}
		return false
	}
	return false
}

func (c distanceCmd) Run(g *globals) error {
	x, a, err := readCloud(c.A, c.T, g.stderr)
	if err != nil {
		return err
	}
	y, b, err := readCloud(c.B, c.T, g.stderr)
	if err != nil {
		return err
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
