// Command jko-beam runs jko's JKOnet* closed-form fit as an Apache Beam
// pipeline, on one machine (the direct and prism runners) or on a cluster
// (Flink, Spark, Dataflow), for snapshots too large for jko fit:
//
//	jko-beam fit SPEC INPUT... -o fitted.jko [--runner direct|prism|flink|dataflow] [flags]
//
// INPUT is what jko fit reads (a JKOnet*-layout directory or a CSV file
// with a time column), or many of them: shards whose rows are joined per
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
)

// version is the jko-beam release; set with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

// The fit's flags, on the standard flag set next to Beam's own.
var (
	out       = flag.String("o", "", "Where to write the fitted spec (a local path, or gs://… on Dataflow).")
	reg       = flag.String("reg", "auto", "Ridge, relative to each parameter's feature size on the data: auto (chosen from the data's residual variance) or a number ≥ 0 (0: the exact solve), as for jko fit.")
	couplings = flag.String("couplings", "exact", "exact (one optimal transport problem per step, on one worker: up to about 20,000 points per snapshot), sinkhorn:EPS, or minibatch:B (exact couplings of random batches of about B points, as jko fit's, spread over the workers).")
	density   = flag.String("density", "gmm:10", "Density estimate for internal energies: gmm:K or kde.")
	evalAt    = flag.String("eval-at", "", "Evaluate the drift at x (explicit step) or y (implicit step); default: y for a spec that declares step implicit, else x.")
	densityAt = flag.String("density-at", "", "Where the internal energy's term is taken: x, y, or follow --eval-at.")
	split     = flag.String("split", "", "Which snapshots of a directory to fit: train (the default), test or all; a CSV file has no split.")
	dt        = flag.Float64("dt", 0, "Time between snapshots, when the data does not say (0: from the data).")
	seed      = flag.Uint64("seed", 0, "Random seed (density estimates).")
	chunk     = flag.Int("chunk", 65536, "Rows per element: read chunks and slices of coupled pairs.")
	_         = flag.Bool("verbose", false, "Log the runner's progress (Beam's info messages).")
)

func init() { flag.StringVar(out, "out", "", "Same as -o.") }

const usage = `usage: jko-beam fit SPEC INPUT... -o FITTED [--runner direct|prism|flink|dataflow] [flags]

Fits SPEC (whose terms must be affine in their parameters: the JKOnet*
closed form) to the snapshots in INPUT... with an Apache Beam pipeline and
writes the fitted spec as jko fit does. Flags (Beam's too) go anywhere.
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
	case "version":
		fmt.Fprintln(stdout, "jko-beam", version)
		return nil
	default:
		return fmt.Errorf("unknown command %q (want fit or version)", pos[0])
	}
	if len(pos) < 3 {
		return errors.New("fit needs a spec and at least one input: jko-beam fit SPEC INPUT... -o FITTED")
	}
	if *out == "" {
		return errors.New("fit needs -o FITTED, where to write the fitted spec")
	}
	switch *split {
	case "", "train", "test", "all":
	default:
		return fmt.Errorf("--split %q: want train, test or all", *split)
	}
	if *evalAt != "" && *evalAt != "x" && *evalAt != "y" {
		return fmt.Errorf("--eval-at %q: want x or y", *evalAt)
	}
	if *densityAt != "" && *densityAt != "x" && *densityAt != "y" {
		return fmt.Errorf("--density-at %q: want x or y", *densityAt)
	}
	regAuto, regVal := *reg == "auto", 0.0
	if !regAuto {
		v, err := strconv.ParseFloat(*reg, 64)
		if err != nil || !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("--reg %s: want auto or a number ≥ 0", *reg)
		}
		regVal = v
	}
	spec, err := pipeline.LoadSpec(pos[1])
	if err != nil {
		return err
	}
	inputs := pos[2:]
	cfg := pipeline.Config{
		Spec: spec, Split: *split, Dt: *dt, Reg: regVal, RegAuto: regAuto, Couplings: *couplings, Density: *density,
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
	runner := *runners.Runner
	if runner == "" {
		runner = "direct"
	}
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
