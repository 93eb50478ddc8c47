package main

import (
	"bytes"
	"math"
	"regexp"
	"strconv"
	"testing"
)

// The example's run: iJKOnet lands near the truth and closer to it than
// the closed form does on these unpaired snapshots. (With 300 particles
// both are further off: a = 1.31 and 2.0.)
func TestRun(t *testing.T) {
	var b bytes.Buffer
	if err := run(&b, 1000, 0); err != nil {
		t.Fatal(err)
	}
	get := func(re string) float64 {
		m := regexp.MustCompile(re).FindStringSubmatch(b.String())
		if m == nil {
			t.Fatalf("no %s in output:\n%s", re, b.String())
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	ij, jk := get(`iJKOnet: +a = (\S+)`), get(`JKOnet\* \(linear\): a = (\S+)`)
	if math.Abs(ij-1) > 0.1 || math.Abs(ij-1) >= math.Abs(jk-1) {
		t.Errorf("iJKOnet a = %v, JKOnet* a = %v (truth 1)", ij, jk)
	}
}
