// Package parallel runs independent units of work on the machine's cores
// (up to GOMAXPROCS goroutines). Each unit writes only its own outputs, so
// results do not depend on the number of cores.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Claim starts up to GOMAXPROCS goroutines (none when one suffices), each
// running body with a function that claims the next of the units 0..n−1
// (a result ≥ n means none is left). A goroutine keeps its own scratch
// across the units it claims.
func Claim(n int, body func(next func() int)) {
	nw := min(runtime.GOMAXPROCS(0), n)
	if nw <= 1 {
		u := 0
		body(func() int { u++; return u - 1 })
		return
	}
	var next atomic.Int64
	claim := func() int { return int(next.Add(1)) - 1 }
	var wg sync.WaitGroup
	for range nw {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body(claim)
		}()
	}
	wg.Wait()
}

// For runs f(0), …, f(n−1) on up to GOMAXPROCS goroutines.
func For(n int, f func(i int)) {
	Claim(n, func(next func() int) {
		for i := next(); i < n; i = next() {
			f(i)
		}
	})
}

// ForErr runs f(0), …, f(n−1) on up to GOMAXPROCS goroutines and returns
// the error of the lowest i that failed (every f runs).
func ForErr(n int, f func(i int) error) error {
	errs := make([]error, n)
	For(n, func(i int) { errs[i] = f(i) })
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Chunks runs f over [0, n) split into contiguous chunks of at least
// minChunk indices, at most one per core; f(0, n) runs on the calling
// goroutine when one chunk suffices.
func Chunks(n, minChunk int, f func(lo, hi int)) {
	p := runtime.GOMAXPROCS(0)
	if p < 2 || n < 2*minChunk {
		f(0, n)
		return
	}
	p = min(p, n/minChunk)
	var wg sync.WaitGroup
	for k := range p {
		lo, hi := k*n/p, (k+1)*n/p
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}
