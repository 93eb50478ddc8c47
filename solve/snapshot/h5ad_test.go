package snapshot

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// reference reads testdata/cells.csv: the fixtures' cells as text, written
// by make_h5ad.py from the same arrays.
func reference(t *testing.T) *Snapshots {
	t.Helper()
	f, err := os.Open("testdata/cells.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := ReadCSV(f, "cells.csv")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sameSnapshots(t *testing.T, got, want *Snapshots, times []float64, dims int) {
	t.Helper()
	if got.Len() != want.Len() {
		t.Fatalf("%d snapshots, want %d", got.Len(), want.Len())
	}
	for k := range want.X {
		if got.Times[k] != times[k] {
			t.Errorf("time %d = %v, want %v", k, got.Times[k], times[k])
		}
		w := want.X[k]
		if dims > 0 {
			r, _ := w.Dims()
			w = mat.DenseCopyOf(w.Slice(0, r, 0, dims))
		}
		if !mat.Equal(got.X[k], w) {
			t.Errorf("snapshot %d:\n%v\nwant\n%v", k, mat.Formatted(got.X[k]), mat.Formatted(w))
		}
	}
}

func TestReadH5AD(t *testing.T) {
	ref := reference(t)
	cases := []struct {
		file string
		src  Source
		want []float64
		dims int
	}{
		{"cells.h5ad", Source{TimeKey: "day", Coords: "X_pca"}, []float64{0, 1, 2}, 0},
		{"cells.h5ad", Source{TimeKey: "day", Coords: "X_pca", Times: []float64{1.5, 7.5, 13.5}}, []float64{1.5, 7.5, 13.5}, 0},
		{"cells.h5ad", Source{TimeKey: "day_num", Coords: "X_pca"}, []float64{0, 6, 12}, 0},
		{"cells.h5ad", Source{TimeKey: "t", Coords: "X_pca"}, []float64{0, 1.5, 3}, 0},
		{"cells.h5ad", Source{TimeKey: "t", Coords: "X_pca", Times: []float64{0, 1, 2}}, []float64{0, 1, 2}, 0},
		{"cells.h5ad", Source{TimeKey: "t", Coords: "X_pca", Dims: 2}, []float64{0, 1.5, 3}, 2},
		{"cells_gzip.h5ad", Source{TimeKey: "day", Coords: "X_pca"}, []float64{0, 1, 2}, 0},
		{"cells_sparse.h5ad", Source{TimeKey: "day", Coords: "X_pca"}, []float64{0, 1, 2}, 0},
	}
	for _, c := range cases {
		s, err := ReadH5AD(filepath.Join("testdata", c.file), c.src)
		if err != nil {
			t.Errorf("%s %+v: %v", c.file, c.src, err)
			continue
		}
		sameSnapshots(t, s, ref, c.want, c.dims)
	}
}

// TestReadH5ADX reads the dense X (float32 on disk) with the counts of the
// three days.
func TestReadH5ADX(t *testing.T) {
	s, err := ReadH5AD("testdata/cells.h5ad", Source{TimeKey: "day"})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Counts(); len(got) != 3 || got[0] != 4 || got[1] != 6 || got[2] != 5 {
		t.Errorf("counts %v, want [4 6 5]", got)
	}
	if s.Dim() != 4 {
		t.Errorf("dimension %d, want 4", s.Dim())
	}
}

func TestReadH5ADErrors(t *testing.T) {
	cases := []struct {
		file string
		src  Source
		want []string
	}{
		{"cells.h5ad", Source{TimeKey: "days", Coords: "X_pca"}, []string{`no obs column "days"`, `"day"`, `"day_num"`, `"t"`, `"batch"`}},
		{"cells.h5ad", Source{Coords: "X_pca"}, []string{"name the time column", `"day"`}},
		{"cells.h5ad", Source{TimeKey: "day", Coords: "X_umap"}, []string{`no obsm key "X_umap"`, `"X_pca"`}},
		{"cells.h5ad", Source{TimeKey: "batch", Coords: "X_pca"}, []string{"one time (1) for all 15 cells", "at least 2 time points"}},
		{"cells.h5ad", Source{TimeKey: "day_na", Coords: "X_pca"}, []string{"cell 7", `"cell7"`, "missing value"}},
		{"cells.h5ad", Source{TimeKey: "day", Coords: "X_pca", Times: []float64{0, 1}}, []string{"2 times given for 3 levels", `"Day 00-03"`}},
		{"cells.h5ad", Source{TimeKey: "day", Coords: "X_pca", Dims: 4}, []string{"keep 4 coordinates", "obsm/X_pca has 3"}},
		{"cells_nan.h5ad", Source{TimeKey: "day", Coords: "X_pca"}, []string{"cell 7", `"cell7"`, "coordinate 1 is NaN"}},
		{"cells_mismatch.h5ad", Source{TimeKey: "day", Coords: "X_pca"}, []string{"obs index has shape [15]", "14 rows"}},
		{"cells_latest.h5ad", Source{TimeKey: "day", Coords: "X_pca"}, []string{"libver='latest'", "write_h5ad"}},
		{"cells_sparse.h5ad", Source{TimeKey: "day"}, []string{"sparse", "csr_matrix", `"X_pca"`}},
		{"cells.csv", Source{TimeKey: "day"}, []string{"cannot read as HDF5"}},
		{"missing.h5ad", Source{TimeKey: "day"}, []string{"cannot read as HDF5"}},
	}
	for _, c := range cases {
		_, err := ReadH5AD(filepath.Join("testdata", c.file), c.src)
		if err == nil {
			t.Errorf("%s %+v: no error", c.file, c.src)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s %+v: error %q does not say %q", c.file, c.src, err, w)
			}
		}
	}
}

