package main

import (
	"bytes"
	"math"
	"regexp"
	"strconv"
	"testing"
)

func TestRun(t *testing.T) {
	var b bytes.Buffer
	if err := run(&b, 200); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]float64{"a": 1, "b": 0.5, "c": -3} {
		m := regexp.MustCompile(`param ` + name + ` = (\S+)`).FindStringSubmatch(b.String())
		if m == nil {
			t.Fatalf("no value for %s in\n%s", name, b.String())
		}
		if v, _ := strconv.ParseFloat(m[1], 64); math.Abs(v-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, v, want)
		}
	}
}
