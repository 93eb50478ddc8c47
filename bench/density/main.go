// Command density is the Go side of the GMM benchmark against
// scikit-learn (see compare.sh).
//
//	density -gen DIR            write DIR/points_1000.npy, DIR/points_20000.npy
//	density -fit FILE [-seeds S] [-reps R]
//
// -fit fits a 10-component full-covariance Gaussian mixture (scikit-learn
// defaults) once per seed 0..S−1, each fit timed R times (median kept),
// and prints one line per seed: "seed <s> time_s <t> iters <i> meanll <ll>".
package main

import (
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"codeberg.org/sbinet/npyio"
	"github.com/jko-org/jko/solve/density"
	"gonum.org/v1/gonum/mat"
)

func main() {
	gen := flag.String("gen", "", "write benchmark data to this directory")
	fit := flag.String("fit", "", "fit a GMM to this .npy file")
	seeds := flag.Int("seeds", 5, "number of seeds")
	reps := flag.Int("reps", 3, "timed repetitions per seed")
	k := flag.Int("k", 10, "components")
	flag.Parse()
	switch {
	case *gen != "":
		for _, n := range []int{1000, 20000} {
			if err := write(filepath.Join(*gen, fmt.Sprintf("points_%d.npy", n)), sample(n, 2026)); err != nil {
				log.Fatal(err)
			}
		}
	case *fit != "":
		f, err := os.Open(*fit)
		if err != nil {
			log.Fatal(err)
		}
		var x mat.Dense
		if err := npyio.Read(f, &x); err != nil {
			log.Fatal(err)
		}
		f.Close()
		for s := 0; s < *seeds; s++ {
			var times []float64
			var g *density.GMM
			for r := 0; r < *reps; r++ {
				t0 := time.Now()
				g, err = density.FitGMM(&x, density.GMMOptions{Components: *k, Seed: uint64(s)})
				if err != nil {
					log.Fatal(err)
				}
				times = append(times, time.Since(t0).Seconds())
			}
			slices.Sort(times)
			ll, err := g.MeanLogLikelihood(&x)
			if err != nil {
				log.Fatal(err)
			}
			fmt.Printf("seed %d time_s %.6f iters %d meanll %.6f\n", s, times[len(times)/2], g.Iter, ll)
		}
	default:
		flag.Usage()
		os.Exit(2)
	}
}

// sample draws n 2-D points from a population that is not a Gaussian
// mixture: a noisy ring, two elongated blobs and a uniform background.
func sample(n int, seed uint64) *mat.Dense {
	rng := rand.New(rand.NewPCG(seed, 0))
	x := mat.NewDense(n, 2, nil)
	for i := 0; i < n; i++ {
		var a, b float64
		switch u := rng.Float64(); {
		case u < 0.4:
			th := 2 * math.Pi * rng.Float64()
			r := 2.5 + 0.2*rng.NormFloat64()
			a, b = r*math.Cos(th), r*math.Sin(th)
		case u < 0.65:
			z0, z1 := rng.NormFloat64(), rng.NormFloat64()
			a, b = 0.6*z0+0.3*z1, 0.3*z1
		case u < 0.9:
			z0, z1 := rng.NormFloat64(), rng.NormFloat64()
			a, b = 3+0.2*z0, -3+0.8*z1
		default:
			a, b = 8*rng.Float64()-4, 8*rng.Float64()-4
		}
		x.Set(i, 0, a)
		x.Set(i, 1, b)
	}
	return x
}

func write(path string, x *mat.Dense) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := npyio.Write(f, x); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
