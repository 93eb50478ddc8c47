package main

import (
	"bytes"
	"regexp"
	"strconv"
	"testing"
)

// The example on the first 600 cells of each snapshot: the time-varying
// potential predicts the test cells better than the static one, and the
// left-out snapshots are predicted to within the published iJKOnet_V
// errors (1.08, 1.15) give or take the smaller sample.
func TestRun(t *testing.T) {
	var b bytes.Buffer
	if err := run(&b, "data", 600); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	get := func(re string) float64 {
		t.Helper()
		m := regexp.MustCompile(re).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no %s in output:\n%s", re, out)
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	static, timed := get(`static quadratic: (\S+)`), get(`time-varying quadratic: (\S+)`)
	if !(timed < static) {
		t.Errorf("one-step W1: time-varying %v, static %v: want the time-varying one better\n%s", timed, static, out)
	}
	for _, k := range []string{"1", "3"} {
		if w2 := get(`left out t` + k + `, predicted from t\d: W2 (\S+)`); !(w2 > 0.3 && w2 < 1.3) {
			t.Errorf("leave-out W2 at t%s = %v\n%s", k, w2, out)
		}
	}
}
