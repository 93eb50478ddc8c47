package snapshot

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// table is a parsed CSV body: the header, and per data row its line
// number and fields.
type table struct {
	name   string
	hline  int // line of the header
	header []string
	lines  []int
	rows   [][]string
}

func readTable(r io.Reader, name string) (*table, error) {
	br := bufio.NewReader(r)
	// A UTF-8 byte-order mark (spreadsheets write one) is not part of the
	// first column's name.
	if b, err := br.Peek(3); err == nil && string(b) == "\ufeff" {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	cr.ReuseRecord = false
	tb := &table{name: name}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &Error{File: name, Line: pe.Line, Msg: pe.Err.Error()}
			}
			return nil, &Error{File: name, Msg: err.Error()}
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if tb.header == nil {
			for i := range rec {
				rec[i] = strings.TrimSpace(rec[i])
			}
			seen := map[string]bool{}
			for i, h := range rec {
				if h == "" {
					return nil, &Error{File: name, Line: line, Msg: fmt.Sprintf("header column %d has no name", i+1)}
				}
				if seen[strings.ToLower(h)] {
					return nil, &Error{File: name, Line: line, Column: h, Msg: "duplicate column name in header"}
				}
				seen[strings.ToLower(h)] = true
			}
			tb.header, tb.hline = rec, line
			continue
		}
		if len(rec) != len(tb.header) {
			return nil, &Error{File: name, Line: line, Msg: fmt.Sprintf("ragged row: %d fields, header has %d", len(rec), len(tb.header))}
		}
		tb.lines = append(tb.lines, line)
		tb.rows = append(tb.rows, rec)
	}
	if tb.header == nil {
		return nil, &Error{File: name, Msg: "empty file: no header"}
	}
	if len(tb.rows) == 0 {
		return nil, &Error{File: name, Msg: "no data rows after the header"}
	}
	return tb, nil
}

// float parses field j of row i as a finite number.
func (tb *table) float(i, j int) (float64, error) {
	s := strings.TrimSpace(tb.rows[i][j])
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && math.IsInf(v, 0) {
		return 0, &Error{File: tb.name, Line: tb.lines[i], Column: tb.header[j], Msg: fmt.Sprintf("value %q is not finite (overflows float64)", s)}
	}
	if err != nil {
		return 0, &Error{File: tb.name, Line: tb.lines[i], Column: tb.header[j], Msg: fmt.Sprintf("cannot parse %q as a number", s)}
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, &Error{File: tb.name, Line: tb.lines[i], Column: tb.header[j], Msg: fmt.Sprintf("value %q is not finite", s)}
	}
	return v, nil
}

func (tb *table) weight(i, j int) (float64, error) {
	v, err := tb.float(i, j)
	if err != nil {
		return 0, err
	}
	if v < 0 {
		return 0, &Error{File: tb.name, Line: tb.lines[i], Column: tb.header[j], Msg: fmt.Sprintf("negative weight %v", v)}
	}
	return v, nil
}

// CSVOptions says how to read a CSV file.
type CSVOptions struct {
	// Weights names the column of particle weights (matched without
	// regard to case), "" for none. Without it, a column named weight is
	// an error rather than silently taken as weights or as a coordinate.
	Weights string
	// Coords names the coordinate columns, in order (matched without
	// regard to case); empty for every column but the time, weights and
	// particle-id ones.
	Coords []string
}

// CSVInfo says how a CSV file was read.
type CSVInfo struct {
	// Coords names the coordinate columns read, in order.
	Coords []string
	// Ignored names the columns that are neither time, weights, particle
	// id nor a coordinate (with CSVOptions.Coords).
	Ignored []string
	// ID names the particle-id column ("" without one).
	ID string
	// Paired reports whether every time has the same set of ids, so that
	// the rows were put in id order and row i is one particle at every
	// time.
	Paired bool
}

// IsIDColumn reports whether a CSV column of this name holds particle ids
// rather than a coordinate: "id", or a name ending in "_id" (cell_id).
func IsIDColumn(name string) bool {
	l := strings.ToLower(strings.TrimSpace(name))
	return l == "id" || strings.HasSuffix(l, "_id")
}

