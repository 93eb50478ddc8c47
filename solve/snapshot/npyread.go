package snapshot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// npyArray is a decoded .npy array, its values converted to float64.
type npyArray struct {
	v       []float64
	shape   []int
	fortran bool
	isInt   bool
}

// npyMaxHeader bounds the header of a .npy file (NumPy writes a few
// hundred bytes; its own reader refuses more than 10,000 by default).
const npyMaxHeader = 1 << 20

// readNpyFile reads a .npy file, checking its header against the size of
// the file before allocating: a header that claims more data than the
// file holds is an error that says how many bytes were expected.
func readNpyFile(path string) (*npyArray, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("snapshot: %s: not a regular file", path)
	}
	a, err := decodeNpy(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("snapshot: %s: %w", path, err)
	}
	return a, nil
}

// decodeNpy decodes a .npy stream of size bytes (format versions 1 to 3;
// integer and float dtypes of either byte order, C or Fortran order).
func decodeNpy(r io.Reader, size int64) (*npyArray, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, fmt.Errorf("not a .npy file: %d bytes, shorter than the 8-byte preamble", min(size, 7))
	}
	if string(pre[:6]) != "\x93NUMPY" {
		return nil, errors.New("not a .npy file (no \\x93NUMPY magic string)")
	}
	major := pre[6]
	var hlen int64
	switch major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, errors.New("truncated header length")
		}
		hlen = int64(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, errors.New("truncated header length")
		}
		hlen = int64(binary.LittleEndian.Uint32(b[:]))
	default:
		return nil, fmt.Errorf("unsupported .npy format version %d.%d", major, pre[7])
	}
	start := int64(8 + 2)
	if major > 1 {
		start = 8 + 4
	}
	if hlen > npyMaxHeader || start+hlen > size {
		return nil, fmt.Errorf("header claims %d bytes, the file has %d after the preamble", hlen, max(size-start, 0))
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("truncated header: %d bytes expected", hlen)
	}
	descr, fortran, shape, err := parseNpyHeader(string(hdr))
	if err != nil {
		return nil, fmt.Errorf("header %q: %w", strings.TrimSpace(string(hdr)), err)
	}
	dt, err := parseDtype(descr)
	if err != nil {
		return nil, err
	}
	count := int64(1)
	for _, n := range shape {
		if n < 0 {
			return nil, fmt.Errorf("negative dimension in shape %v", shape)
		}
		if n > 0 && count > math.MaxInt64/int64(dt.size)/n {
			return nil, fmt.Errorf("shape %v is too large", shape)
		}
		count *= n
	}
	want := count * int64(dt.size)
	have := size - start - hlen
	if have < want {
		return nil, fmt.Errorf("truncated: shape %v of %s needs %d bytes of data, the file has %d", shape, descr, want, have)
	}
	if have > want {
		return nil, fmt.Errorf("%d bytes after the data of shape %v of %s (%d bytes): not a single array", have-want, shape, descr, want)
	}
	body := make([]byte, want)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, fmt.Errorf("truncated: shape %v of %s needs %d bytes of data: %v", shape, descr, want, err)
	}
	a := &npyArray{v: make([]float64, count), fortran: fortran, isInt: dt.kind != 'f'}
	for _, n := range shape {
		a.shape = append(a.shape, int(n))
	}
	for i := range a.v {
		a.v[i] = dt.decode(body[i*dt.size:])
	}
	return a, nil
}

// npyDtype is a simple numeric dtype: kind 'f', 'i' or 'u', size in bytes
// and byte order.
type npyDtype struct {
	kind  byte
	size  int
	order binary.ByteOrder
}

func parseDtype(descr string) (npyDtype, error) {
	bad := fmt.Errorf("unsupported dtype %q, want integers or floats", descr)
	if len(descr) < 3 {
		return npyDtype{}, bad
	}
	dt := npyDtype{order: binary.LittleEndian}
	switch descr[0] {
	case '<', '|', '=':
	case '>':
		dt.order = binary.BigEndian
	default:
		return npyDtype{}, bad
	}
	dt.kind = descr[1]
	n, err := strconv.Atoi(descr[2:])
	if err != nil {
		return npyDtype{}, bad
	}
	dt.size = n
	switch {
	case dt.kind == 'f' && (n == 4 || n == 8):
	case (dt.kind == 'i' || dt.kind == 'u') && (n == 1 || n == 2 || n == 4 || n == 8):
	default:
		return npyDtype{}, bad
	}
	return dt, nil
}

