package plot

import (
	"fmt"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/snapshot"
)

// LossCurve is a training curve for All: the loss (or iJKOnet's gap) per
// epoch.
type LossCurve struct {
	Epochs, Loss []float64
	// Name is what the curve is: "gap" for iJKOnet's, else a loss.
	Name string
}

// All tiles every panel that applies to the fitted model, each against
// the truth where truth has the term: the potential (at each drawn time
// when it depends on t) with its colour bar; the drift field; the
// snapshots with one-step predictions; the interaction kernel U(r); the
// internal energy ρ f″(ρ); and, when loss is non-nil and has more than
// one value, the loss curve. Panels that do not apply are left out; the
// figure's Notes say which and why.
func All(fitted Energy, truth *Energy, data *snapshot.Snapshots, loss *LossCurve, o Options) (*Figure, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if err := fitted.check("fitted"); err != nil {
		return nil, err
	}
	fig := &Figure{}
	has := fitted.Model.Has
	if has(compile.Potential) {
		tr := truth
		if tr != nil && !tr.Model.Has(compile.Potential) {
			tr = nil
		}
		f, err := Potential(fitted, tr, data, o)
		if err != nil {
			return nil, err
		}
		fig.Append(f)
		f, err = Drift(fitted, tr, data, o)
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
	var terms []Panel
	if has(compile.Interaction) {
		p, err := Interaction(fitted, truth, data, o)
		if err != nil {
			return nil, err
		}
		terms = append(terms, Panel{Drawer: p, Width: 1.2})
	}
	if has(compile.Internal) {
		p, err := Internal(fitted, truth, data, o)
		if err != nil {
			return nil, err
		}
		terms = append(terms, Panel{Drawer: p, Width: 1.2})
	}
	if loss != nil {
		if len(loss.Loss) == 1 {
			fig.Notes = append(fig.Notes, fmt.Sprintf("no loss curve: the fit has a single loss value (%.6g), as a closed-form fit has", loss.Loss[0]))
		} else {
			p, err := loss.Plot()
			if err != nil {
				return nil, err
			}
			terms = append(terms, Panel{Drawer: p, Width: 1.2})
		}
	}
	// The snapshots beside the first term panel, the rest on a row of
	// their own.
	for len(terms) > 0 && len(row) < 3 {
		row, terms = append(row, terms[0]), terms[1:]
	}
	if len(row) > 0 {
		fig.Rows = append(fig.Rows, row)
	}
	if len(terms) > 0 {
		fig.Rows = append(fig.Rows, terms)
	}
	if !has(compile.Potential) {
		fig.Notes = append(fig.Notes, "no potential or drift panels: the fitted model has no potential term")
	}
	return fig, nil
}