// columns finds the time column (when wantTime), the weight column (−1 if
// absent), the particle-id column (−1 if absent) and the coordinate
// columns: those named in o.Coords, in that order, else every other
// column.
func (o CSVOptions) columns(tb *table, wantTime bool) (tcol, wcol, idcol int, coords []int, err error) {
	tcol, wcol, idcol = -1, -1, -1
	for j, h := range tb.header {
		switch l := strings.ToLower(h); {
		case wantTime && (l == "t" || l == "time"):
			if tcol >= 0 {
				return 0, 0, 0, nil, &Error{File: tb.name, Line: tb.hline, Column: h, Msg: fmt.Sprintf("two time columns (%q and %q)", tb.header[tcol], h)}
			}
			tcol = j
		case o.Weights != "" && l == strings.ToLower(o.Weights):
			wcol = j
		case o.Weights == "" && l == "weight" && !named(o.Coords, h):
			return 0, 0, 0, nil, &Error{File: tb.name, Line: tb.hline, Column: h, Msg: "a column named weight: name it as the weights column to use it as particle weights, or rename it to use it as a coordinate"}
		case IsIDColumn(h) && idcol < 0 && !named(o.Coords, h):
			idcol = j
		case len(o.Coords) == 0:
			coords = append(coords, j)
		}
	}
	if wantTime && tcol < 0 {
		return 0, 0, 0, nil, &Error{File: tb.name, Line: tb.hline, Msg: fmt.Sprintf("no time column (named t or time) in header %q", strings.Join(tb.header, ","))}
	}
	if o.Weights != "" && wcol < 0 {
		return 0, 0, 0, nil, &Error{File: tb.name, Line: tb.hline, Msg: fmt.Sprintf("no weights column %q in header %q", o.Weights, strings.Join(tb.header, ","))}
	}
	for _, c := range o.Coords {
		j := -1
		for k, h := range tb.header {
			if strings.EqualFold(h, strings.TrimSpace(c)) {
				j = k
			}
		}
		if j < 0 {
			return 0, 0, 0, nil, &Error{File: tb.name, Line: tb.hline, Column: c, Msg: fmt.Sprintf("no coordinate column %q in header %q", c, strings.Join(tb.header, ","))}
		}
		if j == tcol || j == wcol {
			return 0, 0, 0, nil, &Error{File: tb.name, Line: tb.hline, Column: c, Msg: "the time or weights column cannot be a coordinate"}
		}
		coords = append(coords, j)
	}
	if len(coords) == 0 {
		return 0, 0, 0, nil, &Error{File: tb.name, Line: tb.hline, Msg: fmt.Sprintf("no coordinate columns in header %q", strings.Join(tb.header, ","))}
	}
	return tcol, wcol, idcol, coords, nil
}

// named reports whether h is among names, without regard to case.
func named(names []string, h string) bool {
	for _, n := range names {
		if strings.EqualFold(strings.TrimSpace(n), h) {
			return true
		}
	}
	return false
}

// ReadCSV reads snapshots from CSV text without a weights column; name is
// used in error messages (usually the file name). See CSVOptions.Read.
func ReadCSV(r io.Reader, name string) (*Snapshots, error) { return CSVOptions{}.Read(r, name) }

// Read reads snapshots from CSV text; name is used in error messages
// (usually the file name). See the package documentation for the format.
// Every error about the content is an *Error naming the line and column.
func (o CSVOptions) Read(r io.Reader, name string) (*Snapshots, error) {
	s, _, err := o.ReadInfo(r, name)
	return s, err
}

// ReadInfo reads snapshots as Read does and says which columns it read.
// With a particle-id column and the same ids at every time, each
// snapshot's rows are put in id order (paired data: row i is one particle
// at every time).
func (o CSVOptions) ReadInfo(r io.Reader, name string) (*Snapshots, CSVInfo, error) {
	var info CSVInfo
	tb, err := readTable(r, name)
	if err != nil {
		return nil, info, err
	}
	tcol, wcol, idcol, coords, err := o.columns(tb, true)
	if err != nil {
		return nil, info, err
	}
	used := map[int]bool{tcol: true, wcol: true, idcol: true}
	for _, j := range coords {
		used[j] = true
		info.Coords = append(info.Coords, tb.header[j])
	}
	for j, h := range tb.header {
		if !used[j] {
			info.Ignored = append(info.Ignored, h)
		}
	}
	var ids [][]string // per time, the id of each row
	if idcol >= 0 {
		info.ID = tb.header[idcol]
	}
	d := len(coords)
	s := &Snapshots{TimeSource: "column " + tb.header[tcol]}
	for _, j := range coords {
		s.Names = append(s.Names, tb.header[j])
	}
	if wcol >= 0 {
		s.W = [][]float64{}
	}
	var (
		buf     []float64
		wbuf    []float64
		idbuf   []string
		start   int // index of the first row of the current group
		current float64
	)
	flush := func(end int) error {
		n := len(buf) / d
		if n < 2 {
			return &Error{File: name, Line: tb.lines[start], Column: tb.header[tcol], Msg: fmt.Sprintf("time %v has %d particle(s), need at least 2", current, n)}
		}
		if wcol >= 0 {
			sum := 0.0
			for _, v := range wbuf {
				sum += v
			}
			if !(sum > 0) {
				return &Error{File: name, Line: tb.lines[start], Column: tb.header[wcol], Msg: fmt.Sprintf("weights of time %v sum to 0", current)}
			}
			s.W = append(s.W, wbuf)
		}
		s.Times = append(s.Times, current)
		s.X = append(s.X, mat.NewDense(n, d, buf))
		if idcol >= 0 {
			ids = append(ids, idbuf)
		}
		buf, wbuf, idbuf = nil, nil, nil
		return nil
	}
	for i := range tb.rows {
		t, err := tb.float(i, tcol)
		if err != nil {
			return nil, info, err
		}
		if i == 0 {
			current, start = t, 0
		} else if t != current {
			if t < current {
				return nil, info, &Error{File: name, Line: tb.lines[i], Column: tb.header[tcol], Msg: fmt.Sprintf("time %v after time %v: rows must be grouped by time with times increasing", t, current)}
			}
			if err := flush(i); err != nil {
				return nil, info, err
			}
			current, start = t, i
		}
		for _, j := range coords {
			v, err := tb.float(i, j)
			if err != nil {
				return nil, info, err
			}
			buf = append(buf, v)
		}
		if idcol >= 0 {
			idbuf = append(idbuf, strings.TrimSpace(tb.rows[i][idcol]))
		}
		if wcol >= 0 {
			w, err := tb.weight(i, wcol)
			if err != nil {
				return nil, info, err
			}
			wbuf = append(wbuf, w)
		}
	}
	if err := flush(len(tb.rows)); err != nil {
		return nil, info, err
	}
	if idcol >= 0 {
		info.Paired = pairByID(s, ids)
	}
	return s, info, nil
}

