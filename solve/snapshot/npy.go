package snapshot

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"codeberg.org/sbinet/npyio"
	"gonum.org/v1/gonum/mat"
)

// ErrNoTimes is returned (wrapped) by ReadDir when the caller gives no dt
// and the directory records no times: no times.npy and no dt= line in
// args.txt. Guessing dt = 1 would scale every fitted coefficient by the
// true step, so the caller must say.
var ErrNoTimes = errors.New("the data records no times (no times.npy, no dt= line in args.txt)")

// ErrDtDisagrees is returned (wrapped) by ReadDir when the dt given
// disagrees with the times the directory records.
var ErrDtDisagrees = errors.New("disagrees with the times the data records")

// ReadDir reads snapshots from a JKOnet*-layout directory. split selects
// the files: "" for data.npy and sample_labels.npy, "train" or "test" for
// the train_/test_ variants. With dt = 0 the times come from times.npy
// (times indexed by label) if present, else label·dt with dt from
// args.txt, else ReadDir fails with ErrNoTimes. With dt > 0 the times are
// label·dt, and times the directory records must agree with them (to a
// relative 1e-9). TimeSource of the result says where the times came from.
func ReadDir(dir, split string, dt float64) (*Snapshots, error) {
	prefix := ""
	switch split {
	case "":
	case "train", "test":
		prefix = split + "_"
	default:
		return nil, fmt.Errorf("snapshot: unknown split %q (want \"\", \"train\" or \"test\")", split)
	}
	if dt < 0 || math.IsNaN(dt) || math.IsInf(dt, 0) {
		return nil, fmt.Errorf("snapshot: dt = %v, need finite and ≥ 0", dt)
	}
	dataPath := filepath.Join(dir, prefix+"data.npy")
	labelPath := filepath.Join(dir, prefix+"sample_labels.npy")
	x, err := readMatrix(dataPath)
	if err != nil {
		return nil, err
	}
	labels, err := readLabels(labelPath)
	if err != nil {
		return nil, err
	}
	n, d := x.Dims()
	if len(labels) != n {
		return nil, fmt.Errorf("snapshot: %s has %d labels, %s has %d rows", labelPath, len(labels), dataPath, n)
	}
	// Group rows by label, keeping the file order within a label.
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return labels[order[a]] < labels[order[b]] })
	times, err := readTimes(dir)
	if err != nil {
		return nil, err
	}
	argsDt, err := readArgsDt(dir)
	if err != nil {
		return nil, err
	}
	var source string
	switch {
	case dt > 0:
		source = "dt given"
		if err := agreeDt(dir, dt, times, argsDt, labels); err != nil {
			return nil, err
		}
		times = nil
	case times != nil:
		source = "times.npy"
	case argsDt > 0:
		dt, source = argsDt, "args.txt"
	default:
		return nil, fmt.Errorf("snapshot: %s: %w", dir, ErrNoTimes)
	}
	s := &Snapshots{TimeSource: source}
	for a := 0; a < n; {
		b := a
		for b < n && labels[order[b]] == labels[order[a]] {
			b++
		}
		lab := labels[order[a]]
		m := mat.NewDense(b-a, d, nil)
		for i := a; i < b; i++ {
			m.SetRow(i-a, x.RawRowView(order[i]))
		}
		var t float64
		switch {
		case times != nil:
			if lab < 0 || lab >= int64(len(times)) {
				return nil, fmt.Errorf("snapshot: label %d in %s has no entry in times.npy (%d times)", lab, labelPath, len(times))
			}
			t = times[lab]
		default:
			t = float64(lab) * dt
		}
		s.Times = append(s.Times, t)
		s.X = append(s.X, m)
		a = b
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", dataPath, err)
	}
	return s, nil
}

func readMatrix(path string) (*mat.Dense, error) {
	v, shape, fortran, isInt, err := readArray(path)
	if err != nil {
		return nil, err
	}
	if len(shape) != 2 || isInt {
		return nil, fmt.Errorf("snapshot: %s: want a float32 or float64 array of shape (n_total, d), got shape %v, integer %v", path, shape, isInt)
	}
	n, d := shape[0], shape[1]
	if n == 0 || d == 0 {
		return nil, fmt.Errorf("snapshot: %s: empty array of shape %v", path, shape)
	}
	if !fortran {
		return mat.NewDense(n, d, v), nil
	}
	m := mat.NewDense(n, d, nil)
	for j := 0; j < d; j++ {
		for i := 0; i < n; i++ {
			m.Set(i, j, v[j*n+i])
		}
	}
	return m, nil
}

// readArray reads an array of any simple integer or float dtype as
// float64, returning its shape and storage order.
func readArray(path string) (v []float64, shape []int, fortran, isInt bool, err error) {
	a, err := readNpyFile(path)
	if err != nil {
		return nil, nil, false, false, err
	}
	return a.v, a.shape, a.fortran, a.isInt, nil
}

// readVector reads a 1-D array (or an (n, 1) column) as float64.
func readVector(path string) ([]float64, error) {
	v, shape, _, _, err := readArray(path)
	if err != nil {
		return nil, err
	}
	if len(shape) != 1 && !(len(shape) == 2 && shape[1] == 1) {
		return nil, fmt.Errorf("snapshot: %s: shape %v, want (n,)", path, shape)
	}
	return v, nil
}

func readLabels(path string) ([]int64, error) {
	v, err := readVector(path)
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(v))
	for i, x := range v {
		if x != math.Trunc(x) || math.IsInf(x, 0) || math.Abs(x) > 1<<53 {
			return nil, fmt.Errorf("snapshot: %s: label %d is %v, want a whole number (a time index)", path, i, x)
		}
		out[i] = int64(x)
	}
	return out, nil
}

