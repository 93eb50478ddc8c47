package main

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/jko-org/jko/solve/bench"
)

type benchCmd struct {
	Suite    string `help:"Which experiments: potential (paper 4.1), interaction (4.3), scaling (4.2) or all." enum:"potential,interaction,scaling,all" default:"potential"`
	Quick    bool   `help:"A small subset at small sizes (seconds)."`
	Seed     uint64 `help:"Random seed." default:"0"`
	Out      string `help:"Also write the table as markdown to this file."`
	JSON     bool   `help:"Print JSON rows instead of the table."`
	Unpaired bool   `help:"Unpaired snapshots: each from its own simulation started at t = 0."`
}

func (c benchCmd) Run(g *globals) error {
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
		rows = append(rows, bench.RunWith(cs, c.Seed, c.Unpaired))
	}
	bar.finish()
	if c.JSON {
		type jrow struct {
			Suite, Name, Model string
			Dim, N             int
			EMD, EMDStd        *float64
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
			out = append(out, jrow{r.Suite, r.Name, r.ModelName, r.Dim, r.N, num(r.EMD), num(r.EMDStd), num(r.Beta), r.Times, r.Err})
		}
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	md := bench.Markdown(rows)
	fmt.Fprint(g.stdout, md)
	fmt.Fprintf(g.stdout, "\n%d problems in %.1fs\n", len(rows), time.Since(start).Seconds())
	if c.Out != "" {
		return writeAtomic(c.Out, []byte(md))
	}
	return nil
}
