package snapshot

import (
	"testing"

	"gonum.org/v1/gonum/mat"
)

// A split read from a directory knows the whole population it was drawn
// from (data.npy), and so does each side of Split; the whole data has none.
func TestPopulation(t *testing.T) {
	x0 := mat.NewDense(4, 2, []float64{0, 0, 1, 0, 0, 1, 1, 1})
	x1 := mat.NewDense(4, 2, []float64{0, 2, 2, 0, 2, 2, 3, 3})
	all := &Snapshots{Times: []float64{0, 0.5}, X: []*mat.Dense{x0, x1}}
	train, test, err := all.Split(0.5, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Snapshots{train, test} {
		for k := range s.X {
			if s.Whole(k) != all.X[k] {
				t.Fatalf("Split: the population of time %d is not the whole snapshot", k)
			}
		}
	}
	dir := t.TempDir()
	if err := WriteDir(dir, train, test); err != nil {
		t.Fatal(err)
	}
	back, err := ReadDir(dir, "train", 0)
	if err != nil {
		t.Fatal(err)
	}
	if back.Population == nil {
		t.Fatal("ReadDir(train): no population")
	}
	for k := range back.X {
		if r, _ := back.Whole(k).Dims(); r != 4 {
			t.Errorf("time %d: population of %d particles, want 4", k, r)
		}
		if r, _ := back.X[k].Dims(); r != 2 {
			t.Errorf("time %d: split of %d particles, want 2", k, r)
		}
	}
	whole, err := ReadDir(dir, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if whole.Population != nil || whole.Whole(0) != whole.X[0] {
		t.Error("the whole data has a separate population")
	}
}
