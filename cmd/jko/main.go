// Command jko learns how populations move from snapshots. The model is a
// small text file of energy terms (see docs/language.md); jko checks and
// formats it, simulates it, fits it to data with JKOnet* or iJKOnet, and
// writes the fitted model back as the same language.
//
// Run "jko --help" for the commands and "jko COMMAND --help" for each.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/internal/bench"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/ijkonet"
	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/plot"
	"github.com/jko-org/jko/solve/sim"
	"golang.org/x/term"
)

// version is the jko release; set with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

type cli struct {
	Quiet      bool     `help:"No progress bars." short:"q"`
	CPUProfile string   `name:"cpuprofile" help:"Write a CPU profile of the command to FILE (go tool pprof reads it)." placeholder:"FILE" type:"path"`
	Coords     []string `help:"CSV data: the coordinate columns, in order (default: every column but t/time, weight and a particle-id column named id or *_id; a note on stderr lists what was read when a column was ignored or does not look like a coordinate)." placeholder:"COL"`

	Demo     demoCmd     `cmd:"" help:"Simulate a known population, fit it, report the recovered formula and the EMD (no files needed)."`
	Check    checkCmd    `cmd:"" help:"Check a spec: terms, symbolic gradients, linearity, parameters; --at evaluates at a point."`
	Simulate simulateCmd `cmd:"" help:"Simulate a spec's dynamics (Euler–Maruyama) and write snapshots."`
	Fit      fitCmd      `cmd:"" help:"Learn a spec's parameters from snapshots (JKOnet*: closed form, L-BFGS or Adam; or iJKOnet with --method ijkonet) and write the fitted spec."`
	Eval     evalCmd     `cmd:"" help:"Measure a fitted spec on snapshots: one-step-ahead and all-steps-ahead W1."`
	Predict  predictCmd  `cmd:"" help:"Roll a fitted spec forward from an observed snapshot."`
	Fmt      fmtCmd      `cmd:"" help:"Print a spec in canonical form (-w rewrites the file)."`
	Stdlib   stdlibCmd   `cmd:"" help:"List the standard library of specs, or print one."`
	Bench    benchCmd    `cmd:"" help:"Regenerate the JKOnet* paper's synthetic experiments (simulate, fit, evaluate) as a table."`
	Distance distanceCmd `cmd:"" help:"Exact optimal-transport distance between two point clouds."`
	Plot     plotCmd     `cmd:"" help:"Draw a fitted spec against the truth: potential, drift, interaction kernel, internal energy (β), snapshots with predictions, loss (PNG, SVG or PDF)."`
	Version  versionCmd  `cmd:"" help:"Print the jko version."`
}

type versionCmd struct{}

func (versionCmd) Run(g *globals) error {
	fmt.Fprintf(g.stdout, "jko %s\n", version)
	return nil
}

// globals carries what every command needs.
type globals struct {
	stdout, stderr io.Writer
	// tty reports whether stderr is a terminal (progress bars only then).
	tty   bool
	quiet bool
}

// exitError carries an exit status with an already printed message.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	catchInterrupts()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line and returns the exit status: 0 on
// success, 1 when the command failed, 2 for a usage error.
func run(args []string, stdout, stderr io.Writer) (status int) {
	var c cli
	exited := false
	parser, err := newParser(&c, stdout, stderr, func(code int) { exited, status = true, code; panic(exitPanic{}) })
	if err != nil {
		fmt.Fprintln(stderr, "jko:", err)
		return 2
	}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(exitPanic); !ok || !exited {
				panic(r)
			}
		}
	}()
	switch {
	case len(args) == 0:
		args = []string{"--help"} // bare jko prints the usage
	case args[0] == "help":
		args = append(args[1:], "--help") // jko help [COMMAND]
	}
	ctx, err := parser.Parse(joinNegative(args))
	if err != nil {
		fmt.Fprintln(stderr, "jko:", err)
		return 2
	}
	tty := forceTTY
	if f, ok := stderr.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	if c.CPUProfile != "" {
		stop, err := startCPUProfile(c.CPUProfile)
		if err != nil {
			fmt.Fprintln(stderr, "jko:", err)
			return 1
		}
		defer stop()
	}
	g := &globals{stdout: stdout, stderr: stderr, tty: tty, quiet: c.Quiet}
	csvFlags = csvSettings{coords: c.Coords, notes: stderr}
	defer func() { csvFlags = csvSettings{} }()
	if err := ctx.Run(g); err != nil {
		var e exitError
		if errors.As(err, &e) {
			return e.code
		}
		fmt.Fprintln(stderr, "jko:", err)
		return 1
	}
	return 0
}

// startCPUProfile starts writing a CPU profile to path and returns the
// function that ends it.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// joinNegative joins a long flag and a value that starts with a minus
// sign and a digit ("--at -1,2", "--init gaussian…" is untouched) into
// "--at=-1,2", which kong would otherwise read as a short flag.
func joinNegative(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "--") && len(a) > 2 && !strings.Contains(a, "=") && i+1 < len(args) && negativeNumber(args[i+1]) {
			out = append(out, a+"="+args[i+1])
			i++
			continue
		}
		out = append(out, a)
	}
	return out
}

func negativeNumber(s string) bool {
	return len(s) > 1 && s[0] == '-' && (s[1] >= '0' && s[1] <= '9' || s[1] == '.')
}

// forceTTY makes run draw progress bars on any stderr (for tests).
var forceTTY bool

// newParser builds the command-line parser of c; exit is called after
// --help or a usage error.
func newParser(c *cli, stdout, stderr io.Writer, exit func(int)) (*kong.Kong, error) {
	return kong.New(c,
		kong.Name("jko"),
		kong.Description("Learn the energy that moves a population from snapshots (JKOnet*, iJKOnet)."),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Writers(stdout, stderr),
		kong.Vars{"step_help": stepHelp, "dt_help": dtHelp, "weights_help": weightsHelp},
		libraryDefaults(),
		kong.Exit(exit),
	)
}

// libraryDefaults are the defaults of the flags that set library options,
// read from the libraries (${NAME_default} in a flag's default tag), so
// that the command and the library cannot drift apart.
func libraryDefaults() kong.Vars {
	jk := jkonet.DefaultOptions()
	// iJKOnet's defaults that do not depend on the spec: those of a spec
	// without terms.
	ij := ijkonet.Options{}.WithDefaults(&compile.Model{})
	widths := make([]string, len(ij.Widths))
	for i, w := range ij.Widths {
		widths[i] = strconv.Itoa(w)
	}
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return kong.Vars{
		"method_default":         jk.Method.String(),
		"reg_default":            jk.Ridge.String(),
		"couplings_default":      jk.Couplings.String(),
		"density_default":        jk.Density.String(),
		"epochs_default":         strconv.Itoa(jk.Epochs),
		"batch_default":          strconv.Itoa(jk.BatchSize),
		"lr_default":             g(jk.LR),
		"clip_default":           g(jk.Clip),
		"max_iter_default":       strconv.Itoa(jk.MaxIter),
		"ij_map_lr_default":      g(ij.MapLR),
		"ij_widths_default":      strings.Join(widths, ","),
		"grid_default":           strconv.Itoa(plot.DefaultGrid),
		"arrows_default":         strconv.Itoa(plot.DefaultArrows),
		"eb_seeds_default":       strconv.Itoa(bench.DefaultSeeds),
		"substeps_default":       strconv.Itoa(sim.DefaultSubsteps),
		"held_out_steps_default": strconv.Itoa(evaluate.DefaultHeldOutSteps),
	}
}

// exitPanic unwinds kong's exit (after --help) back to run.
type exitPanic struct{}
