// Package snapshot holds population data: clouds of particles observed at
// increasing times, possibly with different particle counts per time, and
// reads and writes them in the two formats jko supports.
//
// # The JKOnet* directory layout
//
// Matched against the public JKOnet* code (antonioterpin/jkonet-star,
// data_generator.py). A dataset directory holds
//
//	data.npy                 all particles stacked, shape (n_total, d)
//	sample_labels.npy        shape (n_total,), integer time index of each row
//	train_data.npy           the training split, same layout
//	train_sample_labels.npy
//	test_data.npy            the test split, same layout
//	test_sample_labels.npy
//	args.txt                 "key=value" lines, among them dt=<float>
//
// The reference saves with jax.numpy, so data is float32 ('<f4') and labels
// are int32 ('<i4') unless JAX runs in 64-bit mode; a label is the index k
// of the snapshot (0, 1, …, K; the time is k·dt, with dt in args.txt). Rows
// are grouped by label in increasing order (label-major: every particle of
// time 0, then of time 1, …). In the trajectory split, the i-th row of
// every time block in train_data.npy is the same particle.
//
// ReadDir accepts float32 or float64 data (C or Fortran order), any integer
// label dtype, and float labels that are whole numbers; rows are grouped by
// label with a stable sort, so they need not be contiguous. Times come from
// a times.npy file (written by WriteDir, one float64 time per label, for
// non-uniform grids), else are label·dt with the dt= line of args.txt; a
// dt given by the caller must agree with them, and is required when the
// directory records neither (ErrNoTimes: no guess, since dt scales every
// fitted coefficient). WriteDir writes
// float64 data, int64 labels, times.npy and an args.txt with dt= when the
// times are a uniform grid k·dt.
//
// # CSV
//
// A header line (a UTF-8 byte-order mark before it is skipped); a time
// column named t or time; optionally the column CSVOptions.Weights names,
// of particle weights (a column named weight without that option is an
// error, never silently weights nor a coordinate); an optional
// particle-id column, named id or ending in _id (cell_id), which is not a
// coordinate; every other column is a coordinate, in header order, unless
// CSVOptions.Coords names the coordinates (CSVOptions.ReadInfo then says
// which columns it ignored). When every time has the same set of ids, each
// snapshot's rows are put in id order, so that row i is one particle at
// every time (paired data). Rows are grouped by time, times strictly
// increasing from group to group. Errors name the file, line and column
// (type *Error).
package snapshot
