package jkonet

import (
	"fmt"

	"github.com/jko-org/jko/solve/snapshot"
)

// tinyStepError refuses time steps too small for float64. The closed
// form's rows are τ·features, and the column scaling of its QR (and the
// normal equations of a sharded fit) sum their squares;
// once τ² is below 2⁻⁹⁷⁰ (τ ≲ 1e-146) products with features of order one
// keep fewer than the 53 bits of a float64: at τ = 1e-160 the estimates
// were off by 4%, at τ = 1e-300 the squares are zero and every parameter
// looked unidentifiable ("its feature is zero on the data"); the
// gradient methods stall at their start the same way. It returns nil when
// every step is larger (or s is nil, which Prepare reports).
func tinyStepError(s *snapshot.Snapshots) error {
	const tinyTau2 = 0x1p-970
	if s == nil {
		return nil
	}
	times := s.Times
	for k := 1; k < len(times); k++ {
		if tau := times[k] - times[k-1]; tau*tau < tinyTau2 {
			return fmt.Errorf("jkonet: the time step τ = %g (from snapshot %d to %d) is too small for float64: τ² = %g leaves the fit without precision; measure time in larger units, so that steps are at least 1e-146",
				tau, k-1, k, tau*tau)
		}
	}
	return nil
}