func (dt npyDtype) decode(b []byte) float64 {
	var u uint64
	switch dt.size {
	case 1:
		u = uint64(b[0])
	case 2:
		u = uint64(dt.order.Uint16(b))
	case 4:
		u = uint64(dt.order.Uint32(b))
	case 8:
		u = dt.order.Uint64(b)
	}
	switch dt.kind {
	case 'f':
		if dt.size == 4 {
			return float64(math.Float32frombits(uint32(u)))
		}
		return math.Float64frombits(u)
	case 'i':
		shift := 64 - 8*dt.size
		return float64(int64(u<<shift) >> shift)
	}
	return float64(u)
}

// parseNpyHeader reads the Python dict literal of a .npy header:
// {'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }.
func parseNpyHeader(h string) (descr string, fortran bool, shape []int64, err error) {
	p := &pyLexer{s: h}
	if !p.eat('{') {
		return "", false, nil, errors.New("want a dict")
	}
	seen := map[string]bool{}
	for !p.eat('}') {
		key, ok := p.str()
		if !ok {
			return "", false, nil, errors.New("want a quoted key")
		}
		if seen[key] {
			return "", false, nil, fmt.Errorf("key %q twice", key)
		}
		seen[key] = true
		if !p.eat(':') {
			return "", false, nil, fmt.Errorf("want ':' after %q", key)
		}
		switch key {
		case "descr":
			if descr, ok = p.str(); !ok {
				return "", false, nil, errors.New("descr: want a dtype string such as '<f8'")
			}
		case "fortran_order":
			switch {
			case p.word("True"):
				fortran = true
			case p.word("False"):
			default:
				return "", false, nil, errors.New("fortran_order: want True or False")
			}
		case "shape":
			if !p.eat('(') {
				return "", false, nil, errors.New("shape: want a tuple")
			}
			for !p.eat(')') {
				n, ok := p.int()
				if !ok {
					return "", false, nil, errors.New("shape: want integers")
				}
				shape = append(shape, n)
				if !p.eat(',') && !p.peek(')') {
					return "", false, nil, errors.New("shape: want ',' or ')'")
				}
			}
		default:
			return "", false, nil, fmt.Errorf("unknown key %q", key)
		}
		if !p.eat(',') && !p.peek('}') {
			return "", false, nil, errors.New("want ',' or '}'")
		}
	}
	if rest := strings.TrimSpace(p.s[p.i:]); rest != "" {
		return "", false, nil, errors.New("text after the dict")
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return "", false, nil, fmt.Errorf("no %q key", k)
		}
	}
	return descr, fortran, shape, nil
}

// pyLexer reads the few Python literals a .npy header holds.
type pyLexer struct {
	s string
	i int
}

func (p *pyLexer) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *pyLexer) peek(c byte) bool {
	p.space()
	return p.i < len(p.s) && p.s[p.i] == c
}

func (p *pyLexer) eat(c byte) bool {
	if p.peek(c) {
		p.i++
		return true
	}
	return false
}

func (p *pyLexer) word(w string) bool {
	p.space()
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

func (p *pyLexer) str() (string, bool) {
	p.space()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", false
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", false
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, true
}

func (p *pyLexer) int() (int64, bool) {
	p.space()
	j := p.i
	if j < len(p.s) && p.s[j] == '-' {
		j++
	}
	for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
		j++
	}
	n, err := strconv.ParseInt(p.s[p.i:j], 10, 64)
	if err != nil {
		return 0, false
	}
	if j < len(p.s) && p.s[j] == 'L' { // Python 2 longs
		j++
	}
	p.i = j
	return n, true
}

// npyBytes is decodeNpy on an in-memory file (for tests and fuzzing).
func npyBytes(b []byte) (*npyArray, error) {
	return decodeNpy(bytes.NewReader(b), int64(len(b)))
}
