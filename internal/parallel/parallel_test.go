package parallel

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
)

// Every unit runs exactly once, for any core count and n (0, 1, fewer
// and more than the cores), and ForErr reports the lowest failing index.
func TestEveryUnitOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 7} {
		runtime.GOMAXPROCS(procs)
		for _, n := range []int{0, 1, 3, 100, 1001} {
			count := make([]atomic.Int32, n)
			For(n, func(i int) { count[i].Add(1) })
			chunks := make([]atomic.Int32, n)
			Chunks(n, 16, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					chunks[i].Add(1)
				}
			})
			for i := range n {
				if c, d := count[i].Load(), chunks[i].Load(); c != 1 || d != 1 {
					t.Fatalf("procs %d, n %d: unit %d ran %d times (For), %d (Chunks)", procs, n, i, c, d)
				}
			}
			err := ForErr(n, func(i int) error {
				if i%3 == 2 {
					return fmt.Errorf("unit %d", i)
				}
				return nil
			})
			if n >= 3 && (err == nil || err.Error() != "unit 2") {
				t.Errorf("procs %d, n %d: ForErr = %v, want unit 2", procs, n, err)
			}
			if n < 3 && err != nil {
				t.Errorf("procs %d, n %d: ForErr = %v, want nil", procs, n, err)
			}
		}
	}
	if err := ForErr(1, func(int) error { return errors.ErrUnsupported }); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("ForErr wraps nothing: got %v", err)
	}
}