func readTimes(dir string) ([]float64, error) {
	path := filepath.Join(dir, "times.npy")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	t, err := readVector(path)
	return t, err
}

// readArgsDt returns the dt= value of args.txt, or 0 without args.txt or
// without such a line.
func readArgsDt(dir string) (float64, error) {
	path := filepath.Join(dir, "args.txt")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("snapshot: %w", err)
	}
	for i, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok || strings.TrimSpace(k) != "dt" {
			continue
		}
		dt, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || !(dt > 0) || math.IsInf(dt, 0) {
			return 0, &Error{File: path, Line: i + 1, Column: "dt", Msg: fmt.Sprintf("dt %q is not a positive number", strings.TrimSpace(v))}
		}
		return dt, nil
	}
	return 0, nil
}

// agreeDt checks a given dt against the times a directory records.
func agreeDt(dir string, dt float64, times []float64, argsDt float64, labels []int64) error {
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }
	if argsDt > 0 && !near(argsDt, dt) {
		return fmt.Errorf("snapshot: %s: dt %g %w: args.txt has dt=%g", dir, dt, ErrDtDisagrees, argsDt)
	}
	for _, lab := range labels {
		if times == nil || lab < 0 || lab >= int64(len(times)) {
			continue
		}
		if want := float64(lab) * dt; !near(times[lab], want) {
			return fmt.Errorf("snapshot: %s: dt %g %w: times.npy has label %d at time %g, not %g", dir, dt, ErrDtDisagrees, lab, times[lab], want)
		}
	}
	return nil
}

// WriteDir writes train (and test, when non-nil) in the JKOnet* layout:
// data.npy/sample_labels.npy (train then test particles of each time,
// label-major), train_data.npy/train_sample_labels.npy and, with test,
// test_data.npy/test_sample_labels.npy; data as float64, labels as int64
// time indices. It also writes times.npy (float64, one per label) and,
// when the times are a uniform grid k·dt, an args.txt with a dt= line.
// Both sets must have the same times. The directory is created if needed.
// Weights are not representable in this layout and are refused.
func WriteDir(dir string, train, test *Snapshots) error {
	sets := []*Snapshots{train}
	if test != nil {
		sets = append(sets, test)
	}
	for _, s := range sets {
		if err := s.Validate(); err != nil {
			return err
		}
		if s.W != nil {
			return errors.New("snapshot: the JKOnet* layout has no weights; write CSV instead")
		}
	}
	if test != nil {
		if test.Dim() != train.Dim() {
			return fmt.Errorf("snapshot: train has dimension %d, test %d", train.Dim(), test.Dim())
		}
		if len(test.Times) != len(train.Times) {
			return fmt.Errorf("snapshot: train has %d times, test %d", len(train.Times), len(test.Times))
		}
		for k := range train.Times {
			if train.Times[k] != test.Times[k] {
				return fmt.Errorf("snapshot: time %d is %v in train, %v in test", k, train.Times[k], test.Times[k])
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	write := func(name string, val any) error {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		bw := bufio.NewWriter(f)
		if err := npyio.Write(bw, val); err != nil {
			f.Close()
			return fmt.Errorf("snapshot: %s: %w", path, err)
		}
		if err := bw.Flush(); err != nil {
			f.Close()
			return fmt.Errorf("snapshot: %s: %w", path, err)
		}
		return f.Close()
	}
	stack := func(ss ...*Snapshots) (*mat.Dense, []int64) {
		n := 0
		for _, s := range ss {
			for _, c := range s.Counts() {
				n += c
			}
		}
		d := ss[0].Dim()
		m := mat.NewDense(n, d, nil)
		labels := make([]int64, 0, n)
		row := 0
		for k := range ss[0].X {
			for _, s := range ss {
				r, _ := s.X[k].Dims()
				for i := 0; i < r; i++ {
					m.SetRow(row, s.X[k].RawRowView(i))
					labels = append(labels, int64(k))
					row++
				}
			}
		}
		return m, labels
	}
	all, allLab := stack(sets...)
	tr, trLab := stack(train)
	files := []struct {
		name string
		val  any
	}{
		{"data.npy", all}, {"sample_labels.npy", allLab},
		{"train_data.npy", tr}, {"train_sample_labels.npy", trLab},
	}
	if test != nil {
		te, teLab := stack(test)
		files = append(files, struct {
			name string
			val  any
		}{"test_data.npy", te}, struct {
			name string
			val  any
		}{"test_sample_labels.npy", teLab})
	}
	files = append(files, struct {
		name string
		val  any
	}{"times.npy", append([]float64(nil), train.Times...)})
	for _, f := range files {
		if err := write(f.name, f.val); err != nil {
			return err
		}
	}
	if dt, ok := uniformGrid(train.Times); ok {
		txt := "dt=" + strconv.FormatFloat(dt, 'g', -1, 64) + "\n"
		if err := os.WriteFile(filepath.Join(dir, "args.txt"), []byte(txt), 0o644); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
	}
	return nil
}

// uniformGrid reports whether times[k] == k·dt exactly for some dt > 0.
func uniformGrid(times []float64) (float64, bool) {
	if len(times) < 2 || times[0] != 0 {
		return 0, false
	}
	dt := times[1]
	for k, t := range times {
		if t != float64(k)*dt {
			return 0, false
		}
	}
	return dt, true
}
