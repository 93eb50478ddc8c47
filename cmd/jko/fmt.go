package main

import (
	"bytes"
	"fmt"
	"os"
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
		src, err := os.ReadFile(name)
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
				if err := writeAtomic(name, out); err != nil {
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

// writeAtomic replaces the file at name with data: it writes a temporary
// file in the same directory and renames it over the original, so an
// interrupted write never leaves a half-written file.
func writeAtomic(name string, data []byte) error {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(name); err == nil {
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
