// Package solve learns a spec's parameters from snapshots and puts the
// fitted model to use: the calls a Go program needs.
//
//	spec, err := compile.LoadFile("model.jko")          // or LoadString, LoadFS
//	data, err := snapshot.FromPoints(times, points)      // or ReadCSV, ReadDir, solve.Simulate
//	fit, err := solve.Fit(spec, data, solve.Options{})   // JKOnet*; Method "ijkonet" for iJKOnet
//	report, err := fit.Evaluate(test)                    // or Predict, PredictPoints, Simulate
//	a, err := fit.Param("a")                             // or Values for vectors
//	text, err := fit.Spec()                              // the fitted spec, to write back
//	again, err := solve.Load("fitted.jko", 2)            // and read it back
//
// The sub-packages hold the machinery: snapshot (data and its file
// formats), ot (exact optimal transport), density (densities with
// gradients), linear (the closed-form solve and its diagnostics), jkonet
// (the JKOnet* fits), ijkonet (iJKOnet, no couplings), sim
// (Euler–Maruyama), evaluate (predictions and the paper's metrics).
package solve
