package jkonet

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/jko-org/jko/compile"
)

// BenchmarkLossGradMLP5D times one Adam step's loss and gradient: 256 pairs
// through mlp(x, 64, 64) in 5-D (the EB-5D setting).
func BenchmarkLossGradMLP5D(b *testing.B) {
	spec, err := compile.LoadString("b.jko", "potential V(x) = mlp(x, 64, 64)\n")
	if err != nil {
		b.Fatal(err)
	}
	m, err := spec.Instantiate(5)
	if err != nil {
		b.Fatal(err)
	}
	const n, d = 2048, 5
	r := rand.New(rand.NewPCG(1, 2))
	st := Transition{Tau: 1, N: n, P: make([]float64, n*d), Delta: make([]float64, n*d), W: make([]float64, n)}
	st.X, st.Y = st.P, st.P
	for i := range st.P {
		st.P[i] = r.NormFloat64()
		st.Delta[i] = 0.1 * r.NormFloat64()
	}
	for i := range st.W {
		st.W[i] = 1.0 / n
	}
	prep := &Prepared{Dim: d, Steps: []Transition{st}}
	theta := m.InitTheta(0)
	grad := make([]float64, len(theta))
	idx := [][]int{make([]int, 256)}
	for i := range idx[0] {
		idx[0][i] = i
	}
	c0 := cpuTime()
	for b.Loop() {
		lossGrad(m, prep, theta, grad, idx)
	}
	b.ReportMetric(float64((cpuTime()-c0).Microseconds())/1e3/float64(b.N), "cpu-ms/op")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
