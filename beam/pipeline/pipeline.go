// Package pipeline is the JKOnet* closed-form fit as an Apache Beam
// pipeline: the same fit as jko fit (solve/jkonet.FitLinear), with its
// work spread over the workers of a Beam runner.
//
// The stages, each a map or a grouping:
//
//	inputs ─read─▶ chunks of rows ─group by time─▶ snapshots
//	  ─route to steps─▶ (snapshot k, snapshot k+1) per step
//	  ─plan─▶ units: groups of mini-batches of rows to couple, or slices
//	          of a step's exactly coupled pairs (densities evaluated here)
//	  ─reshuffle─▶ shard: couple the batches (on all cores), features,
//	          normal equations
//	  ─merge in unit order─▶ one jkonet.Accumulator ─solve─▶ θ
//	  ─residual per unit at θ (second pass)─▶ sum ─▶ the fitted spec
//	  (an entropy's β with the drift at x: estimated there, on one worker,
//	  from every coupled pair, as jko fit estimates it)
//
// Sums are merged in the order of the units' ids, never in the order the
// runner delivers them, so the result does not depend on the runner or
// the number of workers. With exact couplings each step's coupling is one
// problem on one worker (memory O(n·m)); mini-batch couplings
// (jkonet.Minibatches) spread it over batches.
package pipeline

import (
	"cmp"
	"context"
	"encoding"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/lang"
	"github.com/jko-org/jko/solve"
	"github.com/jko-org/jko/solve/density"
	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

// Config is what every stage needs to know. It travels to the workers
// (as JSON), so it holds the spec's text, not a path.
type Config struct {
	Spec Spec
	// Split selects the files of JKOnet*-layout directories ("train",
	// "test" or "all"; "" is train, and all for CSV files, which have no
	// split); Dt is the time between snapshots when the data does not say
	// (0: from the data; it must agree with times the data records).
	Split string
	Dt    float64
	// Cells says how to read cell tables (.h5ad, .npz inputs).
	Cells Cells
	// The fit's settings, as jko fit's flags (Ridge is relative to each
	// feature's size; the zero value chooses it from the data).
	Ridge     jkonet.Ridge
	Couplings jkonet.Couplings
	Density   jkonet.Density
	// Scheme, when set, is the scheme to fit (nil: the spec's, as
	// jkonet.Options.Scheme); DensityAt is "x", "y" or "" (follow it).
	Scheme    *compile.Scheme
	DensityAt string
	Seed      uint64
	// ChunkRows bounds the rows of an element (read chunks, slices of
	// pairs); 0 means 65536.
	ChunkRows int
	// BetaFrom is how an entropy's β is estimated with the drift at x, as
	// jko fit does: BetaResidual (the zero value) from the residual noise
	// of the coupled pairs, all of them on one worker; BetaScore from the
	// density's score, in the sums.
	BetaFrom jkonet.BetaFrom
	// Out is where the fitted spec is written (a local path, or any
	// scheme a Beam file system is registered for, such as gs://).
	Out string
	// Tool ("jko-beam VERSION") and Data (the inputs) are named in the
	// fitted spec's header, as jko fit names itself and its data.
	Tool, Data string
}

func (c Config) options() jkonet.Options {
	o := jkonet.Options{Method: jkonet.MethodLinear, Ridge: c.Ridge, Couplings: c.Couplings, Density: c.Density,
		Scheme: c.Scheme, DensityAt: c.DensityAt, Seed: c.Seed, BetaFrom: c.BetaFrom}
	return o
}

// Cells says how to read a cell table (an AnnData .h5ad or NumPy .npz
// input), as jko fit's --time-key, --obsm, --times and --dims do
// (Source), and its seeded train/test split, as --test-fraction and
// --split-seed do: the fit reads the train side, the evaluation the test
// side. The split is drawn per input file, so it selects jko fit's cells
// when the table is one file.
type Cells struct {
	Source       snapshot.Source
	TestFraction float64
	SplitSeed    uint64
}

func (c Cells) check() error {
	if c.TestFraction != 0 && !(c.TestFraction > 0 && c.TestFraction < 1) {
		return fmt.Errorf("--test-fraction %v: want a fraction in (0, 1)", c.TestFraction)
	}
	if c.Source.Dims < 0 {
		return fmt.Errorf("--dims %d: want a positive count (0: all coordinates)", c.Source.Dims)
	}
	return nil
}

// cellKind is "h5ad" or "npz" for a cell table's path, else "".
func cellKind(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".h5ad":
		return "h5ad"
	case ".npz":
		return "npz"
	}
	return ""
}

// splitName is the split the header names, as jko fit does.
func (c Config) splitName() string { return c.splitNameOr("train") }

func (c Config) chunkRows() int {
	if c.ChunkRows > 0 {
		return c.ChunkRows
	}
	return 65536
}

