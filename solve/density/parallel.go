package density

import (
	"runtime"
	"sync"
)

// chunkRows is the fixed chunk size for parallel loops over points. Work
// is split by this size, never by the number of cores, and per-chunk
// partial results are combined in chunk order, so results are bitwise
// independent of GOMAXPROCS.
const chunkRows = 1024

// forChunks calls fn(c, lo, hi) for the chunks [lo, hi) of [0, n) of size
// chunkRows, c = lo/chunkRows, on up to GOMAXPROCS goroutines.
func forChunks(n int, fn func(c, lo, hi int)) {
	nc := (n + chunkRows - 1) / chunkRows
	workers := min(runtime.GOMAXPROCS(0), nc)
	if workers <= 1 {
		for c := 0; c < nc; c++ {
			fn(c, c*chunkRows, min(n, (c+1)*chunkRows))
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int, nc)
	for c := 0; c < nc; c++ {
		next <- c
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				fn(c, c*chunkRows, min(n, (c+1)*chunkRows))
			}
		}()
	}
	wg.Wait()
}

func numChunks(n int) int { return (n + chunkRows - 1) / chunkRows }
