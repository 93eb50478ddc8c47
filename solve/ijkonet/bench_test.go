package ijkonet

import (
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
)

// BenchmarkWavyPlateauMLP times iJKOnet with its defaults (mlp(x, 64, 64),
// particle maps, 300 epochs of batches of 256) on wavy_plateau's paired
// train split (1,000 of 2,000 particles per snapshot, 5 steps of 0.01), the
// setting of BENCHMARKS.md's comparison; JKO_EPOCHS shortens it for a
// profile.
func BenchmarkWavyPlateauMLP(b *testing.B) {
	spec, err := compile.LoadFile("wavy_plateau")
	if err != nil {
		b.Fatal(err)
	}
	truth, err := spec.Instantiate(2)
	if err != nil {
		b.Fatal(err)
	}
	f, _ := evaluate.NewFlow(truth, truth.InitTheta(0))
	res, err := sim.Run(f, sim.Options{Particles: 2000, Steps: 5, Dt: 0.01,
		Init: sim.Init{Kind: "uniform", Lo: -4, Hi: 4}, Seed: 0})
	if err != nil {
		b.Fatal(err)
	}
	all := &snapshot.Snapshots{Times: res.Times, X: res.X}
	train, _, err := all.Split(0.5, 0)
	if err != nil {
		b.Fatal(err)
	}
	mspec, err := compile.LoadFile("mlp_potential")
	if err != nil {
		b.Fatal(err)
	}
	o := Options{Epochs: benchEpochs()}
	c0 := cpuTime()
	for b.Loop() {
		m, err := mspec.Instantiate(2)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Fit(m, train, o); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchEpochs() int {
	if v := os.Getenv("JKO_EPOCHS"); v != "" {
		n, _ := strconv.Atoi(v)
		return n
	}
	return 0
}