// Check reports settings the pipeline cannot run with, before it starts.
func (c Config) Check() error {
	if _, err := c.Spec.Compile(); err != nil {
		return err
	}
	for _, v := range []encoding.TextMarshaler{c.Ridge, c.Couplings, c.Density} {
		if _, err := v.MarshalText(); err != nil { // the check of each setting
			return err
		}
	}
	if c.Out == "" {
		return fmt.Errorf("jko-beam: no output path")
	}
	if err := c.Cells.check(); err != nil {
		return err
	}
	return nil
}

// model compiles the spec at dimension d, once per worker and dimension.
type model struct {
	cfg Config
	m   *compile.Model
}

func (mc *model) at(d int) (*compile.Model, error) {
	if mc.m != nil && mc.m.Dim == d {
		return mc.m, nil
	}
	sp, err := mc.cfg.Spec.Compile()
	if err != nil {
		return nil, err
	}
	m, err := sp.Instantiate(d)
	if err != nil {
		return nil, err
	}
	if err := m.LinearError(); err != nil {
		return nil, fmt.Errorf("jko-beam fits the closed form only: %w", err)
	}
	mc.m = m
	return m, nil
}

// Fit adds the fit of the snapshots in inputs to the pipeline; running
// the pipeline writes the fitted spec to cfg.Out.
func Fit(s beam.Scope, cfg Config, inputs []string) {
	s = s.Scope("jko.fit")
	in := make([]Input, len(inputs))
	for i, p := range inputs {
		in[i] = Input{Index: i, Path: p}
	}
	files := beam.CreateList(s, in)
	// An interaction's mean field runs over the whole population a split
	// was drawn from, as in jko fit (jkonet's meanFieldCloud).
	chunks := beam.ParDo(s, &ReadFn{Cfg: cfg, Population: cfg.Spec.has(lang.Interaction)}, files)
	snaps := beam.ParDo(s, AssembleFn, beam.GroupByKey(s, chunks))
	times := beam.ParDo(s, SortTimesFn, beam.GroupByKey(s, beam.AddFixedKey(s, beam.ParDo(s, SnapTimeFn, snaps))))
	routed := beam.ParDo(s, RouteFn, snaps, beam.SideInput{Input: times})
	units := beam.ParDo(s, &PlanFn{Cfg: cfg}, beam.GroupByKey(s, routed))
	units = beam.Reshuffle(s, units)
	parts, coupled, sample := beam.ParDo3(s, &ShardFn{Cfg: cfg}, units)
	total := beam.ParDo(s, MergeFn, beam.GroupByKey(s, beam.AddFixedKey(s, parts)))
	resid := beam.ParDo(s, &ResidualFn{Cfg: cfg}, coupled, beam.SideInput{Input: total})
	beam.ParDo0(s, &WriteFn{Cfg: cfg}, beam.GroupByKey(s, beam.AddFixedKey(s, resid)), beam.SideInput{Input: total}, beam.SideInput{Input: sample})
}

// Input is one input path and its position on the command line.
type Input struct {
	Index int
	Path  string
}

func init() {
	beam.RegisterType(reflect.TypeOf(Input{}))
	beam.RegisterType(reflect.TypeOf((*ReadFn)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*PlanFn)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*ShardFn)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*ResidualFn)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*WriteFn)(nil)).Elem())
	beam.RegisterFunction(AssembleFn)
	beam.RegisterFunction(SnapTimeFn)
	beam.RegisterFunction(SortTimesFn)
	beam.RegisterFunction(RouteFn)
	beam.RegisterFunction(MergeFn)
}

// ReadFn reads one input (a JKOnet*-layout directory or a CSV file, local
// or remote) and emits its snapshots as chunks keyed by time. DirSplit is
// the split of a directory when Cfg.Split is empty ("" is train, as for
// jko fit; the evaluation reads test, as jko eval). Population also emits
// the rows of the whole population a split was drawn from (Chunk.Whole),
// when the input has one: the evaluation of a flow whose drift depends on
// the population steps all of it, as jko eval does.
type ReadFn struct {
	Cfg        Config
	DirSplit   string
	Population bool
}

// ProcessElement reads in and emits (time bits, chunk).
func (f *ReadFn) ProcessElement(ctx context.Context, in Input, emit func(uint64, Chunk)) error {
	s, err := readInput(ctx, in.Path, f.Cfg.Split, f.DirSplit, f.Cfg.Dt, f.Cfg.Cells, f.Population)
	if err != nil {
		return err
	}
	step := f.Cfg.chunkRows()
	emitRows := func(k int, x *mat.Dense, w []float64, whole bool) {
		n, d := x.Dims()
		data := denseRows(x)
		for lo := 0; lo < n; lo += step {
			hi := min(lo+step, n)
			c := Chunk{Input: in.Index, Offset: lo, T: s.Times[k], D: d, X: data[lo*d : hi*d], Whole: whole}
			if w != nil {
				c.W = w[lo:hi]
			}
			emit(math.Float64bits(s.Times[k]), c)
		}
	}
	for k, x := range s.X {
		var w []float64
		if s.W != nil {
			w = s.W[k]
		}
		emitRows(k, x, w, false)
		if f.Population && s.Population != nil && s.Population[k] != nil && s.Population[k] != x {
			emitRows(k, s.Population[k], nil, true)
		}
	}
	return nil
}

