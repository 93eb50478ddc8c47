package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var b bytes.Buffer
	if err := run(&b, 300); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"without a ridge", "singular", "offset is not identifiable", "rank 3 of 5", "b, b2 are not identifiable", "beta from the residual noise"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
