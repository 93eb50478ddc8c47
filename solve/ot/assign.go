package ot

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// Assign solves the square linear assignment problem: it returns the
// column assigned to each row (a permutation) minimising the total cost
// Σ cost[i][rowsol[i]], and that total.
func Assign(cost *mat.Dense) (rowsol []int, total float64, err error) {
	if cost == nil || cost.IsEmpty() {
		return nil, 0, inputErr("empty cost matrix")
	}
	n, m := cost.Dims()
	if n != m {
		return nil, 0, inputErr("assignment needs a square cost matrix, got %d×%d", n, m)
	}
	c, err := costOf(cost, n, n)
	if err != nil {
		return nil, 0, err
	}
	c, e := unitCosts(c)
	rowsol, total = assignRaw(c, n)
	if total = math.Ldexp(total, e); math.IsInf(total, 0) {
		return nil, 0, inputErr("the optimal cost overflows float64")
	}
	return rowsol, total, nil
}

// arrBudget bounds the row scans of one augmenting-row-reduction pass to
// arrBudget·n.
var arrBudget = 1

// auctionMin is the size from which the auction warm start is used;
// auctionFactor is the ε reduction per stage, auctionEnd the final ε
// relative to the cost spread.
var (
	auctionMin    = 64
	auctionFactor = 4.0
	auctionEnd    = 1e-4
	auctionStart  = 0.05
)

// auction runs ε-scaling auction stages on prices v and returns every row
// as free (with x, y reset) so that the exact phases establish tightness.
func auction(c []float64, n int, v []float64, x, y, free []int) []int {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, cij := range c {
		lo = math.Min(lo, cij)
		hi = math.Max(hi, cij)
	}
	spread := hi - lo
	if spread <= 0 {
		return free
	}
	queue := make([]int, 0, 2*n)
	for eps := auctionStart * spread; ; eps /= auctionFactor {
		if eps < auctionEnd*spread {
			break
		}
		for i := range x {
			x[i], y[i] = -1, -1
		}
		queue = queue[:0]
		for i := 0; i < n; i++ {
			queue = append(queue, i)
		}
		for h := 0; h < len(queue); h++ {
			i := queue[h]
			row := c[i*n : (i+1)*n]
			w1, w2 := math.Inf(1), math.Inf(1)
			j1 := 0
			for j, cij := range row {
				hh := cij - v[j]
				if hh < w2 {
					if hh < w1 {
						w2, w1, j1 = w1, hh, j
					} else {
						w2 = hh
					}
				}
			}
			v[j1] -= w2 - w1 + eps
			if i0 := y[j1]; i0 >= 0 {
				x[i0] = -1
				queue = append(queue, i0)
			}
			x[i], y[j1] = j1, i
			if h > n && h*2 > len(queue) {
				queue = append(queue[:0], queue[h+1:]...)
				h = -1
			}
		}
	}
	for i := range x {
		x[i], y[i] = -1, -1
	}
	free = free[:0]
	for i := 0; i < n; i++ {
		free = append(free, i)
	}
	return free
}

