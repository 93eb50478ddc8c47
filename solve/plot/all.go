package plot

import (
	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/snapshot"
)

// Loss curve input for All.
type LossCurve struct{ Epochs, Loss []float64 }

// All tiles every panel that applies: the potentials with their colour
// bar, the snapshots with predictions, the drift fields and, when loss is
// non-nil, the loss curve. Panels that need a potential are skipped when
// the fitted model has none.
func All(fitted Energy, truth *Energy, data *snapshot.Snapshots, loss *LossCurve, o Options) (*Figure, error) {
	if err := fitted.check("fitted"); err != nil {
		return nil, err
	}
	if truth != nil && !truth.Model.Has(compile.Potential) {
		truth = nil
	}
	fig := &Figure{}
	hasV := fitted.Model.Has(compile.Potential)
	if hasV {
		f, err := Potential(fitted, truth, data, o)
		if err != nil {
			return nil, err
		}
		fig.Append(f)
	}
	row := []Panel{}
	if data != nil && data.Len() > 0 {
		f, err := Snapshots(&fitted, data, o)
		if err != nil {
			return nil, err
		}
		row = append(row, f.Rows[0]...)
	}
	if loss != nil {
		p, err := Loss(loss.Epochs, loss.Loss)
		if err != nil {
			return nil, err
		}
		row = append(row, Panel{Drawer: p})
	}
	if len(row) > 0 {
		fig.Rows = append(fig.Rows, row)
	}
	if hasV {
		f, err := Drift(fitted, truth, data, o)
		if err != nil {
			return nil, err
		}
		fig.Append(f)
	}
	return fig, nil
}