func denseRows(x *mat.Dense) []float64 {
	r := x.RawMatrix()
	if r.Stride == r.Cols {
		return r.Data[:r.Rows*r.Cols]
	}
	out := make([]float64, 0, r.Rows*r.Cols)
	for i := 0; i < r.Rows; i++ {
		out = append(out, r.Data[i*r.Stride:i*r.Stride+r.Cols]...)
	}
	return out
}

// readInput reads snapshots as jko fit does; remote inputs go through
// Beam's file systems (a remote directory is copied to a temporary one).
// An empty split reads dirSplit of a directory (train if that is empty
// too) and all of a CSV file.
func readInput(ctx context.Context, path, split, dirSplit string, dt float64, cells Cells, population bool) (*snapshot.Snapshots, error) {
	remote := strings.Contains(path, "://")
	if kind := cellKind(path); kind != "" {
		side := "train"
		if dirSplit == "test" {
			side = "test"
		}
		return readCells(ctx, path, kind, split, side, dt, cells)
	}
	if cells.Source.TimeKey != "" || cells.Source.Coords != "" {
		return nil, fmt.Errorf("--time-key and --obsm apply to .h5ad and .npz files; %s is neither", path)
	}
	if cells.TestFraction > 0 || cells.Source.Times != nil || cells.Source.Dims > 0 {
		return nil, fmt.Errorf("--test-fraction, --times and --dims apply to .h5ad and .npz files in jko-beam; %s is neither", path)
	}
	csvSplit := split
	if split == "" {
		split = cmp.Or(dirSplit, "train")
	}
	if !remote {
		st, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("reading data: %w", err)
		}
		if st.IsDir() {
			return readDir(path, split, dt)
		}
	}
	if remote && !strings.HasSuffix(strings.ToLower(path), ".csv") {
		dir, err := copyRemoteDir(ctx, path, split, population)
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		return readDir(dir, split, dt)
	}
	var r io.ReadCloser
	if remote {
		fs, err := filesystem.New(ctx, path)
		if err != nil {
			return nil, err
		}
		defer fs.Close()
		if r, err = fs.OpenRead(ctx, path); err != nil {
			return nil, err
		}
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		r = f
	}
	defer r.Close()
	s, err := snapshot.ReadCSV(r, path)
	if err != nil {
		return nil, err
	}
	if split = csvSplit; split != "" && split != "all" {
		return nil, fmt.Errorf("--split %s: %s is a CSV file, which has no train/test split (leave --split out, or give --split all)", split, path)
	}
	// As jko fit: a --dt must agree with the file's times.
	if dt > 0 {
		for k := 1; k < len(s.Times); k++ {
			if got, want := s.Times[k]-s.Times[0], float64(k)*dt; math.Abs(got-want) > 1e-9*math.Max(math.Abs(got), math.Abs(want)) {
				return nil, fmt.Errorf("--dt %g disagrees with the times of %s: snapshot %d is at time %g, %g after the first (leave --dt out to use the file's times)", dt, path, k, s.Times[k], got)
			}
		}
	}
	return s, nil
}

// readCells reads a cell table as jko fit does (snapshot.ReadH5AD or
// ReadNPZ, which read a local file: a remote one is copied to a local
// temporary file first), then keeps one side of its split.
func readCells(ctx context.Context, path, kind, split, side string, dt float64, cells Cells) (*snapshot.Snapshots, error) {
	if split != "" && split != "all" {
		return nil, fmt.Errorf("--split %s: %s is a cell table without a train/test split (use --test-fraction)", split, path)
	}
	local := path
	if strings.Contains(path, "://") {
		tmp, err := copyRemoteFile(ctx, path)
		if err != nil {
			return nil, err
		}
		defer os.Remove(tmp)
		local = tmp
	}
	var s *snapshot.Snapshots
	var err error
	if kind == "h5ad" {
		s, err = snapshot.ReadH5AD(local, cells.Source)
	} else {
		s, err = snapshot.ReadNPZ(local, cells.Source)
	}
	if err != nil {
		return nil, err
	}
	// As jko fit: --dt replaces the levels' times by t0 + k·dt.
	if dt > 0 {
		for k := range s.Times {
			s.Times[k] = s.Times[0] + float64(k)*dt
		}
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if cells.TestFraction > 0 {
		train, test, err := s.Split(cells.TestFraction, cells.SplitSeed)
		if err != nil {
			return nil, err
		}
		if s = train; side == "test" {
			s = test
		}
	}
	return s, nil
}

// copyRemoteFile copies a remote file to a local temporary one with the
// same extension.
func copyRemoteFile(ctx context.Context, path string) (string, error) {
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return "", err
	}
	defer fs.Close()
	r, err := fs.OpenRead(ctx, path)
	if err != nil {
		return "", fmt.Errorf("reading data: %w", err)
	}
	defer r.Close()
	w, err := os.CreateTemp("", "jko-beam-*"+filepath.Ext(path))
	if err != nil {
		return "", err
	}
	_, err = io.Copy(w, r)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(w.Name())
		return "", err
	}
	return w.Name(), nil
}

