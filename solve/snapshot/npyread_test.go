package snapshot

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio"
)

// rawNpy builds a version-1 .npy file from a header dict and a body.
func rawNpy(dict string, body []byte) []byte {
	hdr := dict
	for (10+len(hdr)+1)%64 != 0 {
		hdr += " "
	}
	hdr += "\n"
	var out bytes.Buffer
	out.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&out, binary.LittleEndian, uint16(len(hdr)))
	out.WriteString(hdr)
	out.Write(body)
	return out.Bytes()
}

func le(vals any) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, vals)
	return b.Bytes()
}

// Corrupt, truncated and oversized files are clear errors naming the
// file, never panics nor allocations the file cannot back.
func TestNpyCorrupt(t *testing.T) {
	good := rawNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", le([]float64{1, 2, 3, 4}))
	hdr2 := []byte("\x93NUMPY\x02\x00\xff\xff\xff\x7f")
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "shorter than the 8-byte preamble"},
		{"magic", []byte("PK\x03\x04 not npy at all"), "no \\x93NUMPY magic"},
		{"version", []byte("\x93NUMPY\x09\x00\x10\x00"), "version 9.0"},
		{"header length", good[:9], "truncated header length"},
		{"header cut", good[:40], "header claims 118 bytes, the file has 30"},
		{"header v2 huge", hdr2, "header claims 2147483647 bytes"},
		{"negative shape", rawNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 2), }", nil), "negative dimension in shape [-1 2]"},
		{"1e12 rows", rawNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000, 2), }", le([]float64{1, 2})), "needs 16000000000000 bytes of data, the file has 16"},
		{"shape overflow", rawNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", nil), "too large"},
		{"truncated body", good[:len(good)-5], "truncated: shape [2 2] of <f8 needs 32 bytes of data, the file has 27"},
		{"trailing bytes", append(append([]byte{}, good...), 0, 0), "2 bytes after the data"},
		{"object dtype", rawNpy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", nil), "unsupported dtype \"|O\""},
		{"complex dtype", rawNpy("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", make([]byte, 16)), "unsupported dtype"},
		{"not a dict", rawNpy("[1, 2]", nil), "want a dict"},
		{"no shape", rawNpy("{'descr': '<f8', 'fortran_order': False}", nil), "no \"shape\" key"},
		{"unterminated", rawNpy("{'descr': '<f8", nil), "want a dtype string"},
		{"shape text", rawNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, x), }", nil), "shape: want integers"},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".npy")
		if err := os.WriteFile(path, tc.file, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, _, _, err := readArray(path)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming %s with %q", tc.name, err, path, tc.want)
		}
	}
	if _, _, _, _, err := readArray(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a directory: %v", err)
	}
}

// Every dtype and byte order decodes to the values written, against
// NumPy's layout built independently (encoding/binary) and npyio's writer.
func TestNpyDtypes(t *testing.T) {
	be := func(vals any) []byte {
		var b bytes.Buffer
		binary.Write(&b, binary.BigEndian, vals)
		return b.Bytes()
	}
	tests := []struct {
		descr string
		body  []byte
		want  []float64
		isInt bool
	}{
		{"<f4", le([]float32{1.5, -2}), []float64{1.5, -2}, false},
		{">f8", be([]float64{1.5, -2}), []float64{1.5, -2}, false},
		{"|i1", le([]int8{-128, 127}), []float64{-128, 127}, true},
		{"|u1", le([]uint8{255, 0}), []float64{255, 0}, true},
		{">i2", be([]int16{-300, 300}), []float64{-300, 300}, true},
		{"<u2", le([]uint16{65535, 1}), []float64{65535, 1}, true},
		{"<i4", le([]int32{-70000, 5}), []float64{-70000, 5}, true},
		{">u4", be([]uint32{4000000000, 5}), []float64{4000000000, 5}, true},
		{"<i8", le([]int64{-1 << 40, 7}), []float64{-1 << 40, 7}, true},
		{"=u8", le([]uint64{1 << 50, 7}), []float64{1 << 50, 7}, true},
	}
	for _, tc := range tests {
		a, err := npyBytes(rawNpy(fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (2,), }", tc.descr), tc.body))
		if err != nil {
			t.Errorf("%s: %v", tc.descr, err)
			continue
		}
		if fmt.Sprint(a.v) != fmt.Sprint(tc.want) || a.isInt != tc.isInt || fmt.Sprint(a.shape) != "[2]" {
			t.Errorf("%s: %v (int %v, shape %v), want %v (int %v)", tc.descr, a.v, a.isInt, a.shape, tc.want, tc.isInt)
		}
	}
	// npyio's writer (what WriteDir uses) reads back exactly.
	var b bytes.Buffer
	if err := npyio.Write(&b, []float64{0.1, 2, -3e300}); err != nil {
		t.Fatal(err)
	}
	a, err := npyBytes(b.Bytes())
	if err != nil || fmt.Sprint(a.v) != "[0.1 2 -3e+300]" {
		t.Errorf("npyio round trip: %v %v", a, err)
	}
}

// FuzzNpy: any bytes give an array consistent with its shape or an error;
// never a panic.
func FuzzNpy(f *testing.F) {
	f.Add(rawNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", le([]float64{1, 2, 3, 4})))
	f.Add(rawNpy("{'descr': '<i4', 'fortran_order': True, 'shape': (3,), }", le([]int32{1, 2, 3})))
	f.Add(rawNpy("{'descr': '>u2', 'fortran_order': False, 'shape': (), }", []byte{0, 1}))
	f.Add([]byte("\x93NUMPY\x03\x00\x04\x00\x00\x00{}\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := npyBytes(b)
		if err != nil {
			return
		}
		n := 1
		for _, s := range a.shape {
			n *= s
		}
		if n != len(a.v) {
			t.Fatalf("shape %v holds %d values, decoded %d", a.shape, n, len(a.v))
		}
	})
}
