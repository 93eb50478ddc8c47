package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

// cellFlags are the options of fit, eval, predict and plot that say how to
// read a cell table (.h5ad, .npz) and which cells to use: a seeded
// train/test split inside each snapshot, snapshots left out.
type cellFlags struct {
	TimeKey      string    `name:"time-key" placeholder:"COLUMN" help:"The time of each cell: an obs column of an .h5ad file (numeric, or categorical with its categories in order), an array of an .npz file (default there: sample_labels)."`
	Obsm         string    `placeholder:"KEY" help:"The coordinates of an .h5ad file: an obsm key such as X_pca (default: X). Of an .npz file: the array's name (default: data, X or pcs)."`
	Times        []float64 `placeholder:"T,…" help:"The times of the time column's levels: its categories in order, or its distinct values in increasing order (.h5ad, .npz); the times of the snapshots (CSV, directory). Default: the values, or 0, 1, 2, … for categories that are not numbers."`
	Dims         int       `placeholder:"N" help:"Keep the first N coordinates (the leading principal components; 0: all)."`
	Standardize  bool      `help:"Shift and scale every coordinate to mean 0 and variance 1 over all cells of the file (before any split)."`
	TestFraction float64   `name:"test-fraction" placeholder:"FRACTION" help:"Split each snapshot at random into train and test cells, this fraction to test (the JKOnet* protocol: 0.4); the same --split-seed selects the same cells in fit (which trains on the rest), eval, predict and plot (which use the test cells). A directory's data.npy is split (leave --split out)."`
	SplitSeed    uint64    `name:"split-seed" placeholder:"SEED" help:"Seed of --test-fraction's split."`
	LeaveOut     []int     `name:"leave-out" placeholder:"K,…" help:"Indices of snapshots to leave out (the iJKOnet protocol: 1,3): fit ignores them; eval scores the predictions of each from the previous kept snapshot over the elapsed time (W2 and W1)."`
}

// cellFile names the kind of a cell table read through --time-key and
// --obsm ("h5ad", "npz"), or "".
func cellFile(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".h5ad":
		return "h5ad"
	case ".npz":
		return "npz"
	}
	return ""
}

// load reads the data at path (a cell table, or what loadData reads with
// df and its default split dflt) and returns the cells of one side of the
// split: "train" (fit) or "test" (eval, predict, plot) when --test-fraction
// is set, else all of them. Snapshots are not left out here: fit drops
// them, eval scores them.
func (f cellFlags) load(path string, df dataFlags, dflt, side string) (*dataset, error) {
	if f.TestFraction != 0 && !(f.TestFraction > 0 && f.TestFraction < 1) {
		return nil, fmt.Errorf("--test-fraction %v: want a fraction in (0, 1)", f.TestFraction)
	}
	if f.Dims < 0 {
		return nil, fmt.Errorf("--dims %d: want a positive count (0: all coordinates)", f.Dims)
	}
	kind := cellFile(path)
	if kind == "" && (f.TimeKey != "" || f.Obsm != "") {
		return nil, fmt.Errorf("--time-key and --obsm apply to .h5ad and .npz files; %s is neither", path)
	}
	var ds *dataset
	if kind != "" {
		if df.Split != "" && df.Split != "all" {
			return nil, fmt.Errorf("--split %s: %s is a cell table without a train/test split (use --test-fraction)", df.Split, path)
		}
		if df.Weights != "" {
			return nil, fmt.Errorf("--weights-column: %s has no weights (only CSV files do)", path)
		}
		src := snapshot.Source{TimeKey: f.TimeKey, Coords: f.Obsm, Times: f.Times, Dims: f.Dims}
		var s *snapshot.Snapshots
		var err error
		if kind == "h5ad" {
			s, err = snapshot.ReadH5AD(path, src)
		} else {
			s, err = snapshot.ReadNPZ(path, src)
		}
		if err != nil {
			return nil, err
		}
		if df.Dt > 0 {
			for k := range s.Times {
				s.Times[k] = s.Times[0] + float64(k)*df.Dt
			}
		}
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		ds = &dataset{Snapshots: s, Split: "all"}
	} else {
		if f.TestFraction > 0 {
			if df.Split != "" && df.Split != "all" {
				return nil, fmt.Errorf("--split %s with --test-fraction: the fraction splits the cells itself (leave --split out)", df.Split)
			}
			df.Split = "all"
		}
		var err error
		if ds, err = loadData(path, df, dflt); err != nil {
			return nil, err
		}
		if err := f.reshape(ds.Snapshots); err != nil {
			return nil, err
		}
	}
	if f.Standardize {
		if _, _, err := ds.Standardize(); err != nil {
			return nil, err
		}
	}
	if f.TestFraction > 0 {
		train, test, err := ds.Snapshots.Split(f.TestFraction, f.SplitSeed)
		if err != nil {
			return nil, err
		}
		ds.Snapshots = test
		if side == "train" {
			ds.Snapshots = train
		}
		ds.Split = fmt.Sprintf("%s side of the %g seed-%d", side, f.TestFraction, f.SplitSeed)
	}
	ds.TimesNote = f.note(ds.Snapshots, path)
	return ds, nil
}

// reshape applies --times and --dims to data read from a CSV file or a
// directory.
func (f cellFlags) reshape(s *snapshot.Snapshots) error {
	if f.Times != nil {
		if len(f.Times) != s.Len() {
			return fmt.Errorf("--times: %d times for %d snapshots", len(f.Times), s.Len())
		}
		copy(s.Times, f.Times)
	}
	if f.Dims > 0 {
		if f.Dims > s.Dim() {
			return fmt.Errorf("--dims %d: the data has %d coordinates", f.Dims, s.Dim())
		}
		for k, x := range s.X {
			r, _ := x.Dims()
			s.X[k] = mat.DenseCopyOf(x.Slice(0, r, 0, f.Dims))
		}
		if len(s.Names) > f.Dims {
			s.Names = s.Names[:f.Dims]
		}
	}
	return s.Validate()
}

// fitData is the data fit trains on: the train side without the snapshots
// left out.
func (f cellFlags) fitData(path string, df dataFlags) (*dataset, error) {
	ds, err := f.load(path, df, "train", "train")
	if err != nil {
		return nil, err
	}
	if len(f.LeaveOut) > 0 {
		if ds.Snapshots, err = ds.Without(f.LeaveOut); err != nil {
			return nil, err
		}
		ds.Split += ", snapshots " + joinInts(f.LeaveOut) + " left out"
		ds.TimesNote = f.note(ds.Snapshots, path)
	}
	return ds, nil
}

// note is the data's times note, with where a cell table's times and
// coordinates came from.
func (f cellFlags) note(s *snapshot.Snapshots, path string) string {
	n := timesNote(s)
	if src := f.source(); cellFile(path) != "" && src != "" {
		n += "; " + src
	}
	return n
}

// source describes where a cell table's times and coordinates came from.
func (f cellFlags) source() string {
	var parts []string
	if f.TimeKey != "" {
		parts = append(parts, "time "+f.TimeKey)
	}
	if f.Obsm != "" {
		parts = append(parts, "obsm "+f.Obsm)
	}
	if f.Dims > 0 {
		parts = append(parts, fmt.Sprintf("first %d coordinates", f.Dims))
	}
	return strings.Join(parts, ", ")
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}
