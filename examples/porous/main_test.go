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
	for _, want := range []string{"a     = 1.000", "kappa = 2.000"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}
