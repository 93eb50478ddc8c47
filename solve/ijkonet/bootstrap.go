package ijkonet

import (
	"fmt"
	"math/rand/v2"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/internal/parallel"
	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

// Bootstrap measures the spread of iJKOnet's θ over refits to resampled
// particles: replicate b keeps half of every snapshot's particles, drawn
// without replacement (each snapshot on its own: iJKOnet does not use
// the pairing), and refits with the options o and its own seed. The
// spread of a fit to half the particles drawn without replacement is,
// to first order, that of the fit to all of them (half-sampling: the
// variance doubles with half the data and halves with the finite
// population's correction), and unlike draws with replacement it never
// duplicates a particle, which the entropy's nearest-neighbour estimate
// (a log-distance) and the particle maps cannot take. The spread also
// carries the optimiser's own randomness (batches, the maps' start).
//
// The replicates run in parallel; replicate b draws from its own
// generator seeded by (o.Seed, b), so the result does not depend on the
// number of cores. θ is left to Fit: Bootstrap only summarises the
// replicates (jkonet.SummariseReplicates).
func Bootstrap(m *compile.Model, s *snapshot.Snapshots, o Options, n int) (*jkonet.Bootstrap, error) {
	if n < 2 {
		return nil, fmt.Errorf("ijkonet: a bootstrap needs at least 2 replicates, got %d", n)
	}
	if err := jkonet.Check(m, s); err != nil {
		return nil, err
	}
	for k, x := range s.X {
		if r, _ := x.Dims(); r < 4 {
			return nil, fmt.Errorf("ijkonet: bootstrap: snapshot %d has %d particles, too few to halve", k, r)
		}
	}
	quiet := o
	quiet.Progress = nil
	thetas := make([][]float64, n)
	parallel.For(n, func(b int) {
		rng := rand.New(rand.NewPCG(o.Seed, 0xb007+uint64(b)))
		ro := quiet
		ro.Seed = o.Seed + 1 + uint64(b)
		res, err := Fit(m, halfSample(s, rng), ro)
		if err != nil {
			return
		}
		thetas[b] = res.Theta
	})
	bs, err := jkonet.SummariseReplicates(thetas, m.NumParams)
	if err != nil {
		return nil, fmt.Errorf("ijkonet: bootstrap: %w", err)
	}
	return bs, nil
}

// halfSample returns s with half of each snapshot's particles (rounded
// up), drawn without replacement from rng, with their weights and the
// whole populations kept.
func halfSample(s *snapshot.Snapshots, rng *rand.Rand) *snapshot.Snapshots {
	out := *s
	out.X = make([]*mat.Dense, len(s.X))
	if s.W != nil {
		out.W = make([][]float64, len(s.W))
	}
	for k, x := range s.X {
		r, c := x.Dims()
		keep := rng.Perm(r)[:(r+1)/2]
		h := mat.NewDense(len(keep), c, nil)
		for i, j := range keep {
			h.SetRow(i, x.RawRowView(j))
		}
		out.X[k] = h
		if s.W != nil && s.W[k] != nil {
			w := make([]float64, len(keep))
			sum := 0.0
			for i, j := range keep {
				w[i] = s.W[k][j]
				sum += w[i]
			}
			for i := range w {
				w[i] /= sum
			}
			out.W[k] = w
		}
	}
	return &out
}