func readDir(dir, split string, dt float64) (*snapshot.Snapshots, error) {
	switch split {
	case "":
		split = "train"
	case "all":
		split = ""
	}
	s, err := snapshot.ReadDir(dir, split, dt)
	if errors.Is(err, snapshot.ErrNoTimes) {
		return nil, fmt.Errorf("%w: give the time between snapshots with --dt (every fitted coefficient scales with it)", err)
	}
	return s, err
}

// copyRemoteDir copies the files snapshot.ReadDir reads from a remote
// JKOnet*-layout directory to a local temporary one; with population, also
// the whole data a train or test split was drawn from, when it is there.
func copyRemoteDir(ctx context.Context, dir, split string, population bool) (string, error) {
	fs, err := filesystem.New(ctx, dir)
	if err != nil {
		return "", err
	}
	defer fs.Close()
	tmp, err := os.MkdirTemp("", "jko-beam-")
	if err != nil {
		return "", err
	}
	prefix := ""
	if split == "train" || split == "test" {
		prefix = split + "_"
	}
	names := []string{prefix + "data.npy", prefix + "sample_labels.npy", "times.npy", "args.txt"}
	if population && prefix != "" {
		// The whole population the split was drawn from, when there is one.
		names = append(names, "data.npy", "sample_labels.npy")
	}
	for i, name := range names {
		src := strings.TrimSuffix(dir, "/") + "/" + name
		r, err := fs.OpenRead(ctx, src)
		if err != nil {
			if i < 2 {
				os.RemoveAll(tmp)
				return "", fmt.Errorf("reading data: %s: %w", src, err)
			}
			continue // optional files
		}
		w, err := os.Create(filepath.Join(tmp, name))
		if err == nil {
			_, err = io.Copy(w, r)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
		}
		r.Close()
		if err != nil {
			os.RemoveAll(tmp)
			return "", err
		}
	}
	return tmp, nil
}

// AssembleFn joins the chunks of one time into the snapshot, rows in
// input order then file order.
func AssembleFn(key uint64, chunks func(*Chunk) bool) (Snap, error) {
	var all []Chunk
	var c Chunk
	for chunks(&c) {
		all = append(all, c)
	}
	sort.Slice(all, func(a, b int) bool {
		if all[a].Input != all[b].Input {
			return all[a].Input < all[b].Input
		}
		return all[a].Offset < all[b].Offset
	})
	s := Snap{T: math.Float64frombits(key), D: all[0].D}
	first, weighted := true, false
	for _, c := range all {
		if c.D != s.D {
			return Snap{}, fmt.Errorf("jko-beam: at t = %v the inputs have %d and %d coordinates", s.T, s.D, c.D)
		}
		if c.Whole {
			s.Pop = append(s.Pop, c.X...)
			continue
		}
		if first {
			first, weighted = false, c.W != nil
		} else if (c.W != nil) != weighted {
			return Snap{}, fmt.Errorf("jko-beam: at t = %v some inputs have weights and others not", s.T)
		}
		s.X = append(s.X, c.X...)
		s.W = append(s.W, c.W...)
	}
	return s, nil
}

// SnapTimeFn is a snapshot's time.
func SnapTimeFn(s Snap) float64 { return s.T }

