// Package solve learns a spec's parameters from snapshots and puts the
// fitted model to use: the calls a Go program needs.
//
//	spec, err := compile.LoadFile("model.jko")          // or LoadString, LoadFS
//	data, err := snapshot.FromPoints(times, points)      // or ReadCSV, ReadDir, solve.Simulate
//	fit, err := solve.Fit(spec, data, solve.Options{})   // JKOnet*; Method MethodIJKOnet for iJKOnet
//	report, err := fit.Evaluate(test)                    // or Predict, PredictPoints, Simulate
//	a, err := fit.Param("a")                             // or Values for vectors
//	text, err := fit.Spec()                              // the fitted spec, to write back
//	again, err := solve.Load("fitted.jko", 2)            // and read it back
//
// The sub-packages hold the machinery: snapshot (data and its file
// formats), ot (exact optimal transport), density (densities with
// gradients), jkonet (the JKOnet* fits, with the closed-form solve of
// internal/linear), ijkonet (iJKOnet, no couplings), sim (Euler–Maruyama),
// evaluate (predictions and the paper's metrics), plot (figures).
//
// Settings are typed values whose zero value is the default: Options{} is
// the JKOnet* reference fit; jkonet.Options sets its method
// (jkonet.MethodLBFGS), couplings (jkonet.Sinkhorn(0.05)), density
// estimate (jkonet.KDE()) and ridge (jkonet.RidgeFixed(0)), each with a
// text form (jkonet.ParseCouplings, String) for flags and JSON.
package solve
