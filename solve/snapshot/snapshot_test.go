package snapshot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio"
	"gonum.org/v1/gonum/mat"
)

func TestReadCSVErrors(t *testing.T) {
	cases := []struct {
		name, text string
		line       int
		col        string
		msg        string
	}{
		{"nan", "t,x,y\n0,1,2\n0,NaN,3\n", 3, "x", "not finite"},
		{"inf", "t,x,y\n0,1,2\n0,1,+Inf\n", 3, "y", "not finite"},
		{"ragged", "t,x,y\n0,1,2\n0,1\n", 3, "", "ragged row"},
		{"unparsable", "t,x,y\n0,1,2\n0,1,abc\n", 3, "y", `cannot parse "abc"`},
		{"bad time", "time,x\n0,1\nzero,2\n", 3, "time", "cannot parse"},
		{"one particle", "t,x\n0,1\n0,2\n1,3\n2,4\n2,5\n", 4, "t", "1 particle(s)"},
		{"last one particle", "t,x\n0,1\n0,2\n1,3\n", 4, "t", "1 particle(s)"},
		{"decreasing", "t,x\n0,1\n0,2\n1,3\n1,4\n0.5,5\n", 6, "t", "grouped by time"},
		{"no time column", "a,x\n0,1\n", 1, "", "no time column"},
		{"no coordinates", "t,weight\n0,1\n0,1\n", 1, "", "no coordinate columns"},
		{"duplicate header", "t,x,x\n0,1,2\n", 1, "x", "duplicate column"},
		{"empty", "", 0, "", "empty file"},
		{"header only", "t,x\n", 0, "", "no data rows"},
		{"negative weight", "t,x,weight\n0,1,1\n0,2,-1\n", 3, "weight", "negative weight"},
		{"zero weights", "t,x,weight\n0,1,0\n0,2,0\n", 2, "weight", "sum to 0"},
		{"two time columns", "t,time,x\n0,0,1\n", 1, "time", "two time columns"},
		{"comment shifts lines", "# c\nt,x\n0,1\n0,1e999\n", 4, "x", "not finite"},
		{"weight without opt-in", "t,x,Weight\n0,1,1\n0,2,1\n", 1, "Weight", "a column named weight"},
		{"missing weights column", "t,x\n0,1\n0,2\n", 1, "", "no weights column"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := CSVOptions{}
			if strings.Contains(c.text, "weight") && c.name != "weight without opt-in" {
				o.Weights = "weight"
			}
			if c.name == "missing weights column" {
				o.Weights = "mass"
			}
			_, err := o.Read(strings.NewReader(c.text), "in.csv")
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("want *Error, got %v", err)
			}
			if e.File != "in.csv" || e.Line != c.line || e.Column != c.col || !strings.Contains(e.Msg, c.msg) {
				t.Fatalf("got file=%q line=%d col=%q msg=%q; want line=%d col=%q msg~%q", e.File, e.Line, e.Column, e.Msg, c.line, c.col, c.msg)
			}
			s := err.Error()
			if !strings.HasPrefix(s, "in.csv") || (c.line > 0 && !strings.Contains(s, fmt.Sprintf(":%d", c.line))) || (c.col != "" && !strings.Contains(s, c.col)) {
				t.Fatalf("message %q does not name file, line and column", s)
			}
		})
	}
}

func TestReadCSV(t *testing.T) {
	text := "time, a, weight, b\n0,1,0.5,2\n0,3,1.5,4\n0.1,5,1,6\n0.1,7,1,8\n0.1,9,2,10\n"
	s, err := CSVOptions{Weights: "WEIGHT"}.Read(strings.NewReader(text), "x.csv")
	if err != nil {
		t.Fatal(err)
	}
	if s.TimeSource != "column time" {
		t.Errorf("time source %q", s.TimeSource)
	}
	if s.Len() != 2 || s.Dim() != 2 {
		t.Fatalf("len %d dim %d", s.Len(), s.Dim())
	}
	if s.Times[0] != 0 || s.Times[1] != 0.1 {
		t.Fatalf("times %v", s.Times)
	}
	if !mat.Equal(s.X[1], mat.NewDense(3, 2, []float64{5, 6, 7, 8, 9, 10})) {
		t.Fatalf("X[1] = %v", mat.Formatted(s.X[1]))
	}
	if fmt.Sprint(s.W) != "[[0.5 1.5] [1 1 2]]" || fmt.Sprint(s.Names) != "[a b]" {
		t.Fatalf("W %v names %v", s.W, s.Names)
	}
}

