package eval

// Sums at a grid of shifts: ∇H(x − c_m) for every centre c_m of a tensor
// grid (the centres of bumps(z, grid(…), s) in the interaction's
// features). On the lattice in 2-D, At interpolates each target from the
// p×p lattice values around it, with p-point Lagrange weights per axis
// computed from the target's coordinates. The targets x − c_m share their
// coordinates axis by axis (n₀ distinct first coordinates and n₁ second
// ones for n₀·n₁ centres), so the weights are computed once per distinct
// coordinate (n₀ + n₁ stencils per point instead of 2·n₀·n₁), and only
// the gradient's two fields are interpolated (At's value field is not
// asked for). Each target's sums are At's operations in At's order, so
// the result is At's bit for bit (TestGridGradMatchesAt).

// TensorShifts are M shifts c_m on a tensor grid: coordinate k of c_m is
// Vals[k][Index[m·d+k]].
type TensorShifts struct {
	Vals  [][]float64
	Index []int
	M     int
}

// NewTensorShifts returns the centres c (m×d, row-major) as a tensor
// grid, or nil when they are not one: when some pair of distinct
// coordinate values does not occur exactly once.
func NewTensorShifts(c []float64, m, d int) *TensorShifts {
	if m == 0 || d == 0 {
		return nil
	}
	ts := &TensorShifts{Vals: make([][]float64, d), Index: make([]int, m*d), M: m}
	size := 1
	for k := range d {
		at := map[float64]int{}
		for i := range m {
			v := c[i*d+k]
			j, ok := at[v]
			if !ok {
				j = len(ts.Vals[k])
				at[v] = j
				ts.Vals[k] = append(ts.Vals[k], v)
			}
			ts.Index[i*d+k] = j
		}
		size *= len(ts.Vals[k])
		if size > m {
			return nil
		}
	}
	if size != m {
		return nil
	}
	seen := make([]bool, m)
	for i := range m {
		flat := 0
		for k := range d {
			flat = flat*len(ts.Vals[k]) + ts.Index[i*d+k]
		}
		if seen[flat] {
			return nil
		}
		seen[flat] = true
	}
	return ts
}

// GridBuf holds the buffers of GradMinusShifts (one per goroutine).
type GridBuf struct {
	t, w []float64
	base []int
	out  []bool
}

// GradMinusShifts writes ∇H(x − c_m) for the shifts c_m of ts into grad
// (M×d, m by m), for the point x (d entries): the same values, bit for
// bit, as At on the M targets x − c_m. buf may be reused between calls
// (not by several goroutines at once).
func (gs *GaussSum) GradMinusShifts(x []float64, ts *TensorShifts, grad []float64, buf *GridBuf) {
	d := gs.d
	M := ts.M
	if gs.lat == nil || gs.none || gs.tlo != nil || d != 2 {
		buf.t = growBuf(buf.t, M*d)
		for m := range M {
			for k := range d {
				buf.t[m*d+k] = x[k] - ts.Vals[k][ts.Index[m*d+k]]
			}
		}
		gs.At(buf.t, M, nil, grad[:M*d])
		return
	}
	gs.lat.gridGradRows2(x, 1, ts, grad, buf)
}

// GradMinusShiftsRows is GradMinusShifts for the n points x (n×d): grad
// (n×M×d) holds point i's sums at grad[i·M·d:], the same values, bit for
// bit. On the lattice in 2-D the points' sums are taken shift by shift:
// points close to each other read the same lattice values for each shift,
// which then stay in cache (the lattice of a wide cloud is larger than a
// core's cache, and a point's M shifts are spread over all of it), so
// callers should pass points in an order that keeps neighbours together.
func (gs *GaussSum) GradMinusShiftsRows(x []float64, n int, ts *TensorShifts, grad []float64, buf *GridBuf) {
	d, M := gs.d, ts.M
	if gs.lat == nil || gs.none || gs.tlo != nil || d != 2 {
		for i := range n {
			gs.GradMinusShifts(x[i*d:(i+1)*d], ts, grad[i*M*d:(i+1)*M*d], buf)
		}
		return
	}
	gs.lat.gridGradRows2(x, n, ts, grad, buf)
}

// growBuf returns b resized to n entries (contents undefined).
func growBuf(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}

// gridGradRows2 is GradMinusShiftsRows on the lattice in 2-D.
func (L *gaussLattice) gridGradRows2(x []float64, n int, ts *TensorShifts, grad []float64, buf *GridBuf) {
	p := L.p
	n0, n1 := len(ts.Vals[0]), len(ts.Vals[1])
	M := ts.M
	// Per point and distinct coordinate on each axis: out of the
	// lattice's reach, the stencil's first index and its weights (At's,
	// from the same subtraction).
	nv := n0 + n1
	if cap(buf.base) < n*nv {
		buf.base = make([]int, n*nv)
		buf.out = make([]bool, n*nv)
	}
	base, out := buf.base[:n*nv], buf.out[:n*nv]
	buf.w = growBuf(buf.w, n*nv*p)
	lw := buf.w
	for i := range n {
		for k, vals := range ts.Vals[:2] {
			off := i * nv
			if k == 1 {
				off += n0
			}
			for a, c := range vals {
				t := x[i*2+k] - c
				o := t < L.lo[k]+float64(p)*L.h || t > L.lo[k]+float64(L.n[k]-1-p)*L.h
				out[off+a] = o
				if !o {
					base[off+a] = L.stencil(k, t, lw[(off+a)*p:(off+a+1)*p])
				}
			}
		}
	}
	st := L.stride[0] * 3
	for m := range M {
		a, b := ts.Index[m*2], ts.Index[m*2+1]
		for i := range n {
			ia, ib := i*nv+a, i*nv+n0+b
			g := grad[(i*M+m)*2 : (i*M+m)*2+2]
			if out[ia] || out[ib] {
				g[0], g[1] = 0, 0
				continue
			}
			wa, wb := lw[ia*p:(ia+1)*p], lw[ib*p:(ib+1)*p]
			// Two lattice rows at a time: four independent sums in
			// flight, each in At's order.
			var acc1, acc2 float64
			off := (base[ia]*L.stride[0] + base[ib]) * 3
			u := 0
			for ; u+1 < p; u += 2 {
				row := L.vals[off+u*st:][: 3*p : 3*p]
				next := L.vals[off+(u+1)*st:][: 3*p : 3*p]
				var r1, r2, q1, q2 float64
				for v, w := range wb {
					r1 += w * row[v*3+1]
					r2 += w * row[v*3+2]
					q1 += w * next[v*3+1]
					q2 += w * next[v*3+2]
				}
				acc1 += wa[u] * r1
				acc2 += wa[u] * r2
				acc1 += wa[u+1] * q1
				acc2 += wa[u+1] * q2
			}
			if u < p { // an odd stencil's last row
				row := L.vals[off+u*st:][: 3*p : 3*p]
				var r1, r2 float64
				for v, w := range wb {
					r1 += w * row[v*3+1]
					r2 += w * row[v*3+2]
				}
				acc1 += wa[u] * r1
				acc2 += wa[u] * r2
			}
			g[0], g[1] = acc1, acc2
		}
	}
}
