package jkonet

import "fmt"

// Summary is what a fitted spec's header says about the fit after the
// lines naming the tool and the data: the loss and, for the closed form,
// rank, condition number, R² and the directions the data does not
// identify, and how an entropy's β was estimated, with its 95% interval
// (BetaNote). jko fit and jko-beam write it the same way.
func (r *Result) Summary() []string {
	h := []string{fmt.Sprintf("# loss %.6g", r.Loss)}
	if l := r.Linear; l != nil {
		h = append(h, fmt.Sprintf("# closed form: rank %d of %d, condition number %.3g, R² %.6f", l.Rank, len(l.Theta), l.Cond, l.R2))
		for _, d := range l.Unidentified {
			h = append(h, "# "+d.String())
		}
	}
	if r.BetaNote != "" {
		// The file's own comment on β gives its standard error; its 95%
		// interval is not β̂ ± 1.96·SE (see BetaCI), so it is said here.
		h = append(h, "# "+r.BetaNote)
	}
	return h
}
