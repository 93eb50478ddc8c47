package snapshot

import (
	"archive/zip"
	"fmt"
	"strings"
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
	a, err := decodeNpy(rc, int64(min(f.UncompressedSize64, 1<<62)))
	if err != nil {
		return nil, nil, err
	}
	v := a.v
	if a.fortran && len(a.shape) == 2 {
		rows, cols := a.shape[0], a.shape[1]
		c := make([]float64, len(v))
		for j := 0; j < cols; j++ {
			for i := 0; i < rows; i++ {
				c[i*cols+j] = v[j*rows+i]
			}
		}
		v = c
	}
	return v, a.shape, nil
}
