// Package stdlib holds the standard library of jko specs: the fifteen
// benchmark energies of the JKOnet* paper, the paper's linear feature
// libraries and a plain neural potential. The specs are embedded in the
// binary; a spec imports one by name (import "styblinski_tang").
package stdlib

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.jko
var files embed.FS

// Names returns the names of the standard-library specs, sorted.
func Names() []string {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		panic(err) // the embedded directory always exists
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".jko"); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// Source returns the text of the spec called name and whether it exists.
func Source(name string) ([]byte, bool) {
	b, err := files.ReadFile(name + ".jko")
	if err != nil {
		return nil, false
	}
	return b, true
}

// Summary returns the first comment line of the spec called name, without
// the leading "# name: " (empty if there is none).
func Summary(name string) string {
	src, ok := Source(name)
	if !ok {
		return ""
	}
	line, _, _ := strings.Cut(string(src), "\n")
	line = strings.TrimPrefix(line, "#")
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, name+":")
	return strings.TrimSpace(line)
}
