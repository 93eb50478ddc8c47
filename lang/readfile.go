package lang

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// MaxSpecSize bounds the size of a spec file (16 MiB): a spec is a page of
// text, and reading /dev/zero or a link to it must not exhaust memory.
const MaxSpecSize = 16 << 20

// ReadSpecFile reads a spec file of at most MaxSpecSize bytes, without a
// leading UTF-8 byte-order mark (which editors on some systems write).
func ReadSpecFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSpecSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxSpecSize {
		return nil, fmt.Errorf("%s: larger than %d MiB, too large for a spec file", name, MaxSpecSize>>20)
	}
	return StripBOM(b), nil
}

// StripBOM removes a leading UTF-8 byte-order mark.
func StripBOM(src []byte) []byte { return bytes.TrimPrefix(src, []byte("\ufeff")) }
