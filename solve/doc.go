// Package solve learns a spec's parameters from snapshots and puts the
// fitted model to use: the three calls a Go program needs.
//
//	spec, err := compile.LoadFile("model.jko")          // or LoadString, LoadFS
//	fit, err := solve.Fit(spec, data, solve.Options{})   // JKOnet*
//	report, err := fit.Evaluate(test)                    // or Predict, Simulate, Spec
//
// The sub-packages hold the machinery: snapshot (data and its file
// formats), ot (exact optimal transport), density (densities with
// gradients), linear (the closed-form solve and its diagnostics), jkonet
// (the JKOnet* fits), ijkonet (iJKOnet, no couplings), sim
// (Euler–Maruyama), evaluate (predictions and the paper's metrics).
package solve
