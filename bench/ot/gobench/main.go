// Command gobench times jko's exact OT solvers for bench/ot/compare.sh.
//
//	gobench assign COST.npy REPEATS          square assignment on a cost matrix
//	gobench emd A.npy B.npy COST.npy REPEATS  network simplex, general marginals
//	gobench clouds X.npy Y.npy REPEATS w2sq|w1 [A.npy B.npy]
//	                                         exact OT between point clouds
//	gobench minibatch X.npy Y.npy B...       bias of mini-batch couplings
//	gobench scale N D                        N×N uniform W2² from seeded points
//
// Each timing line is "name seconds objective cpu-seconds" (the least
// wall and the least CPU time of REPEATS).
package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"codeberg.org/sbinet/npyio"
	"github.com/jko-org/jko/solve/ot"
	"gonum.org/v1/gonum/mat"
)

func load(path string, ptr any) {
	f, err := os.Open(path)
	if err != nil {
		fail(err)
	}
	defer f.Close()
	if err := npyio.Read(f, ptr); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gobench:", err)
	os.Exit(1)
}

func atoi(s string) int {
	v, err := strconv.Atoi(s)
	if err != nil {
		fail(err)
	}
	return v
}

func best(rep int, f func() float64) (time.Duration, float64) {
	bt := time.Duration(1 << 62)
	var obj float64
	bestCPU = 1 << 62
	for r := 0; r < rep; r++ {
		t0, c0 := time.Now(), cpuTime()
		obj = f()
		if d := time.Since(t0); d < bt {
			bt = d
		}
		bestCPU = min(bestCPU, cpuTime()-c0)
	}
	return bt, obj
}

// bestCPU is the least CPU time (user + system, all threads) of the
// repetitions of the last call of best.
var bestCPU time.Duration

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fail(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: gobench assign|emd|scale ARGS"))
	}
	// JKO_CPUPROFILE=FILE writes a CPU profile of the run.
	if path := os.Getenv("JKO_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	switch os.Args[1] {
	case "assign":
		var c mat.Dense
		load(os.Args[2], &c)
		d, obj := best(atoi(os.Args[3]), func() float64 {
			_, tot, err := ot.Assign(&c)
			if err != nil {
				fail(err)
			}
			return tot
		})
		fmt.Printf("assign %.6f %.15g %.6f\n", d.Seconds(), obj, bestCPU.Seconds())
	case "emd":
		var a, b []float64
		var c mat.Dense
		load(os.Args[2], &a)
		load(os.Args[3], &b)
		load(os.Args[4], &c)
		d, obj := best(atoi(os.Args[5]), func() float64 {
			p, err := ot.Solve(a, b, &c)
			if err != nil {
				fail(err)
			}
			return p.Cost
		})
		fmt.Printf("emd %.6f %.15g %.6f\n", d.Seconds(), obj, bestCPU.Seconds())
	case "clouds":
		// gobench clouds X.npy Y.npy REPEATS COST [A.npy B.npy]: exact OT
		// between point clouds (COST w2sq or w1; uniform weights unless
		// given), the solver jko fit and jko distance use.
		var x, y mat.Dense
		var a, b []float64
		load(os.Args[2], &x)
		load(os.Args[3], &y)
		cf := ot.SqEuclidean
		if os.Args[5] == "w1" {
			cf = ot.Euclidean
		}
		if len(os.Args) > 7 {
			load(os.Args[6], &a)
			load(os.Args[7], &b)
		}
		d, obj := best(atoi(os.Args[4]), func() float64 {
			var opt ot.Options
			if os.Getenv("JKO_PROGRESS") != "" {
				opt.Progress = func(p ot.Progress) { fmt.Fprintln(os.Stderr, "gobench:", p) }
			}
			p, err := ot.CoupleWith(&x, &y, a, b, cf, opt)
			if err != nil {
				fail(err)
			}
			return p.Cost
		})
		fmt.Printf("clouds %.6f %.15g %.6f\n", d.Seconds(), obj, bestCPU.Seconds())
	case "minibatch":
		// gobench minibatch X.npy Y.npy B...: the bias of mini-batch
		// couplings (cost of the averaged plan against the exact W2²).
		var x, y mat.Dense
		load(os.Args[2], &x)
		load(os.Args[3], &y)
		exact, err := ot.W2Squared(&x, &y, nil, nil)
		if err != nil {
			fail(err)
		}
		for _, arg := range os.Args[4:] {
			p, err := ot.MiniBatch(&x, &y, nil, nil, ot.SqEuclidean, ot.MiniBatchOptions{Batch: atoi(arg)})
			if err != nil {
				fail(err)
			}
			fmt.Printf("minibatch B=%s cost %.6g exact %.6g bias %+.1f%%\n", arg, p.Cost, exact, 100*(p.Cost/exact-1))
		}
	case "scale":
		n, dim := atoi(os.Args[2]), atoi(os.Args[3])
		r := rand.New(rand.NewPCG(1, uint64(n*1000+dim)))
		x, y := mat.NewDense(n, dim, nil), mat.NewDense(n, dim, nil)
		for _, m := range []*mat.Dense{x, y} {
			raw := m.RawMatrix().Data
			for i := range raw {
				raw[i] = 8*r.Float64() - 4
			}
		}
		t0 := time.Now()
		p, err := ot.CoupleWith(x, y, nil, nil, ot.SqEuclidean, ot.Options{Progress: func(p ot.Progress) {
			fmt.Fprintln(os.Stderr, "gobench:", p)
		}})
		if err != nil {
			fail(err)
		}
		fmt.Printf("scale n=%d d=%d %.3f s W2²=%.15g\n", n, dim, time.Since(t0).Seconds(), p.Cost)
	default:
		fail(fmt.Errorf("unknown mode %q", os.Args[1]))
	}
}
