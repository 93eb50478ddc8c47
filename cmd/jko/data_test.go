package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const fixtures = "../../solve/snapshot/testdata/"

// An AnnData file end to end: fit without snapshot 1, eval scores it.
func TestH5ADLeaveOut(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "model.jko")
	os.WriteFile(spec, []byte("param a\npotential V(x, t) = a*norm2(x)\n"), 0o644)
	fitted := filepath.Join(dir, "fitted.jko")
	data := fixtures + "cells.h5ad"
	out := mustRun(t, "fit", spec, data, "--time-key", "day", "--obsm", "X_pca", "--times", "0,1,2", "--leave-out", "1", "-o", fitted)
	if !strings.Contains(out, "wrote") {
		t.Fatalf("fit output:\n%s", out)
	}
	text, _ := os.ReadFile(fitted)
	if !strings.Contains(string(text), "(all, snapshots 1 left out split): 2 snapshots, 3-D, dt 2; time day, obsm X_pca;") {
		t.Errorf("fitted header:\n%s", text)
	}
	out = mustRun(t, "eval", fitted, data, "--time-key", "day", "--obsm", "X_pca", "--leave-out", "1", "--json")
	var rep struct {
		LeaveOut []struct {
			Snapshot, From int
			W1, W2         float64
		} `json:"leave_out"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rep.LeaveOut) != 1 || rep.LeaveOut[0].Snapshot != 1 || rep.LeaveOut[0].From != 0 || !(rep.LeaveOut[0].W2 >= rep.LeaveOut[0].W1) || !(rep.LeaveOut[0].W1 > 0) {
		t.Errorf("leave-out scores %+v (W2 ≥ W1 > 0 expected)", rep.LeaveOut)
	}
}

// Bad cell tables: a clear error, status 1, nothing written.
func TestH5ADBadInput(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "model.jko")
	os.WriteFile(spec, []byte("param a\npotential V(x) = a*norm2(x)\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{fixtures + "cells.h5ad", "--time-key", "days", "--obsm", "X_pca"}, `no obs column "days"; obs columns: "batch", "day", "day_na", "day_num", "t"`},
		{[]string{fixtures + "cells.h5ad", "--time-key", "day", "--obsm", "pca"}, `no obsm key "pca"; obsm keys: "X_pca"`},
		{[]string{fixtures + "cells.h5ad", "--time-key", "batch", "--obsm", "X_pca"}, "one time (1) for all 15 cells"},
		{[]string{fixtures + "cells_nan.h5ad", "--time-key", "day", "--obsm", "X_pca"}, `cell 7 ("cell7"), coordinate 1 is NaN`},
		{[]string{fixtures + "cells_mismatch.h5ad", "--time-key", "day", "--obsm", "X_pca"}, "obs and the coordinates disagree"},
		{[]string{fixtures + "cells_latest.h5ad", "--time-key", "day", "--obsm", "X_pca"}, "libver='latest'"},
		{[]string{fixtures + "cells.csv", "--time-key", "day"}, "apply to .h5ad and .npz files"},
		{[]string{fixtures + "cells.npz", "--leave-out", "5"}, "the data has snapshots 0..2"},
		{[]string{fixtures + "cells.npz", "--test-fraction", "1.5"}, "want a fraction in (0, 1)"},
	} {
		out := filepath.Join(dir, "fitted.jko")
		code, _, errs := jko(t, append([]string{"fit", spec, "-o", out}, c.args...)...)
		if code != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("fit %v: status %d, stderr %q, want %q", c.args, code, errs, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("fit %v wrote %s", c.args, out)
			os.Remove(out)
		}
	}
}

// --test-fraction: fit's train cells and eval's test cells partition each
// snapshot, the same for every command given the same seed.
func TestSplitPartition(t *testing.T) {
	f := cellFlags{TestFraction: 0.4, SplitSeed: 3}
	all, err := cellFlags{}.load("../../examples/eb/data", dataFlags{Split: "all"}, "test", "test")
	if err != nil {
		t.Fatal(err)
	}
	train, err := f.load("../../examples/eb/data", dataFlags{}, "train", "train")
	if err != nil {
		t.Fatal(err)
	}
	test, err := f.load("../../examples/eb/data", dataFlags{}, "test", "test")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := f.load("../../examples/eb/data", dataFlags{Split: "all"}, "test", "test")
	key := func(row []float64) string { b, _ := json.Marshal(row); return string(b) }
	for k := range all.X {
		var a, b []string
		n, _ := all.X[k].Dims()
		for i := 0; i < n; i++ {
			a = append(a, key(all.X[k].RawRowView(i)))
		}
		ntr, _ := train.X[k].Dims()
		nte, _ := test.X[k].Dims()
		for i := 0; i < ntr; i++ {
			b = append(b, key(train.X[k].RawRowView(i)))
		}
		for i := 0; i < nte; i++ {
			b = append(b, key(test.X[k].RawRowView(i)))
			if key(again.X[k].RawRowView(i)) != key(test.X[k].RawRowView(i)) {
				t.Fatalf("snapshot %d: the test cells differ between two loads", k)
			}
		}
		sort.Strings(a)
		sort.Strings(b)
		if strings.Join(a, "\n") != strings.Join(b, "\n") {
			t.Errorf("snapshot %d: train ∪ test is not the snapshot", k)
		}
		if want := int(float64(n) * 0.4); nte != want {
			t.Errorf("snapshot %d: %d test cells of %d, want %d", k, nte, n, want)
		}
	}
}

// A relative error against a truth of 0 is undefined, not 1e300: jko eval
// prints the absolute error there (it printed "rel. error 9.9e+294" for a
// fitted β against a true β of 0).
func TestErrorAgainstZeroTruth(t *testing.T) {
	tests := []struct {
		f, tr float64
		want  string
	}{
		{0.0021, 0, "abs. error 0.0021 (the truth is 0)"},
		{0, 0, "rel. error 0"},
		{1.1, 1, "rel. error 0.1"},
		{-2, 0, "abs. error 2 (the truth is 0)"},
	}
	for _, tc := range tests {
		if got := errorText(relErr(tc.f, tc.tr), math.Abs(tc.f-tc.tr)); got != tc.want {
			t.Errorf("fitted %g, true %g: %q, want %q", tc.f, tc.tr, got, tc.want)
		}
	}
	if r := relL2([]float64{1, 2}, []float64{0, 0}); !math.IsNaN(r) {
		t.Errorf("relL2 against a zero truth = %g, want NaN (undefined)", r)
	}
	if r := relL2([]float64{0, 0}, []float64{0, 0}); r != 0 {
		t.Errorf("relL2 of two zero fields = %g, want 0", r)
	}
	if r := rmsDiff([]float64{3, 4, 0, 0}, []float64{0, 0, 0, 0}, 2); math.Abs(r-math.Sqrt(12.5)) > 1e-15 {
		t.Errorf("rmsDiff = %g, want √12.5", r)
	}
}
