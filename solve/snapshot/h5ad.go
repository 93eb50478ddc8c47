package snapshot

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/scigolib/hdf5"
)

// ReadH5AD reads snapshots from an AnnData .h5ad file: the time of each
// cell from the obs column src.TimeKey, its coordinates from the obsm key
// src.Coords (or X when src.Coords is "" or "X"). The time column may be
// numeric, categorical (categories in their stored order; their times are
// src.Times, else the categories as numbers when they all are numbers, else
// 0, 1, 2, …) or strings (distinct values sorted). Cells are grouped by
// time; within a time they keep the file's order.
//
// Errors say what is wrong and, for a missing key, which keys exist: an
// absent obs column or obsm key, a time column with a single time, a
// non-finite coordinate (with the cell's index and name), an obs index
// whose length differs from the coordinates' rows. A sparse X is refused
// (give an obsm embedding). Files written by h5py with libver='latest'
// (superblock version 2 or 3) lose their obs group in the HDF5 reader jko
// uses; that is detected and the error says how to rewrite the file.
// That reader trusts sizes stored in the file: a corrupt file can make it
// allocate more memory than the machine has (see FuzzReadH5AD).
func ReadH5AD(path string, src Source) (s *Snapshots, err error) {
	defer func() {
		// The HDF5 decoder is a third-party parser of untrusted bytes: a
		// panic in it on a malformed file is a bad-input error here.
		if r := recover(); r != nil {
			s, err = nil, &Error{File: path, Msg: fmt.Sprintf("malformed HDF5 file (%v)", r)}
		}
	}()
	f, err := hdf5.Open(path)
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot read as HDF5 (.h5ad): %v", err)}
	}
	defer f.Close()
	root := f.Root()
	obsObj := child(root, "obs")
	obs, ok := obsObj.(*hdf5.Group)
	if !ok {
		if f.SuperblockVersion() >= 2 {
			return nil, &Error{File: path, Msg: fmt.Sprintf("no obs group visible: the file uses HDF5 superblock version %d (written by h5py with libver='latest'), whose obs group the Go HDF5 reader drops; rewrite it with the default format: python3 -c \"import anndata; anndata.read_h5ad('%s').write_h5ad('rewritten.h5ad')\"", f.SuperblockVersion(), path)}
		}
		return nil, &Error{File: path, Msg: fmt.Sprintf("no obs group (an AnnData file has one); top-level keys: %s", quoteList(childNames(root), 20))}
	}
	tb := &cellTable{file: path, key: src.TimeKey}

	// Coordinates.
	var xds *hdf5.Dataset
	if src.Coords == "" || src.Coords == "X" {
		tb.coords = "X"
		switch x := child(root, "X").(type) {
		case *hdf5.Dataset:
			xds = x
		case *hdf5.Group:
			enc, _ := groupAttr(x, "encoding-type")
			return nil, &Error{File: path, Msg: fmt.Sprintf("X is a sparse matrix (%s): give a dense embedding with an obsm key (obsm keys: %s)", enc, quoteList(obsmKeys(root), 20))}
		default:
			return nil, &Error{File: path, Msg: fmt.Sprintf("no X matrix; obsm keys: %s", quoteList(obsmKeys(root), 20))}
		}
	} else {
		tb.coords = "obsm/" + src.Coords
		obsm, _ := child(root, "obsm").(*hdf5.Group)
		if obsm == nil {
			return nil, &Error{File: path, Msg: fmt.Sprintf("no obsm group, so no embedding %q; use X (no obsm key)", src.Coords)}
		}
		x, ok := child(obsm, src.Coords).(*hdf5.Dataset)
		if !ok {
			return nil, &Error{File: path, Msg: fmt.Sprintf("no obsm key %q; obsm keys: %s", src.Coords, quoteList(obsmKeys(root), 20))}
		}
		xds = x
	}
	dims, err := shape(xds)
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("%s: %v", tb.coords, err)}
	}
	if len(dims) != 2 || dims[0] == 0 || dims[1] == 0 {
		return nil, &Error{File: path, Msg: fmt.Sprintf("%s has shape %v, want (cells, coordinates)", tb.coords, dims)}
	}
	tb.n, tb.d = dims[0], dims[1]

	// The obs index: its length must match the coordinates.
	indexName := "_index"
	if v, ok := groupAttr(obs, "_index"); ok && v != "" {
		indexName = v
	}
	var index *hdf5.Dataset
	if ds, ok := child(obs, indexName).(*hdf5.Dataset); ok {
		index = ds
		idims, err := shape(ds)
		if err != nil {
			return nil, &Error{File: path, Msg: fmt.Sprintf("obs index: %v", err)}
		}
		if len(idims) != 1 || idims[0] != tb.n {
			return nil, &Error{File: path, Msg: fmt.Sprintf("the obs index has shape %v but %s has %d rows: obs and the coordinates disagree on the cells", idims, tb.coords, tb.n)}
		}
	}
	if index != nil {
		tb.cell = func(i int) string {
			b, err := index.ReadVLenBytes()
			if err != nil || i >= len(b) {
				return ""
			}
			return string(b[i])
		}
	}

	// The time column.
	columns := obsColumns(obs, indexName)
	if src.TimeKey == "" {
		return nil, &Error{File: path, Msg: "name the time column (an obs column): obs columns are " + quoteList(columns, 30)}
	}
	col := child(obs, src.TimeKey)
	if col == nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("no obs column %q; obs columns: %s", src.TimeKey, quoteList(columns, 30))}
	}
	if err := tb.readTime(col, src); err != nil {
		return nil, err
	}

	tb.x, err = xds.Read()
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("reading %s: %v", tb.coords, err)}
	}
	if len(tb.x) != tb.n*tb.d {
		return nil, &Error{File: path, Msg: fmt.Sprintf("%s holds %d numbers for shape %d×%d", tb.coords, len(tb.x), tb.n, tb.d)}
	}
	return tb.snapshots(src)
}

