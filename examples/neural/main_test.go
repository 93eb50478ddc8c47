package main

import (
	"bytes"
	"strings"
	"testing"
)

// A tiny run: it must train and evaluate, not reach the paper's accuracy.
func TestRun(t *testing.T) {
	var b bytes.Buffer
	if err := run(&b, 200, 3); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "one-step-ahead EMD: neural") {
		t.Errorf("output: %s", b.String())
	}
}
