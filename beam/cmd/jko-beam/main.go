// Command jko-beam runs jko's JKOnet* closed-form fit as an Apache Beam
// pipeline, on one machine (the direct and prism runners) or on a cluster
// (Flink, Spark, Dataflow), for snapshots too large for jko fit:
//
//	jko-beam fit SPEC INPUT... -o fitted.jko [--runner direct|prism|flink|dataflow] [flags]
//
//	jko-beam eval FITTED INPUT... [--json] [-o report.json] [--runner …] [--step implicit]
//
// eval computes what jko eval --only-w1 does, the one-step-ahead W1 (each
// snapshot predicted one step with the fitted model and compared with the
// next), one step per element, and prints it as jko eval does.
//
// INPUT is what jko fit reads (a JKOnet*-layout directory, a CSV file
// with a time column, or a cell table: .h5ad or .npz), or many of them: shards whose rows are joined per
// time, in the order given. The fitted spec is written as jko fit writes
// it. Beam's own flags (--runner, --endpoint, --environment_type,
// --project, --region, --staging_location, …) are accepted anywhere on
// the line. See docs/beam.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/dataflow"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/direct"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/flink"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/spark"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/universal"
	"github.com/jko-org/jko/beam/pipeline"
	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/snapshot"
)

// version is the jko-beam release; set with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

// The fit's flags, on the standard flag set next to Beam's own.
var (
	out       = flag.String("o", "", "Where to write the fitted spec, or eval's report as JSON (a local path, or gs://… on Dataflow; eval's default is a local temporary file, printed and removed, for runners whose workers share this machine's disk).")
	reg       = flag.String("reg", jkonet.DefaultOptions().Ridge.String(), "Ridge, relative to each parameter's feature size on the data: auto (chosen from the data's residual variance) or a number ≥ 0 (0: the exact solve), as for jko fit.")
	couplings = flag.String("couplings", jkonet.DefaultOptions().Couplings.String(), "exact (one optimal transport problem per step, on one worker: up to about 20,000 points per snapshot), sinkhorn:EPS, or minibatch:B (exact couplings of random batches of about B points, as jko fit's, spread over the workers).")
	density   = flag.String("density", jkonet.DefaultOptions().Density.String(), "Density estimate for internal energies: gmm:K or kde.")
	evalAt    = flag.String("eval-at", "", "Evaluate the drift at x (explicit step) or y (implicit step); default: y for a spec that declares step implicit, else x.")
	densityAt = flag.String("density-at", "", "Where the internal energy's term is taken: x, y, or follow --eval-at.")
	split     = flag.String("split", "", "Which snapshots of a directory to read: train, test or all (the default: train for fit, test for eval); a CSV file has no split.")
	dt        = flag.Float64("dt", 0, "Time between snapshots, when the data does not say (0: from the data).")
	seed      = flag.Uint64("seed", 0, "Random seed (fit: density estimates; eval: the prediction noise, as jko eval's --seed).")
	step      = flag.String("step", "", "eval: how a prediction advances, explicit or implicit; default: the step the fitted spec declares (explicit if none), as jko eval.")
	jsonOut   = flag.Bool("json", false, "eval: print the report as JSON.")
	chunk     = flag.Int("chunk", 65536, "Rows per element: read chunks and slices of coupled pairs.")
	timeKey   = flag.String("time-key", "", "Cell tables (.h5ad, .npz): the time of each cell, an obs column of an .h5ad file (numeric, or categorical with its categories in order), an array of an .npz file (default there: sample_labels); as jko fit's.")
	obsm      = flag.String("obsm", "", "Cell tables: the coordinates, an obsm key of an .h5ad file such as X_pca (default: X), an array of an .npz file (default: data, X or pcs).")
	levelT    = flag.String("times", "", "Cell tables: the times of the time column's levels, T,T,… (default: the values, or 0, 1, 2, … for categories that are not numbers).")
	dims      = flag.Int("dims", 0, "Cell tables: keep the first N coordinates (0: all).")
	testFrac  = flag.Float64("test-fraction", 0, "Cell tables: split each snapshot at random into train and test cells, this fraction to test (fit reads the train cells, eval the test cells; drawn per input file, so one file's split is jko fit's).")
	splitSeed = flag.Uint64("split-seed", 0, "Seed of --test-fraction's split.")
	_         = flag.Bool("verbose", false, "Log the runner's progress (Beam's info messages).")
)

