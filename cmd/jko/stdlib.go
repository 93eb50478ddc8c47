package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/jko-org/jko/stdlib"
)

type stdlibCmd struct {
	Name string `arg:"" optional:"" help:"Print this spec."`
}

func (c stdlibCmd) Run(g *globals) error {
	if c.Name == "" {
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
		for _, n := range stdlib.Names() {
			fmt.Fprintf(tw, "%s\t%s\n", n, stdlib.Summary(n))
		}
		return tw.Flush()
	}
	src, ok := stdlib.Source(c.Name)
	if !ok {
		return fmt.Errorf("no spec %q in the standard library (jko stdlib lists them)", c.Name)
	}
	_, err := g.stdout.Write(src)
	return err
}
