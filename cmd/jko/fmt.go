package main

import (
	"bytes"
	"fmt"
	"path/filepath"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/lang"
)

type fmtCmd struct {
	Files []string `arg:"" name:"file" help:"Spec files to format." type:"existingfile"`
	Write bool     `short:"w" help:"Rewrite the files in place (atomically) instead of printing."`
	List  bool     `short:"l" help:"List the files whose formatting differs, and exit 1 if any."`
}

func (c fmtCmd) Run(g *globals) error {
	differ := false
	for _, name := range c.Files {
		src, err := lang.ReadSpecFile(name)
		if err != nil {
			return err
		}
		f, err := lang.ParseFile(name, src)
		if err != nil {
			return &compile.Error{List: err.(lang.ErrorList), Sources: map[string][]byte{name: src}}
		}
		out := lang.Format(f)
		same := bytes.Equal(out, src)
		switch {
		case c.List:
			if !same {
				fmt.Fprintln(g.stdout, name)
				differ = true
			}
		case c.Write:
			if !same {
				// Rewrite the file a link points to, not the link.
				target, err := filepath.EvalSymlinks(name)
				if err != nil {
					return err
				}
				if err := writeOutput(g, "-w", target, out); err != nil {
					return err
				}
			}
		default:
			g.stdout.Write(out)
		}
	}
	if differ {
		return exitError{1}
	}
	return nil
}
