package main

import (
	"bytes"
	"math"
	"regexp"
	"strconv"
	"testing"
)

// A small run: iJKOnet lands near the truth and closer to it than the
// closed form does on these unpaired snapshots.
func TestRun(t *testing.T) {
	var b bytes.Buffer
	if err := run(&b, 300, 120); err != nil {
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
	if math.Abs(ij-1) > 0.25 || math.Abs(ij-1) >= math.Abs(jk-1) {
		t.Errorf("iJKOnet a = %v, JKOnet* a = %v (truth 1)", ij, jk)
	}
}
