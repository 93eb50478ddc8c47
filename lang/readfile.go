package lang

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// ReadSpecFile reads a spec file of at most MaxFileSize bytes, without a
// leading UTF-8 byte-order mark (which editors on some systems write):
// reading /dev/zero or a link to it must not exhaust memory.
func ReadSpecFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("%s: larger than %d MiB, too large for a spec file", name, MaxFileSize>>20)
	}
	return StripBOM(b), nil
}

// StripBOM removes a leading UTF-8 byte-order mark.
func StripBOM(src []byte) []byte { return bytes.TrimPrefix(src, []byte("\ufeff")) }
