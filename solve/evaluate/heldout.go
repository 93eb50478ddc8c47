package evaluate

import (
	"fmt"
	"math"

	"github.com/jko-org/jko/internal/parallel"
	"github.com/jko-org/jko/solve/ot"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

// HeldOutScore is the error of the prediction of one snapshot left out of
// the fit.
type HeldOutScore struct {
	Snapshot int     `json:"snapshot"` // the snapshot predicted
	From     int     `json:"from"`     // the snapshot the prediction starts from
	Time     float64 `json:"time"`     // its time
	Elapsed  float64 `json:"elapsed"`  // time rolled forward
	W1       float64 `json:"w1"`
	W2       float64 `json:"w2"`
}

// DefaultHeldOutSteps is the number of steps of a held-out prediction in
// the leave-out protocol (iJKOnet's): one step over the elapsed time.
const DefaultHeldOutSteps = 1

// HeldOut is the leave-out protocol (iJKOnet's leave-two-out on the
// embryoid body): each snapshot held[i] is predicted from the observed
// snapshot from[i] by rolling the flow forward over the elapsed time
// t_held − t_from in `steps` equal steps, and scored by W1 and W2 (exact
// transport) against the observation. W2 costs an exact transport problem
// between the two clouds, O(n·m) memory.
func HeldOut(f sim.Dynamics, s *snapshot.Snapshots, held, from []int, steps int, seed uint64, step Step) ([]HeldOutScore, error) {
	if len(held) != len(from) || len(held) == 0 {
		return nil, fmt.Errorf("evaluate: %d held-out snapshots with %d starting points", len(held), len(from))
	}
	if steps < 1 {
		return nil, fmt.Errorf("evaluate: %d steps per held-out prediction, need at least 1", steps)
	}
	out := make([]HeldOutScore, len(held))
	preds := make([]*mat.Dense, len(held))
	for i, k := range held {
		p := from[i]
		if k < 0 || k >= s.Len() || p < 0 || p >= k {
			return nil, fmt.Errorf("evaluate: cannot predict snapshot %d from snapshot %d (%d snapshots)", k, p, s.Len())
		}
		el := s.Times[k] - s.Times[p]
		pred, err := Predict(f, s.X[p], s.Times[p], el/float64(steps), steps, seed+uint64(k), step)
		if err != nil {
			return nil, fmt.Errorf("snapshot %d from %d: %w", k, p, err)
		}
		preds[i] = pred[len(pred)-1]
		out[i] = HeldOutScore{Snapshot: k, From: p, Time: s.Times[k], Elapsed: el}
	}
	errs := make([]error, 2*len(held))
	parallel.For(2*len(held), func(j int) {
		i := j / 2
		k := held[i]
		if j%2 == 0 {
			out[i].W1, errs[j] = ot.W1(preds[i], s.X[k], nil, weights(s, k))
			return
		}
		c, err := ot.W2Squared(preds[i], s.X[k], nil, weights(s, k))
		out[i].W2, errs[j] = math.Sqrt(math.Max(c, 0)), err
	})
	for j, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("snapshot %d: %w", held[j/2], err)
		}
	}
	return out, nil
}
