package linear

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// BenchmarkFactorSolve compares the two ways into a solve on the same
// rows: the QR of the rows (what FitLinear uses) and the normal equations
// (the streaming path), each followed by AutoRidge and Solve. cpu-ms/op
// is the process's CPU time per solve (steadier than wall time on a
// loaded machine).
func BenchmarkFactorSolve(b *testing.B) {
	for _, sz := range []struct{ rows, p int }{{10000, 3}, {20000, 124}, {100000, 124}} {
		a, y, w := randomRows(3, sz.rows, sz.p)
		for _, path := range []string{"qr", "normal"} {
			b.Run(fmt.Sprintf("%s/rows=%d/P=%d", path, sz.rows, sz.p), func(b *testing.B) {
				c0 := cpuTime()
				for b.Loop() {
					var f *Factored
					var err error
					// Rows arrive in blocks of 4,000, as FitLinear's steps
					// do (one call with every row makes the rank-k update
					// stream 20 MB per column, slower than in a fit).
					q, n := NewQR(sz.p), NewNormal(sz.p)
					for lo := 0; lo < sz.rows; lo += 4000 {
						hi := min(lo+4000, sz.rows)
						if path == "qr" {
							q.AddRows(a[lo*sz.p:hi*sz.p], y[lo:hi], w[lo:hi])
						} else {
							n.AddRows(a[lo*sz.p:hi*sz.p], y[lo:hi], w[lo:hi])
						}
					}
					if path == "qr" {
						f, err = q.Factor()
					} else {
						f, err = n.Factor()
					}
					if err != nil {
						b.Fatal(err)
					}
					if _, err := f.Solve(Settings{Ridge: f.AutoRidge(1)}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64((cpuTime()-c0).Microseconds())/1e3/float64(b.N), "cpu-ms/op")
			})
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
