package snapshot

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// Source says where a cell table (AnnData .h5ad, NumPy .npz) keeps the
// time of each cell and its coordinates.
type Source struct {
	// TimeKey names the time: an obs column of an .h5ad file, an array of
	// an .npz file ("" in an .npz: sample_labels, labels, t or time).
	TimeKey string
	// Coords names the coordinates: an obsm key of an .h5ad file ("" or
	// "X" for X), an array of an .npz file ("": data, X or pcs).
	Coords string
	// Times, when set, are the times of the time column's levels: of its
	// categories in order (categorical), or of its distinct values in
	// increasing order (numbers, strings).
	Times []float64
	// Dims, when positive, keeps the first Dims coordinates (the leading
	// principal components of an X_pca embedding).
	Dims int
}

// levels maps each cell's level (an index into names) to a time. names are
// the level names in order, used for messages and to read times from
// numeric names. With src.Times the times are those; else the names as
// numbers when every one is a number; else the level indices 0, 1, ….
func levelTimes(file string, key string, names []string, src Source) ([]float64, error) {
	if src.Times != nil {
		if len(src.Times) != len(names) {
			return nil, &Error{File: file, Column: key, Msg: fmt.Sprintf("%d times given for %d levels %s", len(src.Times), len(names), quoteList(names, 8))}
		}
		return src.Times, nil
	}
	t := make([]float64, len(names))
	numeric := true
	for i, n := range names {
		v, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			numeric = false
			break
		}
		t[i] = v
	}
	if !numeric {
		for i := range t {
			t[i] = float64(i)
		}
	}
	return t, nil
}

// numericLevels returns the distinct values of v in increasing order and
// the level of each cell.
func numericLevels(v []float64) (names []string, level []int) {
	u := append([]float64(nil), v...)
	sort.Float64s(u)
	u = uniqFloat(u)
	level = make([]int, len(v))
	for i, x := range v {
		level[i] = sort.SearchFloat64s(u, x)
	}
	for _, x := range u {
		names = append(names, strconv.FormatFloat(x, 'g', -1, 64))
	}
	return names, level
}

func uniqFloat(u []float64) []float64 {
	out := u[:0]
	for i, x := range u {
		if i == 0 || x != out[len(out)-1] {
			out = append(out, x)
		}
	}
	return out
}

// stringLevels returns the distinct strings of v sorted and the level of
// each cell.
func stringLevels(v []string) (names []string, level []int) {
	seen := map[string]bool{}
	for _, s := range v {
		if !seen[s] {
			seen[s] = true
			names = append(names, s)
		}
	}
	sort.Strings(names)
	idx := map[string]int{}
	for i, s := range names {
		idx[s] = i
	}
	level = make([]int, len(v))
	for i, s := range v {
		level[i] = idx[s]
	}
	return names, level
}

// cellTable is a table of cells read from a file: n cells with d
// coordinates (row-major), the level of each cell's time and the time of
// each level.
type cellTable struct {
	file   string
	key    string // the time column
	n, d   int
	x      []float64
	level  []int
	names  []string  // level names
	times  []float64 // time of each level
	cell   func(i int) string
	coords string // where the coordinates came from, for messages
}

// snapshots groups the cells by time (increasing), keeping file order
// within a time; it keeps the first src.Dims coordinates. It refuses
// non-finite coordinates (naming the cell), a time column with a single
// time, and times that are not finite.
func (tb *cellTable) snapshots(src Source) (*Snapshots, error) {
	d := tb.d
	if src.Dims < 0 {
		return nil, &Error{File: tb.file, Msg: fmt.Sprintf("keep %d coordinates: want a positive count", src.Dims)}
	}
	if src.Dims > 0 {
		if src.Dims > tb.d {
			return nil, &Error{File: tb.file, Msg: fmt.Sprintf("keep %d coordinates: %s has %d", src.Dims, tb.coords, tb.d)}
		}
		d = src.Dims
	}
	for i := 0; i < tb.n; i++ {
		for j := 0; j < d; j++ {
			if v := tb.x[i*tb.d+j]; math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, &Error{File: tb.file, Msg: fmt.Sprintf("%s: cell %d%s, coordinate %d is %v", tb.coords, i, tb.cellName(i), j, v)}
			}
		}
	}
	for l, t := range tb.times {
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, &Error{File: tb.file, Column: tb.key, Msg: fmt.Sprintf("level %q has time %v", tb.names[l], t)}
		}
	}
	// Distinct times in increasing order; levels sharing a time merge.
	ts := make([]float64, 0, len(tb.times))
	count := make([]int, len(tb.times))
	for _, l := range tb.level {
		count[l]++
	}
	for l, t := range tb.times {
		if count[l] > 0 {
			ts = append(ts, t)
		}
	}
	sort.Float64s(ts)
	ts = uniqFloat(ts)
	if len(ts) < 2 {
		v := "no cells"
		if len(ts) == 1 {
			v = fmt.Sprintf("one time (%v) for all %d cells", ts[0], tb.n)
		}
		return nil, &Error{File: tb.file, Column: tb.key, Msg: v + ": need at least 2 time points"}
	}
	group := make([][]int, len(ts))
	for i, l := range tb.level {
		k := sort.SearchFloat64s(ts, tb.times[l])
		group[k] = append(group[k], i)
	}
	s := &Snapshots{Times: ts}
	for k, g := range group {
		if len(g) < 2 {
			return nil, &Error{File: tb.file, Column: tb.key, Msg: fmt.Sprintf("time %v has %d cell(s), need at least 2", ts[k], len(g))}
		}
		m := mat.NewDense(len(g), d, nil)
		for r, i := range g {
			m.SetRow(r, tb.x[i*tb.d:i*tb.d+d])
		}
		s.X = append(s.X, m)
	}
	return s, nil
}

func (tb *cellTable) cellName(i int) string {
	if tb.cell == nil {
		return ""
	}
	if n := tb.cell(i); n != "" {
		return fmt.Sprintf(" (%q)", n)
	}
	return ""
}

// quoteList prints at most max names, quoted.
func quoteList(names []string, max int) string {
	if len(names) == 0 {
		return "(none)"
	}
	var q []string
	for i, n := range names {
		if i == max {
			q = append(q, fmt.Sprintf("… %d more", len(names)-max))
			break
		}
		q = append(q, strconv.Quote(n))
	}
	return strings.Join(q, ", ")
}