func init() { flag.StringVar(out, "out", "", "Same as -o.") }

const usage = `usage: jko-beam fit SPEC INPUT... -o FITTED [--runner direct|prism|flink|dataflow] [flags]
       jko-beam eval FITTED INPUT... [-o REPORT.json] [--json] [--runner …] [flags]

fit fits SPEC (whose terms must be affine in their parameters: the JKOnet*
closed form) to the snapshots in INPUT... with an Apache Beam pipeline and
writes the fitted spec as jko fit does. eval computes jko eval's one-step-
ahead W1 of a fitted spec on INPUT... (the test split of a directory), one
step per worker. Flags (Beam's too) go anywhere.
`

func main() {
	// Workers are this binary started with Beam's worker flags: parse
	// them and let beam.Init take over (it does not return then).
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), usage)
		flag.PrintDefaults()
	}
	flag.Parse()
	// Beam logs every stage at info level; keep the runner's warnings and
	// errors unless asked. The level is read by beam.Init, before the fit's
	// flags (which may follow the command) are parsed.
	log.LogLevel = "warn"
	if slices.Contains(os.Args, "-verbose") || slices.Contains(os.Args, "--verbose") {
		log.LogLevel = "info"
	}
	beam.Init()
	if err := run(context.Background(), flag.Args(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "jko-beam:", err)
		os.Exit(1)
	}
}

// parseInterleaved parses flags placed anywhere among the arguments and
// returns the others, in order.
func parseInterleaved(args []string) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		if err := flag.CommandLine.Parse(args); err != nil {
			return nil, err
		}
		args = flag.CommandLine.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	return pos, nil
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	pos, err := parseInterleaved(args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		flag.Usage()
		return errors.New("no command")
	}
	switch pos[0] {
	case "fit":
		return runFit(ctx, pos, stdout)
	case "eval":
		return runEval(ctx, pos, stdout)
	case "version":
		fmt.Fprintln(stdout, "jko-beam", version)
		return nil
	}
	return fmt.Errorf("unknown command %q (want fit, eval or version)", pos[0])
}

// runner is the runner --runner names (direct when none).
func runner() string {
	if r := *runners.Runner; r != "" {
		return r
	}
	return "direct"
}

func runFit(ctx context.Context, pos []string, stdout io.Writer) error {
	if len(pos) < 3 {
		return errors.New("fit needs a spec and at least one input: jko-beam fit SPEC INPUT... -o FITTED")
	}
	if *out == "" {
		return errors.New("fit needs -o FITTED, where to write the fitted spec")
	}
	if err := checkSplit(); err != nil {
		return err
	}
	if *evalAt != "" && *evalAt != "x" && *evalAt != "y" {
		return fmt.Errorf("--eval-at %q: want x or y", *evalAt)
	}
	if *densityAt != "" && *densityAt != "x" && *densityAt != "y" {
		return fmt.Errorf("--density-at %q: want x or y", *densityAt)
	}
	ridge, err := jkonet.ParseRidge(*reg)
	if err != nil {
		return fmt.Errorf("--reg %s: want auto or a number ≥ 0", *reg)
	}
	cp, err := jkonet.ParseCouplings(*couplings)
	if err != nil {
		return fmt.Errorf("--couplings: %w", err)
	}
	dens, err := jkonet.ParseDensity(*density)
	if err != nil {
		return fmt.Errorf("--density: %w", err)
	}
	spec, err := pipeline.LoadSpec(pos[1])
	if err != nil {
		return err
	}
	cells, err := cellsFlags()
	if err != nil {
		return err
	}
	inputs := pos[2:]
	cfg := pipeline.Config{
		Spec: spec, Split: *split, Dt: *dt, Cells: cells, Ridge: ridge, Couplings: cp, Density: dens,
		EvalAt: *evalAt, DensityAt: *densityAt, Seed: *seed, ChunkRows: *chunk, Out: *out,
		Tool: "jko-beam " + version, Data: strings.Join(inputs, " "),
	}
	if err := cfg.Check(); err != nil {
		return err
	}
	local := !strings.Contains(*out, "://")
	var before time.Time
	if local {
		if st, err := os.Stat(*out); err == nil {
			before = st.ModTime()
		}
	}
	p, s := beam.NewPipelineWithRoot()
	pipeline.Fit(s, cfg, inputs)
	runner := runner()
	start := time.Now()
	if _, err := beam.Run(ctx, runner, p); err != nil {
		return err
	}
	if local {
		st, err := os.Stat(*out)
		if err != nil || !st.ModTime().After(before) && !before.IsZero() {
			return fmt.Errorf("the pipeline finished but did not write %s (no pairs to fit?)", *out)
		}
	}
	fmt.Fprintf(stdout, "wrote %s (runner %s, %.3fs)\n", *out, runner, time.Since(start).Seconds())
	return nil
}

