package density

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/mathext"
)

// EntropyKL returns the Kozachenko–Leonenko estimate of the differential
// entropy (in nats) of the distribution the rows of x are drawn from:
//
//	H ≈ ψ(n) − ψ(k) + log V_d + (d/n) Σ_i log ε_i
//
// with ε_i the Euclidean distance from x_i to its k-th nearest neighbour
// among the other points and V_d = π^{d/2}/Γ(1 + d/2) the volume of the
// unit ball. k = 0 selects k = 1. Neighbours are found with a kd-tree
// (O(n log n) in low dimension), queries in parallel over fixed chunks.
// Duplicate points (ε_i = 0) are an error: the estimate is −∞.
func EntropyKL(x *mat.Dense, k int) (float64, error) {
	if k == 0 {
		k = 1
	}
	if k < 0 {
		return 0, fmt.Errorf("density: k = %d, need ≥ 1", k)
	}
	n, d, err := checkData(x, k+1)
	if err != nil {
		return 0, err
	}
	t := newKDTree(x)
	logEps := make([]float64, n)
	bad := make([]int, numChunks(n))
	forChunks(n, func(c, lo, hi int) {
		bad[c] = -1
		best := make([]float64, k)
		for i := lo; i < hi; i++ {
			r2 := t.kth(i, best)
			if r2 == 0 && bad[c] < 0 {
				bad[c] = i
			}
			logEps[i] = 0.5 * math.Log(r2)
		}
	})
	for _, b := range bad {
		if b >= 0 {
			return 0, fmt.Errorf("density: point %d has %d neighbour(s) at distance 0 (duplicate points); the Kozachenko–Leonenko entropy is −∞: remove duplicates, add jitter or increase k", b, k)
		}
	}
	s := 0.0
	for _, v := range logEps {
		s += v
	}
	fd := float64(d)
	lgam, _ := math.Lgamma(1 + fd/2)
	logV := fd/2*math.Log(math.Pi) - lgam
	return mathext.Digamma(float64(n)) - mathext.Digamma(float64(k)) + logV + fd*s/float64(n), nil
}

// kdTree is a static kd-tree over the rows of a matrix for k-nearest
// neighbour queries of its own points.
type kdTree struct {
	x     *mat.Dense
	idx   []int
	nodes []kdNode
}

type kdNode struct {
	lo, hi      int // points idx[lo:hi]
	dim         int
	split       float64
	left, right int // child nodes; −1 for a leaf
}

const kdLeaf = 12

func newKDTree(x *mat.Dense) *kdTree {
	n, _ := x.Dims()
	t := &kdTree{x: x, idx: make([]int, n)}
	for i := range t.idx {
		t.idx[i] = i
	}
	t.build(0, n)
	return t
}

func (t *kdTree) build(lo, hi int) int {
	id := len(t.nodes)
	t.nodes = append(t.nodes, kdNode{lo: lo, hi: hi, left: -1, right: -1})
	if hi-lo <= kdLeaf {
		return id
	}
	_, d := t.x.Dims()
	dim, spread := 0, -1.0
	for j := 0; j < d; j++ {
		mn, mx := math.Inf(1), math.Inf(-1)
		for _, p := range t.idx[lo:hi] {
			v := t.x.At(p, j)
			mn, mx = math.Min(mn, v), math.Max(mx, v)
		}
		if mx-mn > spread {
			dim, spread = j, mx-mn
		}
	}
	if spread == 0 {
		return id // all points equal: keep as a leaf
	}
	slices.SortFunc(t.idx[lo:hi], func(a, b int) int {
		if c := cmp.Compare(t.x.At(a, dim), t.x.At(b, dim)); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	mid := (lo + hi) / 2
	split := t.x.At(t.idx[mid], dim)
	l := t.build(lo, mid)
	r := t.build(mid, hi)
	t.nodes[id].dim, t.nodes[id].split, t.nodes[id].left, t.nodes[id].right = dim, split, l, r
	return id
}

// kth returns the squared distance from point i to its k-th nearest other
// point, k = len(best); best is scratch.
func (t *kdTree) kth(i int, best []float64) float64 {
	for j := range best {
		best[j] = math.Inf(1)
	}
	q := t.x.RawRowView(i)
	t.search(0, i, q, best)
	return best[len(best)-1]
}

func (t *kdTree) search(node, self int, q []float64, best []float64) {
	nd := &t.nodes[node]
	if nd.left < 0 {
		k := len(best)
		for _, p := range t.idx[nd.lo:nd.hi] {
			if p == self {
				continue
			}
			d2 := sqDist(q, t.x.RawRowView(p))
			if d2 < best[k-1] { // insert into the sorted list
				j := k - 1
				for j > 0 && best[j-1] > d2 {
					best[j] = best[j-1]
					j--
				}
				best[j] = d2
			}
		}
		return
	}
	diff := q[nd.dim] - nd.split
	first, second := nd.left, nd.right
	if diff >= 0 {
		first, second = nd.right, nd.left
	}
	t.search(first, self, q, best)
	if diff*diff < best[len(best)-1] {
		t.search(second, self, q, best)
	}
}
