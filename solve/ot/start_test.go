package ot

import "testing"

// TestNorthWestFallback reruns the simplex tests with the greedy start
// disabled, so the north-west-corner fallback stays correct.
func TestNorthWestFallback(t *testing.T) {
	noGreedy = true
	defer func() { noGreedy = false }()
	t.Run("reference", TestReferenceCases)
	t.Run("brute", TestSimplexBruteForce)
	t.Run("assign", TestAssignVsSimplex)
}
