package jkonet

import (
	"os"
	"testing"
	"time"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/snapshot"
)

// BenchmarkEB5D fits mlp(x, 64, 64) with JKOnet* Adam (the defaults: 200
// epochs, batches of 256 pairs, learning rate 1e-3) on the embryoid-body
// data in 5-D, split 60/40 per snapshot as in the JKOnet* protocol, and
// reports the training time, the one-step EMD on the test cells and the
// rate of the network's matrix products. The data is not in the
// repository: set JKO_EB to a JKOnet*-layout directory (data.npy,
// sample_labels.npy), for example
//
//	JKO_EB=/work/shared/data/eb_pca5 go test -run XXX -bench EB5D -benchtime 1x ./solve/jkonet/
func BenchmarkEB5D(b *testing.B) {
	dir := os.Getenv("JKO_EB")
	if dir == "" {
		b.Skip("JKO_EB is not set")
	}
	all, err := snapshot.ReadDir(dir, "", 1)
	if err != nil {
		b.Fatal(err)
	}
	train, test, err := all.Split(0.4, 0)
	if err != nil {
		b.Fatal(err)
	}
	spec, err := compile.LoadString("eb.jko", "potential V(x) = mlp(x, 64, 64)\n")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		m, err := spec.Instantiate(5)
		if err != nil {
			b.Fatal(err)
		}
		o := DefaultOptions()
		o.Method = MethodAdam
		prep, err := Prepare(m, train, o, compile.Explicit)
		if err != nil {
			b.Fatal(err)
		}
		pairs := 0
		for _, st := range prep.Steps {
			pairs += st.N
		}
		c0, t0 := cpuTime(), time.Now()
		res, err := FitAdam(m, prep, o)
		if err != nil {
			b.Fatal(err)
		}
		wall, cpu := time.Since(t0), cpuTime()-c0
		f, err := evaluate.NewFlow(m, res.Theta)
		if err != nil {
			b.Fatal(err)
		}
		rep, err := evaluate.OneStep(f, test, 0, compile.Explicit)
		if err != nil {
			b.Fatal(err)
		}
		// Multiply–adds of the network's matrix products per pair and
		// step in the one-pass loss (PotentialLSQ): W1, W2 forward, W2ᵀ,
		// W1ᵀ back for ∇V, W1, W2, W2ᵀ through its tangent, and the
		// weight gradients as two outer products per block.
		const macs = 3*64*5 + 4*64*64 + 2*64*64 + 2*64*5
		flops := 2 * float64(macs) * float64(pairs) * float64(o.Epochs)
		b.ReportMetric(wall.Seconds(), "adam-s")
		b.ReportMetric(cpu.Seconds(), "adam-cpu-s")
		b.ReportMetric(flops/wall.Seconds()/1e9, "GFLOP/s")
		b.ReportMetric(rep.Mean, "EMD")
		b.ReportMetric(float64(pairs), "pairs")
	}
}