// SortTimesFn lists the snapshots' times in order.
func SortTimesFn(_ int, times func(*float64) bool) []float64 {
	var out []float64
	var t float64
	for times(&t) {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// RouteFn sends snapshot k to step k (as its start) and to step k−1 (as
// its end).
func RouteFn(s Snap, times []float64, emit func(int, Snap)) error {
	k, ok := slices.BinarySearch(times, s.T)
	if !ok {
		return fmt.Errorf("jko-beam: time %v missing from the list of times", s.T)
	}
	if len(times) < 2 {
		return fmt.Errorf("jko-beam: the data has %d snapshot; it needs at least 2 (one observed step)", len(times))
	}
	s.Index = k
	if k+1 < len(times) {
		emit(k, s)
	}
	if k > 0 {
		emit(k-1, s)
	}
	return nil
}

// PlanFn turns one step (its two snapshots) into units of work: the
// densities, the exact coupling or the mini-batches.
type PlanFn struct {
	Cfg Config
	mc  model
}

// ProcessElement plans step k.
func (f *PlanFn) ProcessElement(k int, snaps func(*Snap) bool, emit func(int64, Unit)) error {
	f.mc.cfg = f.Cfg
	var x, y *Snap
	var s Snap
	for snaps(&s) {
		c := s
		if c.Index == k {
			x = &c
		} else {
			y = &c
		}
	}
	if x == nil || y == nil {
		return fmt.Errorf("jko-beam: step %d lacks a snapshot", k)
	}
	if x.D != y.D {
		return fmt.Errorf("jko-beam: snapshots %d and %d have %d and %d coordinates", k, k+1, x.D, y.D)
	}
	m, err := f.mc.at(x.D)
	if err != nil {
		return err
	}
	if m.NumParams == 0 {
		return fmt.Errorf("jko-beam: the spec has no learnable parameters: nothing to fit")
	}
	o := f.Cfg.options()
	scheme := jkonet.SchemeFor(o, m)
	d := x.D
	xm := mat.NewDense(len(x.X)/d, d, x.X)
	ym := mat.NewDense(len(y.X)/d, d, y.X)
	n, _ := xm.Dims()
	mm, _ := ym.Dims()
	base := Unit{Step: k, Tx: x.T, Ty: y.T, D: d}

	// Densities: fitted on snapshot k (at x) or k+1 (at y), seeded as in
	// jkonet.Prepare, and evaluated at every row of that snapshot.
	var rho, grad []float64
	if m.Has(compile.Internal) {
		densityAt := o.DensityAt
		if densityAt == "" {
			densityAt = scheme.DriftAt()
		}
		if densityAt != "x" && densityAt != "y" {
			return fmt.Errorf("jko-beam: density-at must be x or y, got %q", densityAt)
		}
		snap, pts := x, xm
		if densityAt == "y" {
			snap, pts = y, ym
			base.DensityAtY = true
		}
		est, err := jkonet.NewDensity(pts, o.Density, o.Seed+uint64(snap.Index))
		if err != nil {
			return fmt.Errorf("jko-beam: density of snapshot %d: %w", snap.Index+1, err)
		}
		r, _ := pts.Dims()
		rho = make([]float64, r)
		grad = make([]float64, r*d)
		if err := density.DensityGrad(est, rho, mat.NewDense(r, d, grad), pts); err != nil {
			return fmt.Errorf("jko-beam: density of snapshot %d: %w", snap.Index+1, err)
		}
	}
	if m.Has(compile.Interaction) {
		// The mean field averages over the snapshot's whole population
		// when the input is a split of one (jkonet's meanFieldCloud).
		cloud := x
		if scheme == compile.Implicit {
			cloud = y
		}
		base.Cloud, base.NC = cloud.X, len(cloud.X)/d
		if len(cloud.Pop) > 0 {
			base.Cloud, base.NC = cloud.Pop, len(cloud.Pop)/d
		}
	}
	var wa, wb []float64
	if x.W != nil {
		wa, wb = x.W, y.W
	}
	// The residual estimate of β runs on one worker, on every coupled
	// pair with snapshot k as the source (see
	// jkonet.Result.SetBetaFromPairs): a sample would not do, as the
	// share of the noise a mini-batch coupling removes depends on the
	// batch's size against the snapshot's.
	needSample := jkonet.BetaFromResidual(m, o)

	if size, mini := o.Couplings.BatchSize(); mini {
		batches, err := jkonet.Minibatches(n, mm, size)
		if err != nil {
			return err
		}
		// A unit holds enough batches for about ChunkRows points, so a
		// worker couples them on all its cores (ShardFn).
		per := max(1, f.Cfg.chunkRows()/size)
		for lo, b := 0, 0; lo < len(batches); lo, b = lo+per, b+1 {
			u := base
			u.ID = int64(k)<<32 | int64(b)
			u.Batches, u.N, u.M = len(batches), n, mm
			u.SamplePairs = needSample
			if needSample && b == 0 {
				// The source in the snapshot's own order: the
				// simulation cuts the batches jko fit's does.
				u.Source = x.X
			}
			for _, bt := range batches[lo:min(lo+per, len(batches))] {
				u.NX, u.NY = append(u.NX, len(bt.X)), append(u.NY, len(bt.Y))
				u.Mass = append(u.Mass, jkonet.BatchMass(wa, n, bt.X))
				u.X, u.Y = append(u.X, gather(x.X, bt.X, d)...), append(u.Y, gather(y.X, bt.Y, d)...)
				if wa != nil {
					u.WX, u.WY = append(u.WX, gather(wa, bt.X, 1)...), append(u.WY, gather(wb, bt.Y, 1)...)
				}
				if rho != nil {
					idx := bt.X
					if base.DensityAtY {
						idx = bt.Y
					}
					u.Rho, u.GradRho = append(u.Rho, gather(rho, idx, 1)...), append(u.GradRho, gather(grad, idx, d)...)
				}
			}
			emit(u.ID, u)
		}
		return nil
	}
	pairs, err := jkonet.Couple(xm, ym, wa, wb, o.Couplings)
	if err != nil {
		return fmt.Errorf("jko-beam: coupling snapshots %d and %d: %w", k, k+1, err)
	}
	step := f.Cfg.chunkRows()
	for lo, b := 0, 0; lo < len(pairs); lo, b = lo+step, b+1 {
		ps := pairs[lo:min(lo+step, len(pairs))]
		u := base
		u.ID = int64(k)<<32 | int64(b)
		u.SamplePairs = needSample
		if needSample && b == 0 {
			u.Source = x.X
		}
		u.X = make([]float64, 0, len(ps)*d)
		u.Y = make([]float64, 0, len(ps)*d)
		u.PW = make([]float64, 0, len(ps))
		for _, p := range ps {
			u.X = append(u.X, x.X[p.I*d:(p.I+1)*d]...)
			u.Y = append(u.Y, y.X[p.J*d:(p.J+1)*d]...)
			u.PW = append(u.PW, p.Mass)
			if rho != nil {
				i := p.I
				if base.DensityAtY {
					i = p.J
				}
				u.Rho = append(u.Rho, rho[i])
				u.GradRho = append(u.GradRho, grad[i*d:(i+1)*d]...)
			}
		}
		emit(u.ID, u)
	}
	return nil
}

func gather(v []float64, idx []int, d int) []float64 {
	out := make([]float64, 0, len(idx)*d)
	for _, i := range idx {
		out = append(out, v[i*d:(i+1)*d]...)
	}
	return out
}

// step rebuilds the jkonet.Transition of a coupled unit.
func (u *Unit) step(m *compile.Model, scheme compile.Scheme) *jkonet.Transition {
	d := u.D
	xm := mat.NewDense(len(u.X)/d, d, u.X)
	ym := mat.NewDense(len(u.Y)/d, d, u.Y)
	var pairs []jkonet.Pair
	if u.PI != nil {
		pairs = make([]jkonet.Pair, len(u.PI))
		for i := range u.PI {
			pairs[i] = jkonet.Pair{I: u.PI[i], J: u.PJ[i], Mass: u.PW[i]}
		}
	} else {
		pairs = make([]jkonet.Pair, len(u.PW))
		for i, w := range u.PW {
			pairs[i] = jkonet.Pair{I: i, J: i, Mass: w}
		}
	}
	st := jkonet.NewTransition(u.Step, u.Tx, u.Ty, xm, ym, pairs, scheme)
	if u.Cloud != nil {
		st.Cloud, st.NC = u.Cloud, u.NC
	}
	if u.Rho != nil {
		st.Rho = make([]float64, len(pairs))
		st.GradRho = make([]float64, 0, len(pairs)*d)
		for i, p := range pairs {
			r := p.I
			if u.DensityAtY {
				r = p.J
			}
			st.Rho[i] = u.Rho[r]
			st.GradRho = append(st.GradRho, u.GradRho[r*d:(r+1)*d]...)
		}
	}
	return st
}

// ShardFn couples a unit's mini-batch (if it is one), evaluates the
// features of its pairs and emits their normal equations, and the coupled
// unit for the residual pass.
type ShardFn struct {
	Cfg Config
	mc  model
}

// ProcessElement works on one unit.
func (f *ShardFn) ProcessElement(_ int64, u Unit, parts func(Part), coupled, sample func(Unit)) error {
	f.mc.cfg = f.Cfg
	m, err := f.mc.at(u.D)
	if err != nil {
		return err
	}
	o := f.Cfg.options()
	scheme := jkonet.SchemeFor(o, m)
	if u.Batches > 0 {
		if err := u.couple(); err != nil {
			return err
		}
	}
	acc, err := jkonet.NewAccumulator(m, scheme)
	if err != nil {
		return err
	}
	if err := acc.Add(m, u.step(m, scheme)); err != nil {
		return err
	}
	b, err := acc.MarshalBinary()
	if err != nil {
		return err
	}
	parts(Part{ID: u.ID, Acc: b})
	if u.SamplePairs {
		sample(u)
		u.Source = nil
	}
	coupled(u)
	return nil
}

// couple solves the unit's mini-batches on all cores and keeps their
// pairs, batch after batch (the order does not depend on the cores).
func (u *Unit) couple() error {
	d := u.D
	nb := len(u.NX)
	pairs := make([][]jkonet.Pair, nb)
	errs := make([]error, nb)
	offX, offY := make([]int, nb+1), make([]int, nb+1)
	for b := 0; b < nb; b++ {
		offX[b+1], offY[b+1] = offX[b]+u.NX[b], offY[b]+u.NY[b]
	}
	if offX[nb]*d != len(u.X) || offY[nb]*d != len(u.Y) || len(u.Mass) != nb {
		return fmt.Errorf("jko-beam: a unit of step %d holds %d and %d values for batches of %d and %d rows", u.Step, len(u.X), len(u.Y), offX[nb], offY[nb])
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(nb, runtime.GOMAXPROCS(0)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				b := int(next.Add(1)) - 1
				if b >= nb {
					return
				}
				x0, x1, y0, y1 := offX[b], offX[b+1], offY[b], offY[b+1]
				var wx, wy []float64
				if u.WX != nil {
					wx, wy = u.WX[x0:x1], u.WY[y0:y1]
				}
				local := jkonet.Batch{X: iota(x0, x1), Y: iota(y0, y1)}
				pairs[b], errs[b] = jkonet.CoupleBatch(mat.NewDense(x1-x0, d, u.X[x0*d:x1*d]), mat.NewDense(y1-y0, d, u.Y[y0*d:y1*d]), wx, wy, local, u.Mass[b], u.N, u.M)
			}
		}()
	}
	wg.Wait()
	u.PI, u.PJ, u.PW = nil, nil, nil
	for b := range pairs {
		if errs[b] != nil {
			return fmt.Errorf("jko-beam: coupling a mini-batch of step %d: %w", u.Step, errs[b])
		}
		for _, p := range pairs[b] {
			u.PI, u.PJ, u.PW = append(u.PI, p.I), append(u.PJ, p.J), append(u.PW, p.Mass)
		}
	}
	u.Batches, u.NX, u.NY, u.WX, u.WY, u.Mass = 0, nil, nil, nil, nil, nil
	return nil
}

func iota(lo, hi int) []int {
	out := make([]int, hi-lo)
	for i := range out {
		out[i] = lo + i
	}
	return out
}

// sortedParts collects the parts and sorts them by unit id.
func sortedParts(parts func(*Part) bool) []Part {
	var all []Part
	var p Part
	for parts(&p) {
		all = append(all, p)
	}
	sort.Slice(all, func(a, b int) bool { return all[a].ID < all[b].ID })
	return all
}

// MergeFn merges the normal equations of all the units, in unit order.
func MergeFn(_ int, parts func(*Part) bool) ([]byte, error) {
	var total *jkonet.Accumulator
	for _, p := range sortedParts(parts) {
		var acc jkonet.Accumulator
		if err := acc.UnmarshalBinary(p.Acc); err != nil {
			return nil, err
		}
		if total == nil {
			total = &acc
			continue
		}
		if err := total.Merge(&acc); err != nil {
			return nil, err
		}
	}
	if total == nil {
		return nil, fmt.Errorf("jko-beam: no pairs: nothing to fit")
	}
	return total.MarshalBinary()
}

// solveTotal decodes the merged sums and solves them for m.
func solveTotal(m *compile.Model, cfg Config, total []byte) (*jkonet.Result, *jkonet.Accumulator, error) {
	var acc jkonet.Accumulator
	if err := acc.UnmarshalBinary(total); err != nil {
		return nil, nil, err
	}
	// With an entropy's β from the residual noise, its entry is held at 0
	// here; WriteFn estimates it from the sample.
	res, err := acc.SolveDrift(m, cfg.options())
	if err != nil {
		return nil, nil, err
	}
	return res, &acc, nil
}

// ResidualFn is the second pass: the residual of each unit's pairs at the
// solved θ.
type ResidualFn struct {
	Cfg   Config
	mc    model
	theta []float64
	mean  float64
}

// ProcessElement adds up one unit's residual.
func (f *ResidualFn) ProcessElement(u Unit, total []byte) (Part, error) {
	f.mc.cfg = f.Cfg
	m, err := f.mc.at(u.D)
	if err != nil {
		return Part{}, err
	}
	if f.theta == nil {
		res, acc, err := solveTotal(m, f.Cfg, total)
		if err != nil {
			return Part{}, err
		}
		f.theta, f.mean = res.Theta, acc.MeanTarget()
	}
	var r jkonet.Residual
	if err := r.Add(m, u.step(m, jkonet.SchemeFor(f.Cfg.options(), m)), f.theta, f.mean); err != nil {
		return Part{}, err
	}
	return Part{ID: u.ID, D: u.D, RSS: r.RSS, TSS: r.TSS, Wsm: r.W}, nil
}

// WriteFn sums the residuals in unit order, solves once more (the same θ),
// estimates an entropy's β from the sample of pairs (when it comes from
// the residual noise) and writes the fitted spec as jko fit does.
type WriteFn struct {
	Cfg Config
	mc  model
}

// ProcessElement writes the fitted spec.
func (f *WriteFn) ProcessElement(ctx context.Context, _ int, parts func(*Part) bool, total []byte, sample func(*Unit) bool) error {
	f.mc.cfg = f.Cfg
	all := sortedParts(parts)
	var r jkonet.Residual
	for _, p := range all {
		r.Merge(jkonet.Residual{RSS: p.RSS, TSS: p.TSS, W: p.Wsm})
	}
	if len(all) == 0 {
		return fmt.Errorf("jko-beam: no pairs: nothing to fit")
	}
	m, err := f.mc.at(all[0].D)
	if err != nil {
		return err
	}
	res, acc, err := solveTotal(m, f.Cfg, total)
	if err != nil {
		return err
	}
	res.SetResidual(r, m.Dim)
	if o := f.Cfg.options(); jkonet.BetaFromResidual(m, o) {
		prep, err := betaSample(m, sample)
		if err != nil {
			return err
		}
		if err := res.SetBetaFromPairs(m, prep, o); err != nil {
			return fmt.Errorf("jko-beam: the diffusion from the residuals: %w", err)
		}
		log.Info(ctx, res.BetaNote)
	}
	for _, w := range res.Warnings {
		log.Warn(ctx, "jko-beam: "+w)
	}
	header := []string{
		"# fitted by " + f.Cfg.Tool + " with JKOnet* (" + res.Method + ")",
		fmt.Sprintf("# data %s (%s split): %d snapshots, %d-D; eval-at %s, couplings %s, reg %s (relative ridge %.3g), seed %d",
			f.Cfg.Data, f.Cfg.splitName(), len(acc.Tau)+1, m.Dim, res.Scheme.DriftAt(), f.Cfg.Couplings, f.Cfg.Ridge, res.Ridge, f.Cfg.Seed),
	}
	text, err := FormatFitted(m, res, header)
	if err != nil {
		return err
	}
	return writeFile(ctx, f.Cfg.Out, text)
}

// betaSample joins the coupled units into one step per step (units in id
// order, so the steps do not depend on the runner): their pairs, and
// snapshot k as the source (the particles the coupling saw).
func betaSample(m *compile.Model, sample func(*Unit) bool) (*jkonet.Prepared, error) {
	var all []Unit
	var u Unit
	for sample(&u) {
		all = append(all, u)
		u = Unit{}
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("jko-beam: no sample of pairs to estimate the diffusion from")
	}
	sort.Slice(all, func(a, b int) bool { return all[a].ID < all[b].ID })
	d := m.Dim
	prep := &jkonet.Prepared{Dim: d, Scheme: compile.Explicit}
	for lo := 0; lo < len(all); {
		hi := lo + 1
		for hi < len(all) && all[hi].Step == all[lo].Step {
			hi++
		}
		j := all[lo]
		j.X, j.Y, j.PW, j.PI, j.PJ, j.Rho, j.GradRho = nil, nil, nil, nil, nil, nil, nil
		var source []float64
		batched := all[lo].PI != nil
		for _, v := range all[lo:hi] {
			if (v.PI != nil) != batched {
				return nil, fmt.Errorf("jko-beam: step %d's sample mixes mini-batches and pairs", v.Step)
			}
			if batched {
				nx, ny := len(j.X)/d, len(j.Y)/d
				for i := range v.PI {
					j.PI, j.PJ = append(j.PI, v.PI[i]+nx), append(j.PJ, v.PJ[i]+ny)
				}
			}
			j.X, j.Y, j.PW = append(j.X, v.X...), append(j.Y, v.Y...), append(j.PW, v.PW...)
			j.Rho, j.GradRho = append(j.Rho, v.Rho...), append(j.GradRho, v.GradRho...)
			if v.Source != nil {
				source = v.Source
			}
			if v.Cloud != nil {
				j.Cloud, j.NC = v.Cloud, v.NC
			}
		}
		if j.Rho == nil {
			j.GradRho = nil
		}
		if source == nil {
			return nil, fmt.Errorf("jko-beam: step %d's pairs lack their snapshot", j.Step)
		}
		st := j.step(m, compile.Explicit)
		st.Source, st.NS = source, len(source)/d
		prep.Steps = append(prep.Steps, *st)
		lo = hi
	}
	return prep, nil
}

// FormatFitted is the fitted spec's text as jko fit writes it: the step
// the fit describes, the values and standard errors, and a header of the
// given lines (none: one naming the method) followed by the fit's summary.
func FormatFitted(m *compile.Model, res *jkonet.Result, header []string) ([]byte, error) {
	return (&solve.Fitted{Model: m, Theta: res.Theta, Result: res}).Spec(header...)
}

func writeFile(ctx context.Context, path string, data []byte) error {
	if !strings.Contains(path, "://") {
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			return err
		}
		return os.Rename(tmp, path)
	}
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return err
	}
	defer fs.Close()
	w, err := fs.OpenWrite(ctx, path)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