// readTime reads the obs column col into tb.level, tb.names and tb.times.
func (tb *cellTable) readTime(col hdf5.Object, src Source) error {
	switch c := col.(type) {
	case *hdf5.Group: // categorical: codes and categories
		enc, _ := groupAttr(c, "encoding-type")
		if enc != "categorical" {
			return &Error{File: tb.file, Column: tb.key, Msg: fmt.Sprintf("obs column is a %q group, want numbers or a categorical", enc)}
		}
		codesDS, ok1 := child(c, "codes").(*hdf5.Dataset)
		catsDS, ok2 := child(c, "categories").(*hdf5.Dataset)
		if !ok1 || !ok2 {
			return &Error{File: tb.file, Column: tb.key, Msg: "categorical column without codes and categories"}
		}
		codes, err := codesDS.Read()
		if err != nil {
			return &Error{File: tb.file, Column: tb.key, Msg: fmt.Sprintf("reading the codes: %v", err)}
		}
		if tb.names, err = readStrings(catsDS); err != nil {
			return &Error{File: tb.file, Column: tb.key, Msg: fmt.Sprintf("reading the categories: %v", err)}
		}
		if len(codes) != tb.n {
			return &Error{File: tb.file, Column: tb.key, Msg: fmt.Sprintf("%d codes for %d cells: obs and %s disagree on the cells", len(codes), tb.n, tb.coords)}
		}
		tb.level = make([]int, tb.n)
		for i, v := range codes {
			if v < 0 || v >= float64(len(tb.names)) || v != float64(int(v)) {
				what := "no category (missing value)"
				if v >= 0 {
					what = fmt.Sprintf("code %v, but there are %d categories", v, len(tb.names))
				}
				return &Error{File: tb.file, Column: tb.key, Msg: fmt.Sprintf("cell %d%s has %s", i, tb.cellName(i), what)}
			}
			tb.level[i] = int(v)
		}
	case *hdf5.Dataset:
		dims, err := shape(c)
		if err != nil {
			return &Error{File: tb.file, Column: tb.key, Msg: err.Error()}
		}
		if len(dims) != 1 || dims[0] != tb.n {
			return &Error{File: tb.file, Column: tb.key, Msg: fmt.Sprintf("shape %v, but %s has %d rows: obs and the coordinates disagree on the cells", dims, tb.coords, tb.n)}
		}
		if v, err := c.Read(); err == nil {
			for i, x := range v {
				if x != x {
					return &Error{File: tb.file, Column: tb.key, Msg: fmt.Sprintf("cell %d%s has no time (NaN)", i, tb.cellName(i))}
				}
			}
			tb.names, tb.level = numericLevels(v)
		} else if sv, err2 := readStrings(c); err2 == nil {
			tb.names, tb.level = stringLevels(sv)
		} else {
			return &Error{File: tb.file, Column: tb.key, Msg: fmt.Sprintf("neither numbers nor strings: %v", err)}
		}
	default:
		return &Error{File: tb.file, Column: tb.key, Msg: "not a dataset or a categorical group"}
	}
	var err error
	tb.times, err = levelTimes(tb.file, tb.key, tb.names, src)
	return err
}

