package eval

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/jko-org/jko/internal/ir"
)

const dim = 3

// raceEnabled is set by race_test.go when built with -race.
var raceEnabled bool

// gen builds random graphs over x (varying vector[3]), rho (varying
// scalar), t (shared scalar) and params s, w[3], W[3,3], directly with the
// ir constructors.
type gen struct {
	r *rand.Rand
	g *ir.Graph
}

func (q *gen) scalar(depth int) ir.NodeID {
	g, r := q.g, q.r
	if depth == 0 {
		switch r.IntN(5) {
		case 0:
			return g.Input("rho", ir.Scalar)
		case 1:
			return g.Input("t", ir.Scalar)
		case 2:
			return g.Param("s", ir.Scalar)
		case 3:
			return g.Scalar(r.Float64()*4 - 2)
		}
		return g.Index(g.Input("x", ir.Vector(dim)), r.IntN(dim))
	}
	switch r.IntN(6) {
	case 0:
		return g.Sum(q.vector(depth - 1))
	case 1:
		return g.Dot(q.vector(depth-1), q.vector(depth-1))
	case 2:
		return g.Index(q.vector(depth-1), r.IntN(dim))
	case 3:
		return g.Prod(q.vector(depth - 1))
	}
	return q.elementwise(depth, q.scalar)
}

func (q *gen) vector(depth int) ir.NodeID {
	g, r := q.g, q.r
	if depth == 0 {
		switch r.IntN(4) {
		case 0:
			return g.Param("w", ir.Vector(dim))
		case 1:
			return g.Const(ir.Vector(dim), []float64{0.5, -1, 2})
		}
		return g.Input("x", ir.Vector(dim))
	}
	switch r.IntN(8) {
	case 0:
		return g.MatVec(g.Param("W", ir.Matrix(dim, dim)), q.vector(depth-1))
	case 1:
		return g.MatTVec(g.Param("W", ir.Matrix(dim, dim)), q.vector(depth-1))
	case 2:
		c := g.Const(ir.Matrix(2, dim), []float64{1, 0, -1, 0.5, 0.5, 0.5})
		return g.Concat(g.SqDist(c, q.vector(depth-1)), g.Stack(q.scalar(depth-1)))
	case 3:
		return g.Stack(q.scalar(depth-1), q.scalar(depth-1), q.scalar(depth-1))
	case 4:
		return g.MatVec(g.Outer(q.vector(depth-1), q.vector(depth-1)), g.Param("w", ir.Vector(dim)))
	}
	return q.elementwise(depth, q.vector)
}

// elementwise applies a random elementwise op, kept away from domain
// edges; a scalar operand is sometimes broadcast.
func (q *gen) elementwise(depth int, sub func(int) ir.NodeID) ir.NodeID {
	g, r := q.g, q.r
	a := sub(depth - 1)
	b := sub(depth - 1)
	if r.IntN(3) == 0 {
		b = q.scalar(depth - 1)
	}
	pos := func(v ir.NodeID) ir.NodeID { return g.Add(g.Scalar(1), g.Pow(v, 2)) }
	switch r.IntN(22) {
	case 0:
		return g.Add(a, b)
	case 1:
		return g.Sub(a, b)
	case 2:
		return g.Mul(a, b)
	case 3:
		return g.Div(a, pos(b))
	case 4:
		return g.PowE(pos(a), g.Tanh(b))
	case 5:
		return g.Atan2(a, b)
	case 6:
		return g.Min(a, b)
	case 7:
		return g.Max(a, b)
	case 8:
		return g.Neg(a)
	case 9:
		return g.Pow(a, float64(2+r.IntN(3)))
	case 10:
		return g.Pow(pos(a), -1.5)
	case 11:
		return g.Exp(g.Tanh(a))
	case 12:
		return g.Log(pos(a))
	case 13:
		return g.Sqrt(pos(a))
	case 14:
		return g.Abs(a)
	case 15:
		return g.Sin(a)
	case 16:
		return g.Cos(a)
	case 17:
		return g.Tan(g.Tanh(a))
	case 18:
		return g.Sigmoid(a)
	case 19:
		return g.Softplus(a)
	case 20:
		return g.Relu(a)
	}
	return g.Add(g.Floor(a), g.Ceil(g.Sign(b)))
}

type data struct {
	n                  int
	x, rho, s, w, W, t []float64
}