func TestReadNPZ(t *testing.T) {
	ref := reference(t)
	s, err := ReadNPZ("testdata/cells.npz", Source{})
	if err != nil {
		t.Fatal(err)
	}
	sameSnapshots(t, s, ref, []float64{0, 1, 2}, 0)
	s, err = ReadNPZ("testdata/cells.npz", Source{TimeKey: "sample_labels", Coords: "pcs", Times: []float64{0, 1.5, 3}, Dims: 1})
	if err != nil {
		t.Fatal(err)
	}
	sameSnapshots(t, s, ref, []float64{0, 1.5, 3}, 1)
	for _, c := range []struct {
		src  Source
		want string
	}{
		{Source{Coords: "X_pca"}, `no array "X_pca"; arrays: "pcs", "sample_labels"`},
		{Source{TimeKey: "pcs"}, `time array "pcs" has shape [15 3]`},
		{Source{Times: []float64{1}}, "1 times given for 3 levels"},
	} {
		if _, err := ReadNPZ("testdata/cells.npz", c.src); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.src, err, c.want)
		}
	}
}

func TestStandardize(t *testing.T) {
	s := &Snapshots{Times: []float64{0, 1}, X: []*mat.Dense{
		mat.NewDense(2, 2, []float64{1, 10, 3, 10}),
		mat.NewDense(2, 2, []float64{5, 20, 7, 20}),
	}}
	mean, std, err := s.Standardize()
	if err != nil {
		t.Fatal(err)
	}
	// Column 0: 1,3,5,7 (mean 4, population std √5); column 1: 10,10,20,20.
	if mean[0] != 4 || mean[1] != 15 || std[1] != 5 || math.Abs(std[0]-math.Sqrt(5)) > 1e-15 {
		t.Errorf("mean %v std %v", mean, std)
	}
	if got := s.X[1].At(1, 0); math.Abs(got-3/math.Sqrt(5)) > 1e-15 {
		t.Errorf("standardised 7 = %v", got)
	}
	flat := &Snapshots{Times: []float64{0, 1}, X: []*mat.Dense{
		mat.NewDense(2, 1, []float64{1, 1}), mat.NewDense(2, 1, []float64{1, 1}),
	}}
	if _, _, err := flat.Standardize(); err == nil || !strings.Contains(err.Error(), "coordinate 0") {
		t.Errorf("constant coordinate: %v", err)
	}
}

func TestWithoutPrevious(t *testing.T) {
	s := &Snapshots{Times: []float64{0, 1, 2, 3, 4}}
	for k := 0; k < 5; k++ {
		s.X = append(s.X, mat.NewDense(2, 1, []float64{float64(k), float64(k)}))
	}
	r, err := s.Without([]int{3, 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Times) != 3 || r.Times[0] != 0 || r.Times[1] != 2 || r.Times[2] != 4 {
		t.Errorf("kept times %v, want [0 2 4]", r.Times)
	}
	held, from, err := s.Previous([]int{3, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != 3 || held[0] != 1 || held[2] != 3 || from[0] != 0 || from[1] != 0 || from[2] != 0 {
		t.Errorf("held %v from %v, want [1 2 3] from [0 0 0]", held, from)
	}
	for _, c := range []struct {
		out  []int
		want string
	}{
		{[]int{0}, "no earlier snapshot"},
		{[]int{5}, "snapshots 0..4"},
		{[]int{1, 1}, "twice"},
		{nil, "no snapshot"},
	} {
		if _, _, err := s.Previous(c.out); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Previous(%v): %v, want %q", c.out, err, c.want)
		}
	}
	if _, err := s.Without([]int{0, 1, 2, 3}); err == nil || !strings.Contains(err.Error(), "keeps 1 of 5") {
		t.Errorf("leaving out 4 of 5: %v", err)
	}
}

// FuzzReadH5AD feeds mutated fixtures to the reader: an error, never a
// panic, and any snapshots it returns are valid. Known limit, found with
// this target: github.com/scigolib/hdf5 v0.14.0 trusts sizes read from
// the file, so some corruptions make it allocate without bound (a global
// heap collection of 140 TB in core.ReadGlobalHeapCollection, reached
// from an attribute's variable-length string): a fatal out-of-memory that
// no recover catches, which stalls a -fuzz run. To be fixed upstream.
func FuzzReadH5AD(f *testing.F) {
	for _, name := range []string{"cells.h5ad", "cells_latest.h5ad", "cells_gzip.h5ad"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "f.h5ad")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := ReadH5AD(path, Source{TimeKey: "day", Coords: "X_pca"})
		if err == nil {
			if err := s.Validate(); err != nil {
				t.Fatalf("invalid snapshots without an error: %v", err)
			}
		}
	})
}
