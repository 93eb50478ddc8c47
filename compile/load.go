package compile

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"github.com/jko-org/jko/lang"
	"github.com/jko-org/jko/stdlib"
)

// Spec is a parsed and checked spec, not yet instantiated at a dimension.
type Spec struct {
	File  *lang.File
	Model *lang.Model
	// Sources holds the text of the spec and of every file it imports,
	// by file name, for error messages with source lines.
	Sources map[string][]byte
}

// recorder is an Importer that remembers the text of what it imports.
type recorder struct {
	inner   lang.Importer
	sources map[string][]byte
}

func (r recorder) Import(p string) (string, []byte, error) {
	name, src, err := r.inner.Import(p)
	if err == nil {
		r.sources[name] = src
	}
	return name, src, err
}

// fsImporter resolves imports inside a file system (for embedded specs).
type fsImporter struct {
	fsys fs.FS
	dir  string
}

func (f fsImporter) Import(p string) (string, []byte, error) {
	if strings.HasSuffix(p, ".jko") {
		name := path.Join(f.dir, p)
		b, err := fs.ReadFile(f.fsys, name)
		return name, b, err
	}
	return lang.StdImporter("").Import(p)
}

// Error is a failed Load: the errors with the sources they point into.
// Its Error method renders every error with its source line and a caret.
type Error struct {
	List    lang.ErrorList
	Sources map[string][]byte
}

func (e *Error) Error() string { return strings.TrimRight(e.List.Format(e.Sources), "\n") }

// Unwrap returns the error list.
func (e *Error) Unwrap() error { return e.List }

// Load parses and checks a spec. Imports of standard-library names are
// resolved through package stdlib, and paths ending in .jko through imp
// (nil: relative to the directory of filename on the local file system).
func Load(filename string, src []byte, imp lang.Importer) (*Spec, error) {
	if imp == nil {
		imp = lang.StdImporter(filepath.Dir(filename))
	}
	src = lang.StripBOM(src)
	sources := map[string][]byte{filename: src}
	f, err := lang.ParseFile(filename, src)
	if err != nil {
		return nil, wrap(err, sources)
	}
	m, err := lang.Check(f, recorder{imp, sources})
	if err != nil {
		return nil, wrap(err, sources)
	}
	return &Spec{File: f, Model: m, Sources: sources}, nil
}

func wrap(err error, sources map[string][]byte) error {
	var list lang.ErrorList
	if errors.As(err, &list) {
		return &Error{List: list, Sources: sources}
	}
	return err
}

// LoadFile reads, parses and checks the spec file at path. A name without
// a .jko suffix that is not a file is looked up in the standard library.
func LoadFile(p string) (*Spec, error) {
	src, err := lang.ReadSpecFile(p)
	if err != nil {
		if src, ok := stdlib.Source(p); ok && !strings.ContainsAny(p, `/\.`) {
			return Load("stdlib/"+p+".jko", src, nil)
		}
		return nil, fmt.Errorf("reading spec: %w", err)
	}
	return Load(p, src, nil)
}

// LoadString parses and checks a spec given as text; name labels it in
// error messages.
func LoadString(name, src string) (*Spec, error) {
	return Load(name, []byte(src), lang.StdImporter("."))
}

// LoadFS parses and checks the spec called name in fsys (for example an
// embed.FS); its .jko imports are resolved in fsys too.
func LoadFS(fsys fs.FS, name string) (*Spec, error) {
	src, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("reading spec: %w", err)
	}
	return Load(name, src, fsImporter{fsys, path.Dir(name)})
}