func randData(r *rand.Rand, n int) *data {
	d := &data{n: n, x: make([]float64, n*dim), rho: make([]float64, n), s: []float64{r.Float64()}, w: make([]float64, dim), W: make([]float64, dim*dim), t: []float64{r.Float64()}}
	for i := range d.x {
		d.x[i] = 2*r.Float64() - 1
	}
	for i := range d.rho {
		d.rho[i] = r.Float64()
	}
	for i := range d.w {
		d.w[i] = r.Float64() - 0.5
	}
	for i := range d.W {
		d.W[i] = r.Float64() - 0.5
	}
	return d
}

func (d *data) inputs() Inputs {
	return Inputs{N: d.n,
		Varying: map[string][]float64{"x": d.x, "rho": d.rho},
		Shared:  map[string][]float64{"s": d.s, "w": d.w, "W": d.W, "t": d.t}}
}

func (d *data) env(i int) map[string][]float64 {
	return map[string][]float64{"x": d.x[i*dim : (i+1)*dim], "rho": d.rho[i : i+1], "s": d.s, "w": d.w, "W": d.W, "t": d.t}
}

// randomProgram returns a graph with a random scalar y and the outputs y,
// ∇ₓy, ∂y/∂W, ∂y/∂s, ∂y/∂rho, and the Hessian-vector product (∇ₓ of
// seed·∇ₓy).
func randomProgram(r *rand.Rand) (*ir.Graph, []ir.NodeID) {
	q := &gen{r: r, g: ir.New()}
	g := q.g
	y := q.scalar(5)
	x := g.Input("x", ir.Vector(dim))
	W := g.Param("W", ir.Matrix(dim, dim))
	s := g.Param("s", ir.Scalar)
	rho := g.Input("rho", ir.Scalar)
	gr := g.Grad(y, x, W, s, rho)
	hv := g.Grad(g.Dot(g.Const(ir.Vector(dim), []float64{1, -2, 0.5}), gr[0]), x)[0]
	return g, append([]ir.NodeID{y}, append(gr, hv)...)
}

func alloc(g *ir.Graph, outs []ir.NodeID, n int) [][]float64 {
	dst := make([][]float64, len(outs))
	for k, o := range outs {
		dst[k] = make([]float64, n*g.Shape(o).Size())
	}
	return dst
}

func same(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

func near(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-12*(1+math.Abs(a)+math.Abs(b))
}

func withProcs(n int, f func()) {
	old := runtime.GOMAXPROCS(n)
	defer runtime.GOMAXPROCS(old)
	f()
}

// TestMatchesReference compares Run with the recursive reference evaluator
// on random graphs and their derivatives, and checks that the results are
// bitwise identical on 1 and 2 cores.
func TestMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	cases := 60
	if testing.Short() {
		cases = 15
	}
	const n = 600 // two full chunks and a partial one
	for c := range cases {
		g, outs := randomProgram(r)
		p := Compile(g, outs)
		d := randData(r, n)
		var dst1, dst2 [][]float64
		withProcs(1, func() {
			dst1 = alloc(g, outs, n)
			if err := p.Run(dst1, d.inputs()); err != nil {
				t.Fatal(err)
			}
		})
		withProcs(2, func() {
			dst2 = alloc(g, outs, n)
			if err := p.Run(dst2, d.inputs()); err != nil {
				t.Fatal(err)
			}
		})
		for i := 0; i < n; i += 37 {
			ref := g.EvalMany(outs, d.env(i))
			for k, o := range outs {
				sz := g.Shape(o).Size()
				for e := range sz {
					got := dst1[k][i*sz+e]
					if !near(got, ref[k][e]) {
						t.Fatalf("case %d particle %d output %d[%d] (%s): got %v, reference %v", c, i, k, e, g.String(o), got, ref[k][e])
					}
				}
			}
		}
		for k := range dst1 {
			for e := range dst1[k] {
				if !same(dst1[k][e], dst2[k][e]) {
					t.Fatalf("case %d: output %d differs with 1 and 2 cores", c, k)
				}
			}
		}
		// Reduce: deterministic across cores and equal to the sum of rows.
		w := make([]float64, n)
		for i := range w {
			w[i] = r.Float64()
		}
		var red1, red2 [][]float64
		for procs, red := range map[int]*[][]float64{1: &red1, 2: &red2} {
			withProcs(procs, func() {
				*red = make([][]float64, len(outs))
				for k, o := range outs {
					(*red)[k] = make([]float64, g.Shape(o).Size())
				}
				if err := p.Reduce(*red, d.inputs(), w); err != nil {
					t.Fatal(err)
				}
			})
		}
		for k, o := range outs {
			sz := g.Shape(o).Size()
			for e := range sz {
				sum, abs := 0.0, 0.0
				for i := range n {
					sum += w[i] * dst1[k][i*sz+e]
					abs += math.Abs(w[i] * dst1[k][i*sz+e])
				}
				if !same(red1[k][e], red2[k][e]) {
					t.Fatalf("case %d: reduction differs with 1 and 2 cores", c)
				}
				if !(math.Abs(red1[k][e]-sum) <= 1e-12*(1+abs)) && !(math.IsNaN(sum) && math.IsNaN(red1[k][e])) {
					t.Fatalf("case %d: reduction %v, want %v", c, red1[k][e], sum)
				}
			}
		}
	}
}

