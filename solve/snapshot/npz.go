package snapshot

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io"
	"reflect"
	"strings"

	"codeberg.org/sbinet/npyio"
)

// ReadNPZ reads snapshots from a NumPy .npz archive: the time of each
// cell from the 1-D array src.TimeKey (default: the first of
// sample_labels, labels, t, time that exists), the coordinates from the
// 2-D array src.Coords (default: data, X or pcs). The time array is
// numeric; its distinct values in increasing order are the times, or
// src.Times gives theirs. A missing array is an error that lists the
// arrays the archive holds.
func ReadNPZ(path string, src Source) (*Snapshots, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot read as a NumPy .npz archive: %v", err)}
	}
	defer zr.Close()
	arrays := map[string]*zip.File{}
	var keys []string
	for _, f := range zr.File {
		k := strings.TrimSuffix(f.Name, ".npy")
		arrays[k] = f
		keys = append(keys, k)
	}
	pick := func(given string, defaults ...string) (string, error) {
		if given != "" {
			if arrays[given] == nil {
				return "", &Error{File: path, Msg: fmt.Sprintf("no array %q; arrays: %s", given, quoteList(keys, 30))}
			}
			return given, nil
		}
		for _, d := range defaults {
			if arrays[d] != nil {
				return d, nil
			}
		}
		return "", &Error{File: path, Msg: fmt.Sprintf("no array named %s: name one; arrays: %s", strings.Join(defaults, ", "), quoteList(keys, 30))}
	}
	tkey, err := pick(src.TimeKey, "sample_labels", "labels", "t", "time")
	if err != nil {
		return nil, err
	}
	xkey, err := pick(src.Coords, "data", "X", "pcs")
	if err != nil {
		return nil, err
	}
	tb := &cellTable{file: path, key: tkey, coords: xkey}
	x, xshape, err := readNPZArray(arrays[xkey])
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("array %q: %v", xkey, err)}
	}
	if len(xshape) != 2 || xshape[0] == 0 || xshape[1] == 0 {
		return nil, &Error{File: path, Msg: fmt.Sprintf("array %q has shape %v, want (cells, coordinates)", xkey, xshape)}
	}
	tb.n, tb.d, tb.x = xshape[0], xshape[1], x
	t, tshape, err := readNPZArray(arrays[tkey])
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("array %q: %v", tkey, err)}
	}
	if !(len(tshape) == 1 || len(tshape) == 2 && tshape[1] == 1) || tshape[0] != tb.n {
		return nil, &Error{File: path, Msg: fmt.Sprintf("time array %q has shape %v, want (%d,): one time per row of %q", tkey, tshape, tb.n, xkey)}
	}
	for i, v := range t {
		if v != v {
			return nil, &Error{File: path, Column: tkey, Msg: fmt.Sprintf("cell %d has no time (NaN)", i)}
		}
	}
	tb.names, tb.level = numericLevels(t)
	if tb.times, err = levelTimes(path, tkey, tb.names, src); err != nil {
		return nil, err
	}
	return tb.snapshots(src)
}

// readNPZArray reads one numeric array of an archive as float64 in C
// order, with its shape.
func readNPZArray(f *zip.File) ([]float64, []int, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	r, err := npyio.NewReader(bufio.NewReader(io.LimitReader(rc, 1<<34)))
	if err != nil {
		return nil, nil, err
	}
	shape := r.Header.Descr.Shape
	typ := dtypeOf(r.Header.Descr.Type)
	if typ == nil {
		return nil, nil, fmt.Errorf("unsupported dtype %s, want integers or floats", r.Header.Descr.Type)
	}
	n := 1
	for _, s := range shape {
		if s < 0 || (s > 0 && n > (1<<31)/s) {
			return nil, nil, fmt.Errorf("shape %v too large", shape)
		}
		n *= s
	}
	if n > 0 && uint64(n)*uint64(typ.Size()) > f.UncompressedSize64 {
		return nil, nil, fmt.Errorf("shape %v needs more bytes than the entry holds", shape)
	}
	ptr := reflect.New(reflect.SliceOf(typ))
	if err := r.Read(ptr.Interface()); err != nil {
		return nil, nil, err
	}
	rv := ptr.Elem()
	v := make([]float64, rv.Len())
	for i := range v {
		e := rv.Index(i)
		switch {
		case e.CanInt():
			v[i] = float64(e.Int())
		case e.CanUint():
			v[i] = float64(e.Uint())
		default:
			v[i] = e.Float()
		}
	}
	if len(v) != n {
		return nil, nil, fmt.Errorf("%d values for shape %v", len(v), shape)
	}
	if r.Header.Descr.Fortran && len(shape) == 2 {
		rows, cols := shape[0], shape[1]
		c := make([]float64, len(v))
		for j := 0; j < cols; j++ {
			for i := 0; i < rows; i++ {
				c[i*cols+j] = v[j*rows+i]
			}
		}
		v = c
	}
	return v, shape, nil
}