// pairByID puts the rows of every snapshot in the order of their ids when
// every time has the same set of distinct ids, and reports whether it did.
func pairByID(s *Snapshots, ids [][]string) bool {
	first := map[string]bool{}
	for _, id := range ids[0] {
		if first[id] {
			return false // repeated id
		}
		first[id] = true
	}
	for _, row := range ids[1:] {
		if len(row) != len(first) {
			return false
		}
		seen := map[string]bool{}
		for _, id := range row {
			if !first[id] || seen[id] {
				return false
			}
			seen[id] = true
		}
	}
	for k, row := range ids {
		order := make([]int, len(row))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool { return row[order[a]] < row[order[b]] })
		r, d := s.X[k].Dims()
		x := mat.NewDense(r, d, nil)
		var w []float64
		if s.W != nil {
			w = make([]float64, r)
		}
		for i, o := range order {
			x.SetRow(i, s.X[k].RawRowView(o))
			if w != nil {
				w[i] = s.W[k][o]
			}
		}
		s.X[k] = x
		if w != nil {
			s.W[k] = w
		}
	}
	return true
}

// ReadPointsCSV reads one point cloud from CSV text without a weights
// column; see CSVOptions.ReadPoints.
func ReadPointsCSV(r io.Reader, name string) (*mat.Dense, []float64, error) {
	return CSVOptions{}.ReadPoints(r, name)
}

// ReadPoints reads one weighted point cloud from CSV text: a header,
// coordinate columns (any names) and, when o.Weights names one, a weights
// column. It returns the points (n × d) and the weights, nil without a
// weights column. name is used in error messages.
func (o CSVOptions) ReadPoints(r io.Reader, name string) (*mat.Dense, []float64, error) {
	tb, err := readTable(r, name)
	if err != nil {
		return nil, nil, err
	}
	_, wcol, _, coords, err := o.columns(tb, false)
	if err != nil {
		return nil, nil, err
	}
	n, d := len(tb.rows), len(coords)
	x := mat.NewDense(n, d, nil)
	var w []float64
	if wcol >= 0 {
		w = make([]float64, n)
	}
	sum := 0.0
	for i := range tb.rows {
		for c, j := range coords {
			v, err := tb.float(i, j)
			if err != nil {
				return nil, nil, err
			}
			x.Set(i, c, v)
		}
		if wcol >= 0 {
			if w[i], err = tb.weight(i, wcol); err != nil {
				return nil, nil, err
			}
			sum += w[i]
		}
	}
	if wcol >= 0 && !(sum > 0) {
		return nil, nil, &Error{File: name, Column: tb.header[wcol], Msg: "weights sum to 0"}
	}
	return x, w, nil
}

// WriteCSV writes s as CSV: a header "t,<coordinates>[,weight]" and one row
// per particle, grouped by time. Coordinate names are s.Names, or x1…xd.
// Numbers are written in the shortest form that reads back exactly.
func WriteCSV(w io.Writer, s *Snapshots) error {
	if err := s.Validate(); err != nil {
		return err
	}
	d := s.Dim()
	names := s.Names
	if names == nil {
		for j := 0; j < d; j++ {
			names = append(names, fmt.Sprintf("x%d", j+1))
		}
	}
	if len(names) != d {
		return fmt.Errorf("snapshot: %d coordinate names for dimension %d", len(names), d)
	}
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	hdr := append([]string{"t"}, names...)
	if s.W != nil {
		hdr = append(hdr, "weight")
	}
	if err := cw.Write(hdr); err != nil {
		return err
	}
	rec := make([]string, len(hdr))
	ff := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for k, x := range s.X {
		r, _ := x.Dims()
		for i := 0; i < r; i++ {
			rec[0] = ff(s.Times[k])
			for j, v := range x.RawRowView(i) {
				rec[1+j] = ff(v)
			}
			if s.W != nil {
				rec[1+d] = ff(s.W[k][i])
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}
