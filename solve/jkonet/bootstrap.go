package jkonet

import (
	"fmt"
	"github.com/jko-org/jko/internal/finite"
	"github.com/jko-org/jko/internal/parallel"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/jko-org/jko/compile"
)

// Bootstrap is the spread of θ over fits to resampled coupling pairs.
type Bootstrap struct {
	// Replicates is the number of resampled fits that succeeded, Failed
	// the number that did not (an error, or a non-finite θ).
	Replicates, Failed int
	// StdErr is the standard deviation of each entry of θ over the
	// replicates; Lo and Hi are its 2.5% and 97.5% percentiles.
	StdErr, Lo, Hi []float64
}

// resampled returns prep with the pairs of each step resampled with
// replacement (N draws from the N pairs, each pair's weight times the
// number of times it was drawn), from the generator rng.
func resampled(prep *Prepared, rng *rand.Rand) *Prepared {
	out := *prep
	out.Steps = make([]Step, len(prep.Steps))
	for s := range prep.Steps {
		st := prep.Steps[s]
		count := make([]float64, st.N)
		for i := 0; i < st.N; i++ {
			count[rng.IntN(st.N)]++
		}
		w := make([]float64, st.N)
		for i := range w {
			w[i] = st.W[i] * count[i]
		}
		st.W = w
		out.Steps[s] = st
	}
	return &out
}

// bootstrap refits m n times to resampled pairs with the method fit and
// summarises the spread. The replicates run in parallel; replicate b draws
// from its own generator seeded by (seed, b), so the result does not depend
// on the number of cores.
func bootstrap(m *compile.Model, prep *Prepared, o Options, n int, fit func(*compile.Model, *Prepared, Options) (*Result, error)) (*Bootstrap, error) {
	if n < 2 {
		return nil, fmt.Errorf("jkonet: a bootstrap needs at least 2 replicates, got %d", n)
	}
	P := m.NumParams
	thetas := make([][]float64, n)
	quiet := o
	quiet.Progress = nil
	quiet.Bootstrap = 0
	parallel.For(n, func(b int) {
		rng := rand.New(rand.NewPCG(o.Seed, 0xb007+uint64(b)))
		r, err := fit(m, resampled(prep, rng), quiet)
		if err != nil || !finite.All(r.Theta) {
			return
		}
		thetas[b] = r.Theta
	})
	bs, err := SummariseReplicates(thetas, P)
	if err != nil {
		return nil, fmt.Errorf("jkonet: bootstrap: %w", err)
	}
	return bs, nil
}

// SummariseReplicates summarises the θ of resampled fits (nil for a fit
// that failed): each entry's standard deviation and 2.5% and 97.5%
// percentiles over the replicates that succeeded. Other methods' own
// resampling (ijkonet.Bootstrap) reports through it.
func SummariseReplicates(thetas [][]float64, P int) (*Bootstrap, error) {
	bs := &Bootstrap{StdErr: make([]float64, P), Lo: make([]float64, P), Hi: make([]float64, P)}
	var ok [][]float64
	for _, th := range thetas {
		if th == nil || len(th) != P || !finite.All(th) {
			bs.Failed++
			continue
		}
		ok = append(ok, th)
	}
	bs.Replicates = len(ok)
	if len(ok) < 2 {
		return nil, fmt.Errorf("%d of %d resampled fits failed", bs.Failed, len(thetas))
	}
	col := make([]float64, len(ok))
	for j := 0; j < P; j++ {
		mean := 0.0
		for i, th := range ok {
			col[i] = th[j]
			mean += th[j]
		}
		mean /= float64(len(ok))
		ss := 0.0
		for _, v := range col {
			ss += (v - mean) * (v - mean)
		}
		bs.StdErr[j] = math.Sqrt(ss / float64(len(ok)-1))
		sort.Float64s(col)
		bs.Lo[j] = quantile(col, 0.025)
		bs.Hi[j] = quantile(col, 0.975)
	}
	return bs, nil
}

// quantile interpolates the q-quantile of sorted values.
func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	i := int(pos)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	f := pos - float64(i)
	return sorted[i]*(1-f) + sorted[i+1]*f
}
