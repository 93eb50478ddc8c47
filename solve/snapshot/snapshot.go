package snapshot

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// Snapshots is a population observed at increasing times. X[k] holds the
// N_k particles seen at Times[k], one per row (N_k × d). W, when non-nil,
// holds one non-negative weight per particle (W[k] has N_k entries);
// nil means uniform weights. Names, when non-nil, names the d coordinates
// (read from and written to CSV headers).
//
// TimeSource, set by the readers, says where Times came from (for
// reports): "times.npy", "args.txt", "dt given" or "column t".
type Snapshots struct {
	Times      []float64
	X          []*mat.Dense
	W          [][]float64
	Names      []string
	TimeSource string
}

// Len returns the number of snapshots (times).
func (s *Snapshots) Len() int { return len(s.X) }

// Dim returns the dimension d of the particles, or 0 when there are no
// snapshots.
func (s *Snapshots) Dim() int {
	if len(s.X) == 0 || s.X[0] == nil {
		return 0
	}
	_, c := s.X[0].Dims()
	return c
}

// Counts returns the number of particles at each time.
func (s *Snapshots) Counts() []int {
	n := make([]int, len(s.X))
	for k, x := range s.X {
		if x != nil {
			n[k], _ = x.Dims()
		}
	}
	return n
}

// Validate checks that there is at least one snapshot, one time per
// snapshot, strictly increasing finite times, the same dimension
// everywhere, at least 2 particles per time, finite coordinates and, when
// W is set, finite non-negative weights with a positive sum per time.
func (s *Snapshots) Validate() error {
	if s == nil || len(s.X) == 0 {
		return errors.New("snapshot: no snapshots")
	}
	if len(s.Times) != len(s.X) {
		return fmt.Errorf("snapshot: %d times for %d snapshots", len(s.Times), len(s.X))
	}
	if s.W != nil && len(s.W) != len(s.X) {
		return fmt.Errorf("snapshot: %d weight vectors for %d snapshots", len(s.W), len(s.X))
	}
	d := -1
	for k, x := range s.X {
		t := s.Times[k]
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return fmt.Errorf("snapshot: time %d is %v", k, t)
		}
		if k > 0 && !(t > s.Times[k-1]) {
			return fmt.Errorf("snapshot: times not increasing: time %d is %v after %v", k, t, s.Times[k-1])
		}
		if x == nil {
			return fmt.Errorf("snapshot: snapshot %d (t=%v) is nil", k, t)
		}
		r, c := x.Dims()
		if d < 0 {
			d = c
		} else if c != d {
			return fmt.Errorf("snapshot: snapshot %d (t=%v) has dimension %d, snapshot 0 has %d", k, t, c, d)
		}
		if r < 2 {
			return fmt.Errorf("snapshot: snapshot %d (t=%v) has %d particle(s), need at least 2", k, t, r)
		}
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				if v := x.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("snapshot: snapshot %d (t=%v) particle %d coordinate %d is %v", k, t, i, j, v)
				}
			}
		}
		if s.W != nil {
			w := s.W[k]
			if len(w) != r {
				return fmt.Errorf("snapshot: snapshot %d (t=%v) has %d weights for %d particles", k, t, len(w), r)
			}
			sum := 0.0
			for i, v := range w {
				if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
					return fmt.Errorf("snapshot: snapshot %d (t=%v) particle %d weight is %v, need finite and ≥ 0", k, t, i, v)
				}
				sum += v
			}
			if !(sum > 0) {
				return fmt.Errorf("snapshot: snapshot %d (t=%v) weights sum to 0", k, t)
			}
		}
	}
	return nil
}