// assignRaw is the Jonker–Volgenant algorithm on a validated, finite,
// row-major n×n cost slice.
func assignRaw(c []float64, n int) ([]int, float64) {
	if n == 1 {
		return []int{0}, c[0]
	}
	x := make([]int, n) // column of each row, -1 when free
	y := make([]int, n) // row of each column, -1 when free
	v := make([]float64, n)
	for i := range x {
		x[i], y[i] = -1, -1
	}

	// Column reduction, computed row-major: v[j] = min_i c[i][j].
	imin := make([]int, n)
	for j := range v {
		v[j] = math.Inf(1)
	}
	for i := 0; i < n; i++ {
		row := c[i*n : (i+1)*n]
		for j, cij := range row {
			if cij < v[j] {
				v[j], imin[j] = cij, i
			}
		}
	}
	matches := make([]int, n)
	for j := n - 1; j >= 0; j-- {
		i := imin[j]
		matches[i]++
		if matches[i] == 1 {
			x[i], y[j] = j, i
		} else if v[j] < v[x[i]] {
			j1 := x[i]
			x[i], y[j], y[j1] = j, i, -1
		}
	}

	// Reduction transfer from rows assigned once; collect free rows.
	free := make([]int, 0, n)
	for i := 0; i < n; i++ {
		switch matches[i] {
		case 0:
			free = append(free, i)
		case 1:
			j1 := x[i]
			row := c[i*n : (i+1)*n]
			mn := math.Inf(1)
			for j, cij := range row {
				if j != j1 {
					if h := cij - v[j]; h < mn {
						mn = h
					}
				}
			}
			if !math.IsInf(mn, 1) {
				v[j1] -= mn
			}
		}
	}

	// ε-scaling auction: near-optimal column prices, cheaply. Each stage
	// starts with every row free; a bid lowers the winner's v by the gap
	// to the second-best column plus ε (so no stage can price-war).
	if n >= auctionMin {
		free = auction(c, n, v, x, y, free)
	}

	// Augmenting row reduction: two auction-like passes over free rows.
	// Geometric costs can start a long price war (each re-scan lowers a
	// price by a tiny amount), so the row scans per pass are capped; the
	// rows still free then go to the shortest-path phase.
	for pass := 0; pass < 2 && len(free) > 0; pass++ {
		prev := free
		free = make([]int, 0, len(prev))
		k := 0
		budget := arrBudget * n
		for k < len(prev) {
			i := prev[k]
			k++
			if budget--; budget < 0 {
				free = append(free, i)
				continue
			}
			row := c[i*n : (i+1)*n]
			umin, usub := math.Inf(1), math.Inf(1)
			j1, j2 := 0, -1
			for j, cij := range row {
				h := cij - v[j]
				if h < usub {
					if h >= umin {
						usub, j2 = h, j
					} else {
						usub, j2 = umin, j1
						umin, j1 = h, j
					}
				}
			}
			i0 := y[j1]
			if umin < usub {
				v[j1] -= usub - umin
			} else if i0 >= 0 && j2 >= 0 {
				j1 = j2
				i0 = y[j2]
			}
			if i0 >= 0 {
				x[i0] = -1
			}
			x[i], y[j1] = j1, i
			if i0 >= 0 {
				if umin < usub {
					k--
					prev[k] = i0
				} else {
					free = append(free, i0)
				}
			}
		}
	}

	// Shortest augmenting paths (Dijkstra) for the remaining free rows.
	d := make([]float64, n)
	pred := make([]int, n)
	cols := make([]int, n)
	for _, f := range free {
		row := c[f*n : (f+1)*n]
		for j := 0; j < n; j++ {
			d[j] = row[j] - v[j]
			pred[j] = f
			cols[j] = j
		}
		low, up, last := 0, 0, 0
		mn := 0.0
		end := -1
		for end < 0 {
			if up == low {
				last = low
				mn = d[cols[up]]
				up++
				for k := up; k < n; k++ {
					j := cols[k]
					h := d[j]
					if h <= mn {
						if h < mn {
							up = low
							mn = h
						}
						cols[k], cols[up] = cols[up], j
						up++
					}
				}
				for k := low; k < up; k++ {
					if y[cols[k]] < 0 {
						end = cols[k]
						break
					}
				}
				if end >= 0 {
					break
				}
			}
			j1 := cols[low]
			low++
			i := y[j1]
			ri := c[i*n : (i+1)*n]
			h := ri[j1] - v[j1] - mn
			for k := up; k < n; k++ {
				j := cols[k]
				v2 := ri[j] - v[j] - h
				if v2 < d[j] {
					pred[j] = i
					if v2 == mn {
						if y[j] < 0 {
							end = j
							break
						}
						cols[k], cols[up] = cols[up], j
						up++
					}
					d[j] = v2
				}
			}
		}
		for k := 0; k < last; k++ {
			j := cols[k]
			v[j] += d[j] - mn
		}
		for j := end; ; {
			i := pred[j]
			y[j] = i
			j, x[i] = x[i], j
			if i == f {
				break
			}
		}
	}
	total := 0.0
	for i, j := range x {
		total += c[i*n+j]
	}
	return x, total
}
