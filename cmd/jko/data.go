package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

// dataFlags are the options of fit, eval, predict and plot that say how to
// read a cell table (.h5ad, .npz) and which cells to use: a seeded
// train/test split inside each snapshot, snapshots left out.
type dataFlags struct {
	TimeKey      string    `name:"time-key" help:"The time of each cell: an obs column of an .h5ad file (numeric, or categorical with its categories in order), an array of an .npz file (default there: sample_labels)."`
	Obsm         string    `help:"The coordinates of an .h5ad file: an obsm key such as X_pca (default: X). Of an .npz file: the array's name (default: data, X or pcs)."`
	Times        []float64 `help:"The times of the time column's levels: its categories in order, or its distinct values in increasing order (.h5ad, .npz); the times of the snapshots (CSV, directory). Default: the values, or 0, 1, 2, … for categories that are not numbers."`
	Dims         int       `help:"Keep the first N coordinates (the leading principal components; 0: all)."`
	Standardize  bool      `help:"Shift and scale every coordinate to mean 0 and variance 1 over all cells of the file (before any split)."`
	TestFraction float64   `name:"test-fraction" help:"Split each snapshot at random into train and test cells, this fraction to test (the JKOnet* protocol: 0.4); the same --split-seed selects the same cells in fit (which trains on the rest), eval, predict and plot (which use the test cells). With a directory, splits data.npy and ignores --split."`
	SplitSeed    uint64    `name:"split-seed" help:"Seed of --test-fraction's split."`
	LeaveOut     []int     `name:"leave-out" help:"Indices of snapshots to leave out (the iJKOnet protocol: 1,3): fit ignores them; eval scores the predictions of each from the previous kept snapshot over the elapsed time (W2 and W1)."`
}

// cellFile reports whether path is a cell table read through --time-key
// and --obsm.
func cellFile(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".h5ad":
		return "h5ad"
	case ".npz":
		return "npz"
	}
	return ""
}

// load reads the data at path and returns the cells of one side of the
// split: "train" (fit) or "test" (eval, predict, plot) when --test-fraction
// is set, else all of them. split and dt are the command's directory split
// and time step. Snapshots are not left out here: fit drops them, eval
// scores them.
func (f dataFlags) load(path, split string, dt float64, side string) (*snapshot.Snapshots, error) {
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
	src := snapshot.Source{TimeKey: f.TimeKey, Coords: f.Obsm, Times: f.Times, Dims: f.Dims}
	var (
		s   *snapshot.Snapshots
		err error
	)
	switch kind {
	case "h5ad":
		s, err = snapshot.ReadH5AD(path, src)
	case "npz":
		s, err = snapshot.ReadNPZ(path, src)
	default:
		if f.TestFraction > 0 {
			split = "all"
		}
		s, err = loadData(path, split, dt)
		if err == nil {
			err = f.reshape(s)
		}
	}
	if err != nil {
		return nil, err
	}
	if kind != "" && dt > 0 {
		for k := range s.Times {
			s.Times[k] = float64(k) * dt
		}
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if f.Standardize {
		if _, _, err := s.Standardize(); err != nil {
			return nil, err
		}
	}
	if f.TestFraction > 0 {
		train, test, err := s.Split(f.TestFraction, f.SplitSeed)
		if err != nil {
			return nil, err
		}
		if side == "train" {
			return train, nil
		}
		return test, nil
	}
	return s, nil
}

// reshape applies --times and --dims to data read from a CSV file or a
// directory.
func (f dataFlags) reshape(s *snapshot.Snapshots) error {
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
	return nil
}

// fitData is the data fit trains on: the train side without the snapshots
// left out.
func (f dataFlags) fitData(path, split string, dt float64) (*snapshot.Snapshots, error) {
	s, err := f.load(path, split, dt, "train")
	if err != nil {
		return nil, err
	}
	if len(f.LeaveOut) > 0 {
		return s.Without(f.LeaveOut)
	}
	return s, nil
}

// describe summarises the data options for a fitted spec's header.
func (f dataFlags) describe() string {
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
	if f.Standardize {
		parts = append(parts, "standardised")
	}
	if f.TestFraction > 0 {
		parts = append(parts, fmt.Sprintf("train cells of a %g test split (seed %d)", f.TestFraction, f.SplitSeed))
	}
	if len(f.LeaveOut) > 0 {
		parts = append(parts, fmt.Sprintf("snapshots %s left out", joinInts(f.LeaveOut)))
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

// isFile reports whether path names a regular file (not a directory).
func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}