// Split divides the particles into a training and a test set. testRatio
// in (0, 1) is the fraction of particles sent to the test side: at each
// time, int(N_k·testRatio) particles, as in the JKOnet* reference.
//
// When every time has the same count N (trajectory data, where row i is
// the same particle at every time, as JKOnet*'s generator produces), one
// seeded permutation of 0..N−1 is drawn and the same particle indices go
// to the same side at every time ("split by trajectories"). Otherwise each
// time is split with its own draw from the same seeded stream. Rows keep
// their original relative order on each side. The result is a function of
// the seed only. Both sides must keep at least 2 particles per time.
func (s *Snapshots) Split(testRatio float64, seed uint64) (train, test *Snapshots, err error) {
	if err := s.Validate(); err != nil {
		return nil, nil, err
	}
	if !(testRatio > 0 && testRatio < 1) {
		return nil, nil, fmt.Errorf("snapshot: test ratio %v not in (0, 1)", testRatio)
	}
	rng := rand.New(rand.NewPCG(seed, 0x6a6b6f2d73706c74))
	counts := s.Counts()
	equal := true
	for _, n := range counts {
		if n != counts[0] {
			equal = false
		}
	}
	side := func(n int) ([]int, []int, error) {
		nt := int(float64(n) * testRatio)
		if nt < 2 || n-nt < 2 {
			return nil, nil, fmt.Errorf("snapshot: splitting %d particles with test ratio %v leaves %d train and %d test, need at least 2 each", n, testRatio, n-nt, nt)
		}
		p := rng.Perm(n)
		tr := append([]int(nil), p[:n-nt]...)
		te := append([]int(nil), p[n-nt:]...)
		sort.Ints(tr)
		sort.Ints(te)
		return tr, te, nil
	}
	train = &Snapshots{Times: append([]float64(nil), s.Times...), Names: s.Names}
	test = &Snapshots{Times: append([]float64(nil), s.Times...), Names: s.Names}
	if s.W != nil {
		train.W = make([][]float64, len(s.X))
		test.W = make([][]float64, len(s.X))
	}
	var tr, te []int
	for k := range s.X {
		if k == 0 || !equal {
			if tr, te, err = side(counts[k]); err != nil {
				return nil, nil, err
			}
		}
		train.X = append(train.X, rows(s.X[k], tr))
		test.X = append(test.X, rows(s.X[k], te))
		if s.W != nil {
			train.W[k] = pick(s.W[k], tr)
			test.W[k] = pick(s.W[k], te)
		}
	}
	return train, test, nil
}

func rows(x *mat.Dense, idx []int) *mat.Dense {
	_, d := x.Dims()
	out := mat.NewDense(len(idx), d, nil)
	for i, r := range idx {
		out.SetRow(i, x.RawRowView(r))
	}
	return out
}

func pick(w []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for i, r := range idx {
		out[i] = w[r]
	}
	return out
}

// Error is a data error located in a file: File, the 1-based Line (0 when
// the error concerns the whole file) and the Column name ("" when it
// concerns the whole row).
type Error struct {
	File   string
	Line   int
	Column string
	Msg    string
}

func (e *Error) Error() string {
	s := e.File
	if e.Line > 0 {
		s += fmt.Sprintf(":%d", e.Line)
	}
	if e.Column != "" {
		s += fmt.Sprintf(": column %q", e.Column)
	}
	return s + ": " + e.Msg
}

// FromPoints builds snapshots from plain slices, no gonum types needed:
// points[k] is the cloud at times[k], one particle per row, every row with
// the same number of coordinates. The slices are copied.
func FromPoints(times []float64, points [][][]float64) (*Snapshots, error) {
	if len(times) != len(points) {
		return nil, fmt.Errorf("snapshot: %d times for %d clouds", len(times), len(points))
	}
	s := &Snapshots{Times: append([]float64(nil), times...)}
	for k, rows := range points {
		x, err := Matrix(rows)
		if err != nil {
			return nil, fmt.Errorf("snapshot: cloud %d: %w", k, err)
		}
		s.X = append(s.X, x)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// Points returns the cloud at index k as rows (a copy).
func (s *Snapshots) Points(k int) [][]float64 { return Rows(s.X[k]) }

// Matrix copies rows (one point per row, all of one length) into an n×d
// matrix.
func Matrix(rows [][]float64) (*mat.Dense, error) {
	if len(rows) == 0 || len(rows[0]) == 0 {
		return nil, fmt.Errorf("no points")
	}
	d := len(rows[0])
	x := mat.NewDense(len(rows), d, nil)
	for i, r := range rows {
		if len(r) != d {
			return nil, fmt.Errorf("point %d has %d coordinates, point 0 has %d", i, len(r), d)
		}
		x.SetRow(i, r)
	}
	return x, nil
}

// Rows copies an n×d matrix into n rows.
func Rows(x *mat.Dense) [][]float64 {
	r, _ := x.Dims()
	out := make([][]float64, r)
	for i := range out {
		out[i] = append([]float64(nil), x.RawRowView(i)...)
	}
	return out
}