func random(seed uint64, counts []int, d int) *Snapshots {
	s := &Snapshots{}
	state := seed*2654435761 + 1
	next := func() float64 {
		state ^= state << 13
		state ^= state >> 7
		state ^= state << 17
		return float64(state>>11)/float64(1<<53)*8 - 4
	}
	for k, n := range counts {
		s.Times = append(s.Times, float64(k)*0.01)
		m := mat.NewDense(n, d, nil)
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				m.Set(i, j, next()/3)
			}
		}
		s.X = append(s.X, m)
	}
	return s
}

func equalSnapshots(a, b *Snapshots) bool {
	if len(a.X) != len(b.X) || fmt.Sprint(a.Times) != fmt.Sprint(b.Times) || fmt.Sprint(a.W) != fmt.Sprint(b.W) {
		return false
	}
	for k := range a.X {
		if !mat.Equal(a.X[k], b.X[k]) {
			return false
		}
	}
	return true
}

func TestCSVRoundTrip(t *testing.T) {
	for _, withW := range []bool{false, true} {
		s := random(1, []int{5, 3, 7}, 3)
		if withW {
			s.W = [][]float64{{1, 2, 3, 4, 5}, {0.1, 0.2, 0.3}, {1, 1, 1, 1, 1, 1, 0}}
		}
		var buf bytes.Buffer
		if err := WriteCSV(&buf, s); err != nil {
			t.Fatal(err)
		}
		o := CSVOptions{}
		if withW {
			o.Weights = "weight"
		}
		got, err := o.Read(&buf, "rt.csv")
		if err != nil {
			t.Fatal(err)
		}
		if !equalSnapshots(s, got) {
			t.Fatalf("round trip (weights %v) changed the data", withW)
		}
	}
}

func TestReadPointsCSV(t *testing.T) {
	x, w, err := CSVOptions{Weights: "weight"}.ReadPoints(strings.NewReader("u,v,weight\n1,2,0.25\n3,4,0.75\n"), "p.csv")
	if err != nil || !mat.Equal(x, mat.NewDense(2, 2, []float64{1, 2, 3, 4})) || fmt.Sprint(w) != "[0.25 0.75]" {
		t.Fatalf("x=%v w=%v err=%v", x, w, err)
	}
	x, w, err = ReadPointsCSV(strings.NewReader("u\n1\n"), "p.csv")
	if err != nil || w != nil || x.At(0, 0) != 1 {
		t.Fatalf("x=%v w=%v err=%v", x, w, err)
	}
	bad := []struct{ text, col, msg string }{
		{"u,v\n1,2\n1,x\n", "v", "cannot parse"},
		{"u,weight\n1,-2\n", "weight", "negative"},
		{"u,v\n1,2\n", "", "no weights column"},
		{"u,v\n1,2\n1,nan\n", "v", "not finite"},
	}
	for _, b := range bad {
		o := CSVOptions{}
		if b.col != "v" {
			o.Weights = "weight"
		}
		_, _, err := o.ReadPoints(strings.NewReader(b.text), "p.csv")
		var e *Error
		if !errors.As(err, &e) || e.Column != b.col || !strings.Contains(e.Msg, b.msg) || e.File != "p.csv" {
			t.Errorf("%q: got %v", b.text, err)
		}
	}
}

// A UTF-8 byte-order mark (as spreadsheets write) is not part of the first
// column's name: the time column is found.
func TestCSVByteOrderMark(t *testing.T) {
	s, err := ReadCSV(strings.NewReader("\ufefft,x\n0,1\n0,2\n1,3\n1,4\n"), "bom.csv")
	if err != nil || fmt.Sprint(s.Times) != "[0 1]" {
		t.Fatalf("times %v, err %v", s, err)
	}
	x, _, err := ReadPointsCSV(strings.NewReader("\ufeffu\n1\n2\n"), "bom.csv")
	if err != nil || x.At(1, 0) != 2 {
		t.Fatalf("points %v, err %v", x, err)
	}
}

