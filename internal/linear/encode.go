package linear

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// normalMagic starts the binary form of a Normal; the byte after it is the
// format version.
const normalMagic = "JKNE"

const normalVersion = 1

// MarshalBinary encodes the sums for another process (a shard of a
// distributed fit travelling to the worker that merges it). Every float64
// is stored as its IEEE-754 bits, little-endian, so UnmarshalBinary gives
// back the same sums bit for bit. The size is 8·(P² + 2P + 5) + 9 bytes.
func (n *Normal) MarshalBinary() ([]byte, error) {
	p := n.P
	if p <= 0 || len(n.AtA) != p*p || len(n.Atb) != p || len(n.Asum) != p {
		return nil, fmt.Errorf("linear: cannot encode sums of %d unknowns with %d, %d and %d entries", p, len(n.AtA), len(n.Atb), len(n.Asum))
	}
	out := make([]byte, 0, normalSize(p))
	out = append(out, normalMagic...)
	out = append(out, normalVersion)
	out = binary.LittleEndian.AppendUint32(out, uint32(p))
	out = binary.LittleEndian.AppendUint64(out, uint64(n.Rows))
	for _, v := range []float64{n.Btb, n.Bsum, n.W} {
		out = binary.LittleEndian.AppendUint64(out, math.Float64bits(v))
	}
	for _, s := range [][]float64{n.AtA, n.Atb, n.Asum} {
		for _, v := range s {
			out = binary.LittleEndian.AppendUint64(out, math.Float64bits(v))
		}
	}
	return out, nil
}

// normalSize is the length of the binary form for p unknowns.
func normalSize(p int) int { return len(normalMagic) + 1 + 4 + 8 + 8*3 + 8*(p*p+2*p) }

// ErrBadEncoding is wrapped by the errors of UnmarshalBinary.
var ErrBadEncoding = errors.New("not the binary form of normal equations")

// UnmarshalBinary replaces n by the sums encoded in data by MarshalBinary.
// Data of the wrong length, magic or version is an error wrapping
// ErrBadEncoding, and n is left unchanged.
func (n *Normal) UnmarshalBinary(data []byte) error {
	head := len(normalMagic) + 1 + 4
	if len(data) < head || string(data[:len(normalMagic)]) != normalMagic {
		return fmt.Errorf("linear: %w (%d bytes, no %q header)", ErrBadEncoding, len(data), normalMagic)
	}
	if v := data[len(normalMagic)]; v != normalVersion {
		return fmt.Errorf("linear: %w: format version %d, this build reads %d", ErrBadEncoding, v, normalVersion)
	}
	p64 := uint64(binary.LittleEndian.Uint32(data[len(normalMagic)+1:]))
	// P² entries must fit in the data: reject sizes before allocating.
	if p64 == 0 || p64 > 1<<15 || uint64(len(data)) != uint64(normalSize(int(p64))) {
		return fmt.Errorf("linear: %w: %d bytes for %d unknowns", ErrBadEncoding, len(data), p64)
	}
	p := int(p64)
	rest := data[head:]
	u64 := func() uint64 {
		v := binary.LittleEndian.Uint64(rest)
		rest = rest[8:]
		return v
	}
	f64 := func() float64 { return math.Float64frombits(u64()) }
	rows := u64()
	if rows > math.MaxInt64 {
		return fmt.Errorf("linear: %w: row count %d", ErrBadEncoding, rows)
	}
	out := NewNormal(p)
	out.Rows = int(rows)
	out.Btb, out.Bsum, out.W = f64(), f64(), f64()
	for _, s := range [][]float64{out.AtA, out.Atb, out.Asum} {
		for i := range s {
			s[i] = f64()
		}
	}
	*n = *out
	return nil
}
