package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/jko-org/jko/solve/ot"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

type distanceCmd struct {
	A       string   `arg:"" help:"First point cloud: CSV with a header, coordinate columns, optionally a weights column (see --weights-column) and a particle-id column (id, *_id); with a t or time column (jko's snapshot CSV), the snapshot at --t." type:"existingfile"`
	B       string   `arg:"" help:"Second point cloud, read the same way." type:"existingfile"`
	T       *float64 `help:"For CSV files with a time column: the time of the snapshot to compare (default: the last one, said on stderr)." placeholder:"T"`
	Metric  string   `help:"w1 (Euclidean cost) or w2sq (squared Euclidean cost)." enum:"w1,w2sq" default:"w1"`
	JSON    bool     `help:"Print JSON."`
	Weights string   `name:"weights-column" placeholder:"COLUMN" help:"The column of point weights in both files (none by default: uniform weights; a column named weight is refused unless named here)."`
}

// cloudOptions say how distance reads a cloud beyond its weights: which
// snapshot of a file with a time column (t; nil: the last) and where
// notes go; and how it solves (ot).
type cloudOptions struct {
	t     *float64
	notes io.Writer
	ot    ot.Options
}

// readCloud reads one point cloud from r (named name in messages); from a
// file with a time column (jko's snapshot CSV), the snapshot at time o.t.
func readCloud(r io.Reader, name, weights string, o cloudOptions) (*mat.Dense, []float64, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", name, err)
	}
	copts := snapshot.CSVOptions{Weights: weights, Coords: csvFlags.coords}
	var x *mat.Dense
	var w []float64
	if hasTimeColumn(b) {
		x, w, err = snapshotCloud(b, name, copts, o)
	} else {
		x, w, err = copts.ReadPoints(bytes.NewReader(b), name)
	}
	var se *snapshot.Error
	if errors.As(err, &se) && weights == "" && strings.EqualFold(se.Column, "weight") && se.Line > 0 {
		return nil, nil, fmt.Errorf("%w (--weights-column %s takes it as point weights)", err, se.Column)
	}
	return x, w, err
}

// snapshotCloud is the cloud at time o.t (nil: the last) of a snapshot CSV.
func snapshotCloud(b []byte, name string, copts snapshot.CSVOptions, o cloudOptions) (*mat.Dense, []float64, error) {
	s, info, err := copts.ReadInfo(bytes.NewReader(b), name)
	if err != nil {
		return nil, nil, err
	}
	csvFlags.note(name, info)
	k := s.Len() - 1
	if o.t != nil {
		k = -1
		for i, ti := range s.Times {
			if math.Abs(ti-*o.t) <= 1e-9*math.Max(1, math.Abs(ti)) {
				k = i
			}
		}
		if k < 0 {
			return nil, nil, fmt.Errorf("%s: no snapshot at t = %g (times %s)", name, *o.t, fmtList(s.Times))
		}
	} else if s.Len() > 1 && o.notes != nil {
		fmt.Fprintf(o.notes, "note: %s: %d snapshots; comparing the last, t = %g (choose with --t)\n", name, s.Len(), s.Times[k])
	}
	var w []float64
	if s.W != nil {
		w = s.W[k]
	}
	return s.X[k], w, nil
}

// hasTimeColumn reports whether the CSV header (the first line that is
// neither blank nor a comment) has a column named t or time.
func hasTimeColumn(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
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

// distance reads the clouds a and b (named na and nb) and couples them;
// d is their dimension.
func distance(a, b io.Reader, na, nb, weights, metric string) (plan *ot.Plan, d int, err error) {
	return distanceWith(a, b, na, nb, weights, metric, cloudOptions{})
}

// distanceWith is distance with the snapshot to compare, where notes go
// and the solver's options (progress reports).
func distanceWith(a, b io.Reader, na, nb, weights, metric string, o cloudOptions) (plan *ot.Plan, d int, err error) {
	x, wa, err := readCloud(a, na, weights, o)
	if err != nil {
		return nil, 0, err
	}
	y, wb, err := readCloud(b, nb, weights, o)
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
	plan, err = ot.CoupleWith(x, y, wa, wb, cf, o.ot)
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
	plan, d, err := distanceWith(fa, fb, c.A, c.B, c.Weights, c.Metric, cloudOptions{t: c.T, notes: g.stderr, ot: ot.Options{Progress: func(p ot.Progress) {
		if !g.quiet && p.Elapsed > 2*time.Second {
			fmt.Fprintf(g.stderr, "jko distance: exact OT %s\n", p)
		}
	}}})
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