func TestValidate(t *testing.T) {
	good := func() *Snapshots { return random(2, []int{3, 3}, 2) }
	cases := []struct {
		name string
		mod  func(s *Snapshots)
		msg  string
	}{
		{"nan", func(s *Snapshots) { s.X[1].Set(2, 1, math.NaN()) }, "particle 2 coordinate 1 is NaN"},
		{"inf", func(s *Snapshots) { s.X[0].Set(0, 0, math.Inf(1)) }, "is +Inf"},
		{"dims", func(s *Snapshots) { s.X[1] = mat.NewDense(3, 3, nil) }, "dimension 3"},
		{"few", func(s *Snapshots) { s.X[1] = mat.NewDense(1, 2, nil) }, "at least 2"},
		{"times", func(s *Snapshots) { s.Times[1] = s.Times[0] }, "not increasing"},
		{"ntimes", func(s *Snapshots) { s.Times = s.Times[:1] }, "1 times for 2"},
		{"weights", func(s *Snapshots) { s.W = [][]float64{{1, 1, 1}, {1, -1, 1}} }, "weight is -1"},
	}
	if err := good().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		s := good()
		c.mod(s)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.msg)
		}
	}
}

func TestSplit(t *testing.T) {
	s := random(3, []int{10, 10, 10}, 2)
	tr, te, err := s.Split(0.5, 7)
	if err != nil {
		t.Fatal(err)
	}
	// Trajectory split: the same particle indices at every time.
	idx := func(part, full *mat.Dense) []int {
		var out []int
		r, _ := part.Dims()
		n, _ := full.Dims()
		for i := 0; i < r; i++ {
			for j := 0; j < n; j++ {
				if mat.Equal(part.RowView(i), full.RowView(j)) {
					out = append(out, j)
				}
			}
		}
		return out
	}
	for k := range s.X {
		a, b := idx(tr.X[k], s.X[k]), idx(te.X[k], s.X[k])
		if len(a) != 5 || len(b) != 5 || fmt.Sprint(a) != fmt.Sprint(idx(tr.X[0], s.X[0])) {
			t.Fatalf("time %d: train %v test %v", k, a, b)
		}
	}
	tr2, te2, _ := s.Split(0.5, 7)
	if !equalSnapshots(tr, tr2) || !equalSnapshots(te, te2) {
		t.Fatal("split not deterministic")
	}
	tr3, _, _ := s.Split(0.5, 8)
	if equalSnapshots(tr, tr3) {
		t.Fatal("different seeds gave the same split")
	}
	// Unequal counts: split per time with the ratio.
	u := random(4, []int{10, 20}, 2)
	tr, te, err = u.Split(0.3, 1)
	if err != nil || fmt.Sprint(tr.Counts(), te.Counts()) != "[7 14] [3 6]" {
		t.Fatalf("counts %v %v err %v", tr.Counts(), te.Counts(), err)
	}
	if _, _, err := s.Split(1, 1); err == nil {
		t.Fatal("ratio 1 accepted")
	}
	if _, _, err := s.Split(0.1, 1); err == nil {
		t.Fatal("split leaving 1 test particle accepted")
	}
}

