package jkonet

import (
	"fmt"
	"math"
	"strconv"
)

// Ridge is the closed form's ridge, relative to the diagonal of the normal
// matrix (λ_i = r·(AᵀWA)_ii: each parameter penalised in the units of its
// own feature's size on the data, so the fit does not depend on the units
// of the data or of the parameters). The zero value, RidgeAuto, chooses r
// from the data; RidgeFixed sets it. One value holds both, so no setting
// can be made and then silently ignored.
type Ridge struct {
	fixed bool
	r     float64
}

// RidgeAuto chooses the ridge from the data (linear.Factored.AutoRidge:
// generalised cross-validation with one step's rows counted as the
// independent ones, 0 on exact data). It is the zero value, and the
// default.
func RidgeAuto() Ridge { return Ridge{} }

// RidgeFixed is the ridge r ≥ 0, relative to the normal matrix's diagonal;
// RidgeFixed(0) is the exact solve. A negative, infinite or NaN r is
// rejected by the fit.
func RidgeFixed(r float64) Ridge { return Ridge{fixed: true, r: r} }

// ParseRidge reads a ridge as jko fit's --reg says it: "auto" or a number
// ≥ 0.
func ParseRidge(s string) (Ridge, error) {
	if s == "auto" {
		return RidgeAuto(), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || RidgeFixed(v).check() != nil {
		return Ridge{}, fmt.Errorf("ridge %q: want auto or a number ≥ 0", s)
	}
	return RidgeFixed(v), nil
}

// Auto reports whether the ridge is chosen from the data.
func (r Ridge) Auto() bool { return !r.fixed }

// Fixed returns the fixed ridge and true, or 0 and false for RidgeAuto.
func (r Ridge) Fixed() (float64, bool) { return r.r, r.fixed }

// String is the ridge as ParseRidge reads it: "auto" or the number.
func (r Ridge) String() string {
	if !r.fixed {
		return "auto"
	}
	return strconv.FormatFloat(r.r, 'g', -1, 64)
}

// MarshalText writes String, so a Ridge travels in JSON and flags.
func (r Ridge) MarshalText() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	return []byte(r.String()), nil
}

// UnmarshalText reads what ParseRidge reads.
func (r *Ridge) UnmarshalText(b []byte) error {
	v, err := ParseRidge(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// check rejects a fixed ridge that is negative, infinite or NaN.
func (r Ridge) check() error {
	if r.fixed && (!(r.r >= 0) || math.IsInf(r.r, 0)) {
		return fmt.Errorf("jkonet: ridge %v: want a number ≥ 0 (or RidgeAuto)", r.r)
	}
	return nil
}
