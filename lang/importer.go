package lang

// This file holds the importer, the one part of the front end that
// reads files and the standard library; the checker only calls the
// Importer it is given.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jko-org/jko/stdlib"
)

// Importer finds the source of an imported spec.
type Importer interface {
	// Import returns the file name (used in positions and to recognize a
	// file imported twice) and the contents of the spec at path.
	Import(path string) (filename string, src []byte, err error)
}

type stdImporter struct{ dir string }

// StdImporter resolves a bare name ("halves") to the standard library
// (package stdlib; the file name is "stdlib/NAME.jko") and a path ending in
// ".jko" to a file relative to dir.
func StdImporter(dir string) Importer { return stdImporter{dir} }

// ErrNotFound is returned (wrapped) by StdImporter for an unknown name.
var ErrNotFound = errors.New("not found")

func (s stdImporter) Import(path string) (string, []byte, error) {
	if strings.HasSuffix(path, ".jko") {
		name := path
		if !filepath.IsAbs(name) {
			name = filepath.Join(s.dir, path)
		}
		b, err := ReadSpecFile(name)
		return name, b, err
	}
	b, ok := stdlib.Source(path)
	if !ok {
		return "", nil, fmt.Errorf("%w: no spec %q in the standard library", ErrNotFound, path)
	}
	return "stdlib/" + path + ".jko", b, nil
}

// importFailure words an Importer's error for the checker: the reason
// without the path the message already names, and a hint (a close
// standard-library name).
func importFailure(path string, err error) (hint string, why error) {
	if errors.Is(err, ErrNotFound) {
		if s := closest(path, stdlib.Names()); s != "" {
			hint = fmt.Sprintf("did you mean %q?", s)
		} else {
			hint = "`jko stdlib` lists the standard library"
		}
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return hint, pe.Err
	}
	return hint, err
}