// readStrings reads a string dataset: variable-length (anndata's
// string-array), else fixed-length, else numbers printed.
func readStrings(ds *hdf5.Dataset) ([]string, error) {
	if b, err := ds.ReadVLenBytes(); err == nil {
		out := make([]string, len(b))
		for i, s := range b {
			out[i] = string(s)
		}
		return out, nil
	}
	if s, err := ds.ReadStrings(); err == nil {
		return s, nil
	}
	v, err := ds.Read()
	if err != nil {
		return nil, err
	}
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return out, nil
}

var dimsRE = regexp.MustCompile(`(\d+)D array \[([^\]]*)\]`)

// shape reads a dataset's dimensions (the library reports them only in
// its Info text, "2D array [15 x 2]").
func shape(ds *hdf5.Dataset) ([]int, error) {
	info, err := ds.Info()
	if err != nil {
		return nil, err
	}
	m := dimsRE.FindStringSubmatch(info)
	if m == nil {
		if strings.Contains(info, "scalar") {
			return []int{}, nil
		}
		return nil, fmt.Errorf("cannot read the shape of %s (%s)", ds.Name(), info)
	}
	var dims []int
	for _, f := range strings.FieldsFunc(m[2], func(r rune) bool { return r == ' ' || r == 'x' }) {
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("cannot read the shape of %s (%s)", ds.Name(), info)
		}
		dims = append(dims, v)
	}
	if n, _ := strconv.Atoi(m[1]); n != len(dims) {
		return nil, fmt.Errorf("cannot read the shape of %s (%s)", ds.Name(), info)
	}
	return dims, nil
}

// child returns g's child named name, or nil.
func child(g *hdf5.Group, name string) hdf5.Object {
	for _, c := range g.Children() {
		if strings.Trim(c.Name(), "/") == name {
			return c
		}
	}
	return nil
}

func childNames(g *hdf5.Group) []string {
	var out []string
	for _, c := range g.Children() {
		out = append(out, strings.Trim(c.Name(), "/"))
	}
	return out
}

func obsmKeys(root *hdf5.Group) []string {
	if g, ok := child(root, "obsm").(*hdf5.Group); ok {
		return childNames(g)
	}
	return nil
}

// obsColumns lists obs's columns (not its index, not the legacy
// __categories group).
func obsColumns(obs *hdf5.Group, index string) []string {
	var out []string
	for _, n := range childNames(obs) {
		if n != index && n != "__categories" {
			out = append(out, n)
		}
	}
	return out
}

// groupAttr reads a string attribute of a group.
func groupAttr(g *hdf5.Group, name string) (string, bool) {
	attrs, err := g.Attributes()
	if err != nil {
		return "", false
	}
	for _, a := range attrs {
		if a.Name != name {
			continue
		}
		v, err := a.ReadValue()
		if err != nil {
			return "", false
		}
		switch s := v.(type) {
		case string:
			return s, true
		case []string:
			if len(s) == 1 {
				return s[0], true
			}
		}
		return fmt.Sprint(v), true
	}
	return "", false
}
