package main

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/jko-org/jko/internal/bench"
	"github.com/jko-org/jko/solve/ijkonet"
)

type benchCmd struct {
	Suite    string   `help:"Which experiments: potential (paper 4.1), interaction (4.3), scaling (4.2), all three, or compare (iJKOnet against JKOnet* on paired and unpaired snapshots, mlp_potential on wavy_plateau and styblinski_tang, one table), or eb (the embryoid-body tables of both papers on real data: one-step W1 on test cells and leave-two-out W2, beside the published numbers)." enum:"potential,interaction,scaling,all,compare,eb" default:"potential"`
	Method   string   `help:"auto (JKOnet*: the closed form when linear, else Adam, as jko fit --method auto; jkonet is an older name for it) or ijkonet (iJKOnet with its defaults)." enum:"auto,jkonet,ijkonet" default:"auto"`
	IJEpochs int      `name:"ij-epochs" placeholder:"N" help:"iJKOnet: epochs (0: the default of jko fit; 30 with --quick)."`
	Quick    bool     `help:"A small subset at small sizes (seconds)."`
	Seed     uint64   `help:"Random seed." default:"0"`
	Out      string   `short:"o" placeholder:"FILE.md" help:"Also write the table as markdown to this file."`
	JSON     bool     `help:"Print JSON rows instead of the table."`
	Unpaired bool     `help:"Unpaired snapshots: each from its own simulation started at t = 0."`
	EBData   string   `name:"eb-data" placeholder:"DIR" help:"--suite eb: the embryoid-body data (a JKOnet*-layout directory; the repository vendors it)." default:"examples/eb/data"`
	Seeds    int      `placeholder:"N" help:"--suite eb: seeds (splits and initialisations) per model (default ${eb_seeds_default})." default:"${eb_seeds_default}"`
	EBModels []string `name:"eb-models" placeholder:"KIND,…" help:"--suite eb: which models: closed-form (the polynomial closed forms), mlp (JKOnet* with Adam), ijkonet. --quick: closed-form." default:"closed-form,mlp,ijkonet"`
	Validate bool     `help:"--suite eb: score the candidate models on a validation split of the training cells instead (how the suite's models were chosen)."`
}

func (c benchCmd) Run(g *globals) error {
	if c.Out != "" {
		if err := checkOutput("--out", c.Out); err != nil {
			return err
		}
	}
	ij := ijkonet.Options{Epochs: c.IJEpochs}
	if c.Quick && ij.Epochs == 0 {
		ij.Epochs = 30
	}
	if c.Suite == "compare" {
		return c.compare(g, ij)
	}
	if c.Suite == "eb" {
		return c.eb(g)
	}
	var cases []bench.Case
	if c.Suite == "potential" || c.Suite == "all" {
		cases = append(cases, bench.PotentialSuite(c.Quick)...)
	}
	if c.Suite == "interaction" || c.Suite == "all" {
		cases = append(cases, bench.InteractionSuite(c.Quick)...)
	}
	if c.Suite == "scaling" || c.Suite == "all" {
		cases = append(cases, bench.ScalingSuite(c.Quick)...)
	}
	bar := newProgress(g, len(cases), "bench")
	start := time.Now()
	var rows []bench.Row
	for i, cs := range cases {
		bar.set(i, cs.Name+" / "+cs.ModelName)
		rows = append(rows, bench.RunOpts(cs, c.Seed, bench.Options{Unpaired: c.Unpaired, IJKOnet: c.Method == "ijkonet", IJ: ij}))
	}
	bar.finish()
	if c.JSON {
		return writeBenchJSON(g, rows)
	}
	md := bench.Markdown(rows)
	fmt.Fprint(g.stdout, md)
	fmt.Fprintf(g.stdout, "\n%d problems in %.1fs\n", len(rows), time.Since(start).Seconds())
	if c.Out != "" {
		return writeOutput(g, "--out", c.Out, []byte(md))
	}
	return nil
}

// compare runs the iJKOnet–JKOnet* comparison and prints one table.
func (c benchCmd) compare(g *globals, ij ijkonet.Options) error {
	cases := bench.ComparisonSuite(c.Quick)
	bar := newProgress(g, 6*len(cases), "compare")
	start := time.Now()
	var rows []bench.Row
	done := 0
	for _, cs := range cases {
		rows = append(rows, bench.RunComparison(cs, c.Seed, ij, func(what string) {
			bar.set(done, what)
			done++
		})...)
	}
	bar.finish()
	if c.JSON {
		return writeBenchJSON(g, rows)
	}
	md := "Training on paired or unpaired snapshots; every fit measured on the same held-out paired trajectories, with the step it was fitted for.\n\n" + bench.ComparisonMarkdown(rows)
	fmt.Fprint(g.stdout, md)
	fmt.Fprintf(g.stdout, "\n%d fits in %.1fs\n", len(rows), time.Since(start).Seconds())
	if c.Out != "" {
		return writeOutput(g, "--out", c.Out, []byte(md))
	}
	return nil
}

// writeBenchJSON prints rows as JSON (NaN as null).
func writeBenchJSON(g *globals, rows []bench.Row) error {
	type jrow struct {
		Suite, Name, Model string
		Method, Data       string
		Dim, N             int
		Step               string
		EMD, EMDStd        *float64
		OtherStepEMD       *float64 `json:",omitempty"`
		OtherStepEMDStd    *float64 `json:",omitempty"`
		OtherStepError     string   `json:",omitempty"`
		Beta               *float64
		Seconds            map[string]float64
		Error              string `json:",omitempty"`
	}
	num := func(v float64) *float64 {
		if math.IsNaN(v) {
			return nil
		}
		return &v
	}
	var out []jrow
	for _, r := range rows {
		out = append(out, jrow{r.Suite, r.Name, r.ModelName, r.Method, r.Data, r.Dim, r.N, r.Step, num(r.EMD), num(r.EMDStd), num(r.Other), num(r.OtherStd), r.OtherErr, num(r.Beta), r.Times, r.Err})
	}
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
