package evaluate

import (
	"encoding/binary"
	"math"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

// A fitted interaction (or internal energy) moves each particle by a mean
// field over the whole population it lived in. When the snapshots being
// scored are one split of a larger observation (snapshot.Population), the
// particles of the split interacted with all of it, not with one another
// alone: predicting the split on its own would average the interaction
// over half the particles and score even the true model as wrong (an
// N = 500 interaction fit scored 0.78 on either half and 0.071 on the
// whole population). So the whole population is stepped and the split's
// rows are read from the prediction.

// cloudDependent is implemented by dynamics whose drift at a particle
// depends on the other particles.
type cloudDependent interface{ UsesCloud() bool }

// UsesCloud reports whether the drift depends on the population: an
// interaction or an internal energy (through the density).
func (f *Flow) UsesCloud() bool {
	return f.Model.Has(compile.Interaction) || f.Model.Has(compile.Internal)
}

// populationRows returns, for dynamics whose drift depends on the
// population, the row of snapshot k's whole population that each particle
// of the split s.X[k] is; nil when there is no larger population, the
// drift does not depend on it, or the split's rows are not rows of it.
func populationRows(f any, s *snapshot.Snapshots, k int) []int {
	if !usesCloud(f) || s.Population == nil {
		return nil
	}
	return splitRows(s.Population[k], s.X[k])
}

// usesCloud reports whether f's drift at a particle depends on the other
// particles.
func usesCloud(f any) bool {
	cd, ok := f.(cloudDependent)
	return ok && cd.UsesCloud()
}

// splitRows returns the row of whole that each row of the split x is (rows
// with the same bits are matched in order); nil when whole is nil or x
// itself, or x is not a proper subset of whole's rows.
func splitRows(whole, x *mat.Dense) []int {
	if whole == nil || whole == x {
		return nil
	}
	nw, d := whole.Dims()
	n, dx := x.Dims()
	if dx != d || n >= nw {
		return nil
	}
	key := func(m *mat.Dense, i int) string {
		b := make([]byte, 0, 8*d)
		for _, v := range m.RawRowView(i) {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
		return string(b)
	}
	at := make(map[string][]int, nw)
	for i := nw - 1; i >= 0; i-- {
		kk := key(whole, i)
		at[kk] = append(at[kk], i)
	}
	rows := make([]int, n)
	for i := range n {
		kk := key(x, i)
		list := at[kk]
		if len(list) == 0 {
			return nil
		}
		rows[i], at[kk] = list[len(list)-1], list[:len(list)-1]
	}
	return rows
}

// pickRows returns the rows of m listed in rows, in that order.
func pickRows(m *mat.Dense, rows []int) *mat.Dense {
	_, d := m.Dims()
	out := mat.NewDense(len(rows), d, nil)
	for i, r := range rows {
		out.SetRow(i, m.RawRowView(r))
	}
	return out
}