func TestDirRoundTrip(t *testing.T) {
	s := random(5, []int{20, 20, 20}, 2)
	tr, te, err := s.Split(0.5, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteDir(dir, tr, te); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		split string
		want  *Snapshots
	}{{"train", tr}, {"test", te}} {
		got, err := ReadDir(dir, c.split, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !equalSnapshots(got, c.want) {
			t.Fatalf("%s round trip differs", c.split)
		}
	}
	all, err := ReadDir(dir, "", 0)
	if err != nil || fmt.Sprint(all.Counts()) != "[20 20 20]" {
		t.Fatalf("all: %v %v", all.Counts(), err)
	}
	// Without times.npy, args.txt gives dt = 0.01.
	os.Remove(filepath.Join(dir, "times.npy"))
	got, err := ReadDir(dir, "train", 0)
	if err != nil || fmt.Sprint(got.Times) != "[0 0.01 0.02]" {
		t.Fatalf("times %v err %v", got.Times, err)
	}
	if got.TimeSource != "args.txt" {
		t.Errorf("time source %q, want args.txt", got.TimeSource)
	}
	// A given dt must agree with what the directory records.
	if _, err := ReadDir(dir, "train", 0.5); err == nil || !errors.Is(err, ErrDtDisagrees) || !strings.Contains(err.Error(), "dt 0.5 disagrees with the times the data records: args.txt has dt=0.01") {
		t.Errorf("dt 0.5 against args.txt: %v", err)
	}
	if got, err := ReadDir(dir, "train", 0.01); err != nil || got.TimeSource != "dt given" {
		t.Errorf("dt 0.01 against args.txt: %v", err)
	}
	// Nothing records the times: no guess (dt = 1 would scale every fitted
	// coefficient), but a given dt is used.
	os.Remove(filepath.Join(dir, "args.txt"))
	if _, err := ReadDir(dir, "train", 0); !errors.Is(err, ErrNoTimes) {
		t.Errorf("no times: %v, want ErrNoTimes", err)
	}
	got, err = ReadDir(dir, "train", 0.5)
	if err != nil || fmt.Sprint(got.Times) != "[0 0.5 1]" || got.TimeSource != "dt given" {
		t.Fatalf("times %v err %v", got.Times, err)
	}
	// args.txt without a dt= line records no times either.
	os.WriteFile(filepath.Join(dir, "args.txt"), []byte("n=3\n"), 0o644)
	if _, err := ReadDir(dir, "train", 0); !errors.Is(err, ErrNoTimes) {
		t.Errorf("args.txt without dt: %v, want ErrNoTimes", err)
	}
	// times.npy disagreeing with a given dt.
	if err := WriteDir(dir, tr, te); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadDir(dir, "train", 0.02); err == nil || !strings.Contains(err.Error(), "disagrees") {
		t.Errorf("dt 0.02 against times.npy: %v", err)
	}
	if _, err := ReadDir(dir, "valid", 0); err == nil {
		t.Fatal("bad split accepted")
	}
}

// writeRawNpy writes a C-order array of little-endian values with the
// given dtype, as NumPy (and jax.numpy.save) would.
func writeRawNpy(t *testing.T, path, dtype string, shape string, vals any) {
	writeRawNpyOrder(t, path, dtype, shape, false, vals)
}

func writeRawNpyOrder(t *testing.T, path, dtype string, shape string, fortran bool, vals any) {
	var body bytes.Buffer
	if err := binary.Write(&body, binary.LittleEndian, vals); err != nil {
		t.Fatal(err)
	}
	order := "False"
	if fortran {
		order = "True"
	}
	hdr := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", dtype, order, shape)
	for (10+len(hdr)+1)%64 != 0 {
		hdr += " "
	}
	hdr += "\n"
	var out bytes.Buffer
	out.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&out, binary.LittleEndian, uint16(len(hdr)))
	out.WriteString(hdr)
	out.Write(body.Bytes())
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReadDirReference reads files laid out as JKOnet*'s generator saves
// them: float32 data, int32 labels, label-major, dt in args.txt.
func TestReadDirReference(t *testing.T) {
	dir := t.TempDir()
	data := []float32{0, 0, 1, 1, 2, 2, 10, 10, 11, 11, 12, 12}
	writeRawNpy(t, filepath.Join(dir, "data.npy"), "<f4", "(6, 2)", data)
	writeRawNpy(t, filepath.Join(dir, "sample_labels.npy"), "<i4", "(6,)", []int32{0, 0, 0, 1, 1, 1})
	os.WriteFile(filepath.Join(dir, "args.txt"), []byte("potential=wavy_plateau\ninternal=none\nbeta=0.0\ninteraction=none\ndt=0.01\n"), 0o644)
	s, err := ReadDir(dir, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(s.Times) != "[0 0.01]" || !mat.Equal(s.X[1], mat.NewDense(3, 2, []float64{10, 10, 11, 11, 12, 12})) {
		t.Fatalf("got %v %v", s.Times, mat.Formatted(s.X[1]))
	}
	// Fortran order is honoured.
	writeRawNpyOrder(t, filepath.Join(dir, "data.npy"), "<f8", "(6, 2)", true, []float64{0, 1, 2, 10, 11, 12, 0, 1, 2, 10, 11, 12})
	if s, err := ReadDir(dir, "", 0.01); err != nil || !mat.Equal(s.X[1], mat.NewDense(3, 2, []float64{10, 10, 11, 11, 12, 12})) || s.Times[1] != 0.01 {
		t.Fatalf("fortran: %v", err)
	}
	// Interleaved labels are grouped stably; int64 labels.
	f, _ := os.Create(filepath.Join(dir, "sample_labels.npy"))
	npyio.Write(f, []int64{1, 0, 1, 0, 1, 0})
	f.Close()
	s, err = ReadDir(dir, "", 0)
	if err != nil || !mat.Equal(s.X[0], mat.NewDense(3, 2, []float64{1, 1, 10, 10, 12, 12})) {
		t.Fatalf("grouping: %v", err)
	}
	// Bad inputs.
	writeRawNpy(t, filepath.Join(dir, "sample_labels.npy"), "<i4", "(5,)", []int32{0, 0, 0, 1, 1})
	if _, err := ReadDir(dir, "", 0); err == nil || !strings.Contains(err.Error(), "5 labels") {
		t.Fatalf("count mismatch: %v", err)
	}
	writeRawNpy(t, filepath.Join(dir, "sample_labels.npy"), "<f8", "(6,)", []float64{0, 0, 0.5, 1, 1, 1})
	if _, err := ReadDir(dir, "", 0); err == nil || !strings.Contains(err.Error(), "whole number") {
		t.Fatalf("fractional label: %v", err)
	}
	writeRawNpy(t, filepath.Join(dir, "sample_labels.npy"), "<i4", "(6,)", []int32{0, 0, 0, 0, 0, 1})
	if _, err := ReadDir(dir, "", 0); err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Fatalf("one particle: %v", err)
	}
	writeRawNpy(t, filepath.Join(dir, "data.npy"), "<f4", "(6, 2)", []float32{0, 0, 1, 1, 2, float32(math.NaN()), 10, 10, 11, 11, 12, 12})
	writeRawNpy(t, filepath.Join(dir, "sample_labels.npy"), "<i4", "(6,)", []int32{0, 0, 0, 1, 1, 1})
	if _, err := ReadDir(dir, "", 0); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("NaN: %v", err)
	}
	if _, err := ReadDir(t.TempDir(), "", 0); err == nil {
		t.Fatal("missing files accepted")
	}
}

