package density

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// sqDist returns ‖a − b‖².
func sqDist(a, b []float64) float64 {
	s := 0.0
	for j, v := range a {
		t := v - b[j]
		s += t * t
	}
	return s
}

// kmeansPP picks k initial centres by greedy k-means++: each new centre is
// the best (lowest potential) of 2+⌊ln k⌋ candidates drawn with
// probability proportional to the squared distance to the nearest centre.
// It fails when the data have fewer than k distinct points.
func kmeansPP(x *mat.Dense, k int, rng *rand.Rand) (*mat.Dense, error) {
	n, d := x.Dims()
	centers := mat.NewDense(k, d, nil)
	trials := 2 + int(math.Log(float64(k)))
	first := rng.IntN(n)
	centers.SetRow(0, x.RawRowView(first))
	data, stride := rows(x)
	closest := make([]float64, n)
	cum := make([]float64, n)
	pot := 0.0
	for i := 0; i < n; i++ {
		closest[i] = sqDist(data[i*stride:i*stride+d], x.RawRowView(first))
		pot += closest[i]
	}
	cand := make([]float64, n)
	best := make([]float64, n)
	for c := 1; c < k; c++ {
		if !(pot > 0) {
			if c == 1 {
				return nil, fmt.Errorf("density: every point of the data is the same, fewer distinct points than %d components", k)
			}
			return nil, fmt.Errorf("density: the data have only %d distinct points, fewer than %d components", c, k)
		}
		s := 0.0
		for i, v := range closest {
			s += v
			cum[i] = s
		}
		bestPot, bestID := math.Inf(1), -1
		for t := 0; t < trials; t++ {
			r := rng.Float64() * s
			id := sort.SearchFloat64s(cum, r)
			if id >= n {
				id = n - 1
			}
			for closest[id] == 0 && id < n-1 { // never pick an existing centre
				id++
			}
			p := 0.0
			row := x.RawRowView(id)
			if d == 2 {
				c0, c1 := row[0], row[1]
				for i, ci := range closest {
					t0, t1 := data[i*stride]-c0, data[i*stride+1]-c1
					if dd := t0*t0 + t1*t1; dd < ci {
						ci = dd
					}
					cand[i] = ci
					p += ci
				}
			} else {
				for i, ci := range closest {
					if dd := sqDist(data[i*stride:i*stride+d], row); dd < ci {
						ci = dd
					}
					cand[i] = ci
					p += ci
				}
			}
			if p < bestPot {
				bestPot, bestID = p, id
				copy(best, cand)
			}
		}
		centers.SetRow(c, x.RawRowView(bestID))
		copy(closest, best)
		pot = bestPot
	}
	return centers, nil
}

// kmeans runs k-means++ seeding and Lloyd iterations and returns the label
// of every point. Lloyd stops when the labels no longer change, or the
// total squared centre shift is at most tolRel × the mean per-feature
// variance, or after maxIter iterations; labels are then recomputed for
// the final centres. Empty clusters are moved to the point farthest from
// its centre.
func kmeans(x *mat.Dense, k int, rng *rand.Rand, maxIter int, tolRel float64) ([]int, error) {
	n, d := x.Dims()
	centers, err := kmeansPP(x, k, rng)
	if err != nil {
		return nil, err
	}
	// tolerance relative to the mean variance of the features
	meanVar := 0.0
	for j := 0; j < d; j++ {
		m := 0.0
		for i := 0; i < n; i++ {
			m += x.At(i, j)
		}
		m /= float64(n)
		v := 0.0
		for i := 0; i < n; i++ {
			t := x.At(i, j) - m
			v += t * t
		}
		meanVar += v / float64(n)
	}
	tol := tolRel * meanVar / float64(d)

	data, stride := rows(x)
	labels := make([]int, n)
	dist := make([]float64, n)
	nc := numChunks(n)
	sums := make([][]float64, nc)
	counts := make([][]int, nc)
	changed := make([]bool, nc)
	assign := func(first bool) {
		forChunks(n, func(c, lo, hi int) {
			if sums[c] == nil {
				sums[c] = make([]float64, k*d)
				counts[c] = make([]int, k)
			}
			sc, cc := sums[c], counts[c]
			clear(sc)
			clear(cc)
			ch := false
			cen := centers.RawMatrix().Data[:k*d]
			for i := lo; i < hi; i++ {
				row := data[i*stride : i*stride+d]
				bl, bd := 0, math.Inf(1)
				if d == 2 {
					x0, x1 := row[0], row[1]
					for l := 0; l < k; l++ {
						t0, t1 := x0-cen[2*l], x1-cen[2*l+1]
						if dd := t0*t0 + t1*t1; dd < bd {
							bl, bd = l, dd
						}
					}
				} else {
					for l := 0; l < k; l++ {
						if dd := sqDist(row, cen[l*d:(l+1)*d]); dd < bd {
							bl, bd = l, dd
						}
					}
				}
				if first || labels[i] != bl {
					ch = true
				}
				labels[i], dist[i] = bl, bd
				cc[bl]++
				for j, v := range row {
					sc[bl*d+j] += v
				}
			}
			changed[c] = ch
		})
	}
	next := mat.NewDense(k, d, nil)
	for it := 0; it < maxIter; it++ {
		assign(it == 0)
		anyChange := false
		for _, ch := range changed {
			anyChange = anyChange || ch
		}
		if !anyChange {
			return labels, nil // strict convergence: labels match centres
		}
		total := make([]float64, k*d)
		cnt := make([]int, k)
		for c := 0; c < nc; c++ { // ordered reduction
			for i, v := range sums[c] {
				total[i] += v
			}
			for l, v := range counts[c] {
				cnt[l] += v
			}
		}
		for l := 0; l < k; l++ {
			if cnt[l] == 0 {
				// relocate an empty cluster to the farthest point
				far := 0
				for i := 1; i < n; i++ {
					if dist[i] > dist[far] {
						far = i
					}
				}
				dist[far] = 0
				next.SetRow(l, x.RawRowView(far))
				continue
			}
			for j := 0; j < d; j++ {
				next.Set(l, j, total[l*d+j]/float64(cnt[l]))
			}
		}
		shift := 0.0
		for l := 0; l < k; l++ {
			shift += sqDist(next.RawRowView(l), centers.RawRowView(l))
		}
		centers, next = next, centers
		if shift <= tol {
			break
		}
	}
	assign(false)
	return labels, nil
}
