package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
)

func TestMain(m *testing.M) {
	flag.Parse()
	beam.Init()
	os.Exit(m.Run())
}

// Flags go anywhere; the fitted spec is written and named.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data.csv")
	var csv strings.Builder
	csv.WriteString("t,x1,x2\n")
	for k, shift := range []float64{0, 0.1, 0.2} {
		for i := 0; i < 30; i++ {
			x := float64(i%6) - 2.5
			y := float64(i/6) - 2.5
			csv.WriteString(strings.Join([]string{ftoa(float64(k) * 0.01), ftoa(x*(1+shift) + 0.01*float64(i%3)), ftoa(y * (1 + shift))}, ",") + "\n")
		}
	}
	if err := os.WriteFile(data, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "spec.jko")
	if err := os.WriteFile(spec, []byte("param a\npotential V(x) = a*sum(x^2)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "fitted.jko")
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"fit", "--reg", "0", spec, "-o", out, data, "--runner", "direct"}, &stdout); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// The clouds grow by 10 % a step, so V = a‖x‖² with a < 0.
	if !strings.Contains(string(text), "param a = -") || !strings.Contains(stdout.String(), "wrote "+out) {
		t.Errorf("stdout %q, fitted spec:\n%s", stdout.String(), text)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no command"},
		{[]string{"fot"}, "unknown command"},
		{[]string{"fit", spec}, "at least one input"},
		{[]string{"fit", filepath.Join(dir, "nope.jko"), data, "-o", out}, "nope.jko"},
		{[]string{"fit", spec, data, "-o", out, "--couplings", "minibatch:x"}, "minibatch:B"},
		{[]string{"fit", spec, data, "-o", out, "--couplings", "exact", "--eval-at", "z"}, "--eval-at"},
	} {
		*evalAt = ""
		err := run(context.Background(), tc.args, &stdout)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want one saying %q", tc.args, err, tc.want)
		}
	}
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