// cellsFlags are the cell-table flags as a pipeline.Cells.
func cellsFlags() (pipeline.Cells, error) {
	c := pipeline.Cells{Source: snapshot.Source{TimeKey: *timeKey, Coords: *obsm, Dims: *dims}, TestFraction: *testFrac, SplitSeed: *splitSeed}
	if *levelT != "" {
		for _, f := range strings.Split(*levelT, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return c, fmt.Errorf("--times %s: %q is not a finite number", *levelT, f)
			}
			c.Source.Times = append(c.Source.Times, v)
		}
	}
	return c, nil
}

func checkSplit() error {
	switch *split {
	case "", "train", "test", "all":
		return nil
	}
	return fmt.Errorf("--split %q: want train, test or all", *split)
}

func runEval(ctx context.Context, pos []string, stdout io.Writer) error {
	if len(pos) < 3 {
		return errors.New("eval needs a fitted spec and at least one input: jko-beam eval FITTED INPUT...")
	}
	if err := checkSplit(); err != nil {
		return err
	}
	if *step != "" && *step != "explicit" && *step != "implicit" {
		return fmt.Errorf("--step %q: want explicit or implicit", *step)
	}
	fitted, err := pipeline.LoadSpec(pos[1])
	if err != nil {
		return err
	}
	inputs := pos[2:]
	report := *out
	if report == "" {
		dir, err := os.MkdirTemp("", "jko-beam-eval-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		report = filepath.Join(dir, "report.json")
	}
	cells, err := cellsFlags()
	if err != nil {
		return err
	}
	cfg := pipeline.EvalConfig{
		Fitted: fitted, Split: *split, Dt: *dt, Cells: cells, Step: *step, Seed: *seed, ChunkRows: *chunk, Out: report,
		FittedName: pos[1], Data: strings.Join(inputs, " "),
	}
	if err := cfg.Check(); err != nil {
		return err
	}
	p, s := beam.NewPipelineWithRoot()
	pipeline.Eval(s, cfg, inputs)
	runner := runner()
	start := time.Now()
	if _, err := beam.Run(ctx, runner, p); err != nil {
		return err
	}
	if strings.Contains(report, "://") {
		fmt.Fprintf(stdout, "wrote %s (runner %s, %.3fs)\n", report, runner, time.Since(start).Seconds())
		return nil
	}
	text, err := os.ReadFile(report)
	if err != nil {
		return fmt.Errorf("the pipeline finished but did not write its report: %w", err)
	}
	if *jsonOut {
		_, err := stdout.Write(text)
		return err
	}
	rep, err := pipeline.ReadEvalReport(text)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "data %s (%s split)\n", rep.Data, rep.Split)
	fmt.Fprintf(stdout, "one-step-ahead W1 (%s split, %s step): %.4g ± %.2g\n", rep.Split, rep.Step, rep.OneStep.Mean, rep.OneStep.Std)
	per := make([]string, len(rep.OneStep.PerStep))
	for i, v := range rep.OneStep.PerStep {
		per[i] = fmt.Sprintf("%.4g", v)
	}
	fmt.Fprintf(stdout, "  per step: %s\n", strings.Join(per, " "))
	fmt.Fprintf(stdout, "runner %s, %.3fs\n", runner, time.Since(start).Seconds())
	return nil
}