func TestSharedAndVaryingInputs(t *testing.T) {
	g := ir.New()
	x := g.Input("x", ir.Vector(2))
	tt := g.Input("t", ir.Scalar)
	y := g.Mul(g.Sum(g.Exp(x)), g.Sin(tt))
	outs := []ir.NodeID{y, x, tt}
	p := Compile(g, outs)
	const n = 300
	xs := make([]float64, 2*n)
	ts := make([]float64, n)
	for i := range n {
		xs[2*i], xs[2*i+1], ts[i] = float64(i)/n, -float64(i)/n, float64(i)/100
	}
	// t shared.
	dst := alloc(g, outs, n)
	if err := p.Run(dst, Inputs{N: n, Varying: map[string][]float64{"x": xs}, Shared: map[string][]float64{"t": {0.7}}}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		want := (math.Exp(xs[2*i]) + math.Exp(xs[2*i+1])) * math.Sin(0.7)
		if !near(dst[0][i], want) || dst[1][2*i+1] != xs[2*i+1] || dst[2][i] != 0.7 {
			t.Fatalf("t shared, particle %d: %v, want %v", i, dst[0][i], want)
		}
	}
	// t varying (another plan of the same program).
	if err := p.Run(dst, Inputs{N: n, Varying: map[string][]float64{"x": xs, "t": ts}}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		want := (math.Exp(xs[2*i]) + math.Exp(xs[2*i+1])) * math.Sin(ts[i])
		if !near(dst[0][i], want) || dst[2][i] != ts[i] {
			t.Fatalf("t varying, particle %d: %v, want %v", i, dst[0][i], want)
		}
	}
	// Errors.
	for name, in := range map[string]Inputs{
		"missing t":  {N: n, Varying: map[string][]float64{"x": xs}},
		"short x":    {N: n, Varying: map[string][]float64{"x": xs[:10]}, Shared: map[string][]float64{"t": {1}}},
		"t too long": {N: n, Varying: map[string][]float64{"x": xs}, Shared: map[string][]float64{"t": {1, 2}}},
	} {
		if err := p.Run(dst, in); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if err := p.Run(dst[:1], Inputs{N: n, Varying: map[string][]float64{"x": xs, "t": ts}}); err == nil {
		t.Error("wrong destination count: no error")
	}
}

func TestNaNPropagates(t *testing.T) {
	g := ir.New()
	x := g.Input("x", ir.Scalar)
	outs := []ir.NodeID{g.Log(x), g.Div(g.Scalar(1), x), g.Sqrt(x)}
	p := Compile(g, outs)
	dst := alloc(g, outs, 3)
	if err := p.Run(dst, Inputs{N: 3, Varying: map[string][]float64{"x": {-1, 0, math.NaN()}}}); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(dst[0][0]) || !math.IsInf(dst[0][1], -1) || !math.IsInf(dst[1][1], 1) || !math.IsNaN(dst[2][0]) || !math.IsNaN(dst[1][2]) {
		t.Fatalf("got %v", dst)
	}
}

func TestMLPGradientReduce(t *testing.T) {
	g := ir.New()
	x := g.Input("x", ir.Vector(2))
	y, params := g.MLP(x, []int{8, 8}, "V.mlp")
	loss := g.Pow(g.Sub(y, g.Input("target", ir.Scalar)), 2)
	grads := g.Grad(loss, params...)
	p := Compile(g, grads)
	init := g.InitMLP(params, rand.New(rand.NewPCG(1, 1)))
	shared := map[string][]float64{}
	env := map[string][]float64{}
	for i, pr := range params {
		shared[g.Node(pr).Name] = init[i]
		env[g.Node(pr).Name] = init[i]
	}
	const n = 1000
	r := rand.New(rand.NewPCG(2, 2))
	xs, ts := make([]float64, 2*n), make([]float64, n)
	for i := range xs {
		xs[i] = r.NormFloat64()
	}
	for i := range ts {
		ts[i] = r.NormFloat64()
	}
	dst := make([][]float64, len(grads))
	for k, gr := range grads {
		dst[k] = make([]float64, g.Shape(gr).Size())
	}
	in := Inputs{N: n, Varying: map[string][]float64{"x": xs, "target": ts}, Shared: shared}
	if err := p.Reduce(dst, in, nil); err != nil {
		t.Fatal(err)
	}
	for k, gr := range grads {
		want := make([]float64, g.Shape(gr).Size())
		for i := range n {
			env["x"], env["target"] = xs[2*i:2*i+2], ts[i:i+1]
			for e, v := range g.Eval(gr, env) {
				want[e] += v
			}
		}
		for e := range want {
			if math.Abs(dst[k][e]-want[e]) > 1e-10*(1+math.Abs(want[e])) {
				t.Fatalf("grad %s[%d] = %v, want %v", g.Node(params[k]).Name, e, dst[k][e], want[e])
			}
		}
	}
}

// TestAllocationsDoNotScale checks that a run allocates a bounded amount,
// independent of the number of particles.
func TestAllocationsDoNotScale(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	g := ir.New()
	x := g.Input("x", ir.Vector(2))
	y := g.Sum(g.Softplus(g.MatVec(g.Param("W", ir.Matrix(4, 2)), x)))
	outs := []ir.NodeID{y, g.Grad(y, x)[0]}
	p := Compile(g, outs)
	W := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	allocs := func(n int) float64 {
		xs := make([]float64, 2*n)
		dst := alloc(g, outs, n)
		in := Inputs{N: n, Varying: map[string][]float64{"x": xs}, Shared: map[string][]float64{"W": W}}
		var a float64
		withProcs(1, func() {
			_ = p.Run(dst, in) // warm the plan cache and the pool
			a = testing.AllocsPerRun(5, func() { _ = p.Run(dst, in) })
		})
		return a
	}
	small, large := allocs(ChunkSize), allocs(200*ChunkSize)
	if large > small+2 {
		t.Fatalf("allocations grow with N: %v for one chunk, %v for 200", small, large)
	}
}

func TestReduceSizes(t *testing.T) {
	g := ir.New()
	x := g.Input("x", ir.Vector(2))
	c := g.Param("c", ir.Scalar)
	outs := []ir.NodeID{g.Sin(x), g.Mul(c, g.Sum(x)), c}
	p := Compile(g, outs)
	r := rand.New(rand.NewPCG(5, 5))
	for _, n := range []int{0, 1, ChunkSize - 1, ChunkSize + 1, (maxBlocks+6)*ChunkSize + 3} {
		xs := make([]float64, 2*n)
		w := make([]float64, n)
		for i := range xs {
			xs[i] = r.NormFloat64()
		}
		for i := range w {
			w[i] = r.Float64()
		}
		in := Inputs{N: n, Varying: map[string][]float64{"x": xs}, Shared: map[string][]float64{"c": {1.5}}}
		var res [2][][]float64
		for k, procs := range []int{1, 2} {
			withProcs(procs, func() {
				res[k] = [][]float64{make([]float64, 2), make([]float64, 1), make([]float64, 1)}
				if err := p.Reduce(res[k], in, w); err != nil {
					t.Fatal(err)
				}
			})
		}
		var want [4]float64
		for i := range n {
			want[0] += w[i] * math.Sin(xs[2*i])
			want[1] += w[i] * math.Sin(xs[2*i+1])
			want[2] += w[i] * 1.5 * (xs[2*i] + xs[2*i+1])
			want[3] += w[i] * 1.5
		}
		got := []float64{res[0][0][0], res[0][0][1], res[0][1][0], res[0][2][0]}
		for e := range got {
			if math.Abs(got[e]-want[e]) > 1e-9*(1+math.Abs(want[e])) {
				t.Errorf("N=%d: sum %d = %v, want %v", n, e, got[e], want[e])
			}
		}
		for k := range res[0] {
			for e := range res[0][k] {
				if res[0][k][e] != res[1][k][e] {
					t.Errorf("N=%d: reduction differs with 1 and 2 cores", n)
				}
			}
		}
	}
}
