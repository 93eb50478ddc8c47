// Package finite tells finite numbers from NaN and ±Inf, the test every
// solver applies to its losses, gradients and parameters.
package finite

import "math"

// All reports whether every value of v is a finite number (true for an
// empty v).
func All(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
