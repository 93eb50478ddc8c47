package snapshot

import (
	"fmt"
	"math"
	"sort"
)

// PooledMean returns the mean of every coordinate over all particles of
// all snapshots (uniform weights) and how many particles that is.
func (s *Snapshots) PooledMean() (mean []float64, n int) {
	mean = make([]float64, s.Dim())
	for _, x := range s.X {
		r, _ := x.Dims()
		for i := 0; i < r; i++ {
			for j, v := range x.RawRowView(i) {
				mean[j] += v
			}
		}
		n += r
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	return mean, n
}

// Standardize shifts and scales every coordinate to mean 0 and variance 1
// over all particles of all snapshots (uniform weights), in place, and
// returns the means and standard deviations it used. A coordinate that
// does not vary is an error. Computed on a whole file, the transform is
// the same whichever particles are later fitted or scored.
func (s *Snapshots) Standardize() (mean, std []float64, err error) {
	if err := s.Validate(); err != nil {
		return nil, nil, err
	}
	mean, n := s.PooledMean()
	std = make([]float64, len(mean))
	for _, x := range s.X {
		r, _ := x.Dims()
		for i := 0; i < r; i++ {
			for j, v := range x.RawRowView(i) {
				std[j] += (v - mean[j]) * (v - mean[j])
			}
		}
	}
	for j := range std {
		std[j] = math.Sqrt(std[j] / float64(n))
		if !(std[j] > 0) || math.IsInf(std[j], 0) {
			name := fmt.Sprintf("coordinate %d", j)
			if j < len(s.Names) {
				name = fmt.Sprintf("coordinate %d (%s)", j, s.Names[j])
			}
			return nil, nil, fmt.Errorf("snapshot: cannot standardise: %s has standard deviation %v", name, std[j])
		}
	}
	for _, x := range s.X {
		r, _ := x.Dims()
		for i := 0; i < r; i++ {
			row := x.RawRowView(i)
			for j := range row {
				row[j] = (row[j] - mean[j]) / std[j]
			}
		}
	}
	return mean, std, nil
}

// Without returns the snapshots other than those at the indices out (the
// leave-out protocol: fit on the rest, predict the ones left out). The
// particles are shared, not copied. At least 2 snapshots must remain.
func (s *Snapshots) Without(out []int) (*Snapshots, error) {
	drop, err := s.indexSet(out)
	if err != nil {
		return nil, err
	}
	r := &Snapshots{Names: s.Names}
	for k := range s.X {
		if drop[k] {
			continue
		}
		r.Times = append(r.Times, s.Times[k])
		r.X = append(r.X, s.X[k])
		if s.W != nil {
			r.W = append(r.W, s.W[k])
		}
	}
	if len(r.X) < 2 {
		return nil, fmt.Errorf("snapshot: leaving out %v keeps %d of %d snapshots, need at least 2", out, len(r.X), s.Len())
	}
	return r, nil
}

// Previous returns, for each index in out (sorted), the index of the
// nearest earlier snapshot that is not left out: where the leave-out
// protocol starts its prediction of that snapshot. A left-out snapshot
// with no kept snapshot before it is an error.
func (s *Snapshots) Previous(out []int) (held, from []int, err error) {
	drop, err := s.indexSet(out)
	if err != nil {
		return nil, nil, err
	}
	for k := 0; k < s.Len(); k++ {
		if !drop[k] {
			continue
		}
		p := k - 1
		for p >= 0 && drop[p] {
			p--
		}
		if p < 0 {
			return nil, nil, fmt.Errorf("snapshot: snapshot %d (t=%v) is left out but no earlier snapshot is kept to predict it from", k, s.Times[k])
		}
		held = append(held, k)
		from = append(from, p)
	}
	return held, from, nil
}

func (s *Snapshots) indexSet(out []int) (map[int]bool, error) {
	if len(out) == 0 {
		return nil, fmt.Errorf("snapshot: no snapshot to leave out")
	}
	drop := map[int]bool{}
	sorted := append([]int(nil), out...)
	sort.Ints(sorted)
	for _, k := range sorted {
		if k < 0 || k >= s.Len() {
			return nil, fmt.Errorf("snapshot: cannot leave out snapshot %d: the data has snapshots 0..%d", k, s.Len()-1)
		}
		if drop[k] {
			return nil, fmt.Errorf("snapshot: snapshot %d left out twice", k)
		}
		drop[k] = true
	}
	return drop, nil
}
