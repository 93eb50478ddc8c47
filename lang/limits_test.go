package lang

import (
	"fmt"
	"strings"
	"testing"
)

// doubling declares f0(x) = sum(x) and f_i(x) = f_{i-1}(x) + f_{i-1}(x),
// and a potential calling f_levels: 2^levels copies of f0 once inlined.
func doubling(levels int) string {
	var b strings.Builder
	b.WriteString("fn f0(x) = sum(x)\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "fn f%d(x) = f%d(x) + f%d(x)\n", i, i-1, i-1)
	}
	fmt.Fprintf(&b, "potential V(x) = f%d(x)\n", levels)
	return b.String()
}

// Inlining is bounded: 22 doubling functions (4 million copies, 3.5 GB
// before the bound) are refused at the call, while 12 levels (4,096
// copies) check.
func TestInliningBound(t *testing.T) {
	f, err := ParseFile("t.jko", []byte(doubling(22)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Check(f, nil)
	want := fmt.Sprintf("t.jko:24:18: calling f22 here inlines more than %d expressions", maxInlined)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("22 levels: err = %v, want %q", err, want)
	}
	if n := strings.Count(err.Error(), "inlines more"); n != 1 {
		t.Errorf("reported %d times, want once", n)
	}
	f, _ = ParseFile("t.jko", []byte(doubling(12)))
	if _, err := Check(f, nil); err != nil {
		t.Errorf("12 levels: %v", err)
	}
	// The bound also holds for a constant.
	f, _ = ParseFile("t.jko", []byte(strings.Replace(doubling(22), "potential V(x) = f22(x)", "const k = f22([1, 2])\npotential V(x) = k*sum(x)", 1)))
	if _, err := Check(f, nil); err == nil || !strings.Contains(err.Error(), "calling f22 here inlines more") {
		t.Errorf("constant: err = %v", err)
	}
}