// A particle-id column is not a coordinate; with the same ids at every
// time it pairs the rows; Coords chooses the coordinates and the rest are
// reported as ignored.
func TestCSVColumnsAndIDs(t *testing.T) {
	src := "t,cell_id,x,y,batch\n0,b,2,20,1\n0,a,1,10,1\n1,a,1.5,10,1\n1,b,2.5,20,1\n"
	s, info, err := CSVOptions{}.ReadInfo(strings.NewReader(src), "c.csv")
	if err != nil {
		t.Fatal(err)
	}
	if s.Dim() != 3 || info.ID != "cell_id" || !info.Paired || len(info.Ignored) != 0 {
		t.Fatalf("default columns: dim %d, %+v", s.Dim(), info)
	}
	// Row 0 is particle a at both times.
	if s.X[0].At(0, 0) != 1 || s.X[1].At(0, 0) != 1.5 || s.X[1].At(1, 0) != 2.5 {
		t.Errorf("rows not in id order: %v %v", s.X[0].RawMatrix().Data, s.X[1].RawMatrix().Data)
	}
	s, info, err = CSVOptions{Coords: []string{"y", "x"}}.ReadInfo(strings.NewReader(src), "c.csv")
	if err != nil || s.Dim() != 2 || s.Names[0] != "y" || len(info.Ignored) != 1 || info.Ignored[0] != "batch" {
		t.Fatalf("Coords y,x: %v, %+v", err, info)
	}
	if _, _, err := (CSVOptions{Coords: []string{"z"}}).ReadInfo(strings.NewReader(src), "c.csv"); err == nil || !strings.Contains(err.Error(), `no coordinate column "z"`) {
		t.Errorf("unknown coordinate: %v", err)
	}
	// Different ids at the two times: read, not paired, rows as given.
	s, info, err = CSVOptions{}.ReadInfo(strings.NewReader("t,id,x\n0,1,5\n0,2,6\n1,3,7\n1,1,8\n"), "u.csv")
	if err != nil || info.Paired || s.X[1].At(0, 0) != 7 {
		t.Errorf("unpaired ids: %v, %+v", err, info)
	}
	// A point cloud: the id column is not a coordinate either.
	x, _, err := ReadPointsCSV(strings.NewReader("id,x1,x2\n7,1,2\n8,3,4\n"), "p.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, d := x.Dims(); d != 2 {
		t.Errorf("point cloud with an id column: %d-D", d)
	}
}

// FromPoints builds snapshots from plain slices and Points reads them back.
func TestFromPoints(t *testing.T) {
	s, err := FromPoints([]float64{0, 1}, [][][]float64{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}, {9, 10}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Points(1); len(got) != 3 || got[2][1] != 10 {
		t.Errorf("Points(1) = %v", got)
	}
	for _, bad := range [][][]float64{{{1, 2}, {3}}, {}} {
		if _, err := FromPoints([]float64{0}, [][][]float64{bad}); err == nil {
			t.Errorf("cloud %v accepted", bad)
		}
	}
	if _, err := FromPoints([]float64{0, 1}, [][][]float64{{{1}, {2}}}); err == nil {
		t.Error("two times for one cloud accepted")
	}
}
