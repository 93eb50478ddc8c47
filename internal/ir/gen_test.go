package ir

import (
	"math"
	"math/rand/v2"
)

// texpr is an expression tree built by the random generator. It is
// evaluated directly (teval) as an independent reference, and built into a
// Graph through the simplifying constructors (tbuild).
type texpr struct {
	op   string
	kids []*texpr
	val  []float64 // constants
	i    int
	vec  bool // vector[3] (else scalar)
}

const tdim = 3

// Leaves: x vector[3] input, t scalar input, s scalar param, w vector[3]
// param, W matrix[3,3] param.
var (
	tC = []float64{0.5, -1, 0.25, 1, 0, -0.5, -0.3, 0.7, 1.2} // 3×3 constant
)

type tgen struct {
	r *rand.Rand
	// saved subtrees, reused to exercise CSE and x−x.
	pool []*texpr
}

func (t *tgen) leaf(vec bool) *texpr {
	if vec {
		switch t.r.IntN(5) {
		case 0, 1:
			return &texpr{op: "x", vec: true}
		case 2:
			return &texpr{op: "w", vec: true}
		case 3:
			return &texpr{op: "const", val: []float64{0.5, -1.5, 2}, vec: true}
		default:
			return &texpr{op: "bcast", kids: []*texpr{t.leaf(false)}, vec: true}
		}
	}
	switch t.r.IntN(7) {
	case 0:
		return &texpr{op: "t"}
	case 1, 2:
		return &texpr{op: "s"}
	case 3:
		return &texpr{op: "const", val: []float64{[]float64{0, 1, -1, 2.5}[t.r.IntN(4)]}}
	default:
		return &texpr{op: "index", i: t.r.IntN(tdim), kids: []*texpr{{op: "x", vec: true}}}
	}
}

var (
	tunary  = []string{"neg", "pow2", "pow3", "powm1", "powr", "exp", "log", "sqrt", "abs", "sin", "cos", "tan", "tanh", "sigmoid", "softplus", "relu"}
	tbinary = []string{"add", "sub", "mul", "div", "atan2", "min", "max", "powe"}
)

func (t *tgen) gen(depth int, vec bool) *texpr {
	if depth == 0 || (depth < 3 && t.r.IntN(5) == 0) {
		return t.leaf(vec)
	}
	if len(t.pool) > 0 && t.r.IntN(8) == 0 {
		for _, e := range t.pool {
			if e.vec == vec {
				return e
			}
		}
	}
	var e *texpr
	switch k := t.r.IntN(10); {
	case k < 3:
		e = &texpr{op: tunary[t.r.IntN(len(tunary))], kids: []*texpr{t.gen(depth-1, vec)}, vec: vec}
	case k < 7:
		a, b := t.gen(depth-1, vec), t.gen(depth-1, vec)
		if vec && t.r.IntN(3) == 0 { // scalar broadcasting
			b = t.gen(depth-1, false)
		}
		if t.r.IntN(10) == 0 {
			b = a
		}
		if t.r.IntN(2) == 0 {
			a, b = b, a
		}
		e = &texpr{op: tbinary[t.r.IntN(len(tbinary))], kids: []*texpr{a, b}, vec: vec}
	case !vec:
		ops := []string{"sum", "prod", "index", "dot", "norm2", "mean"}
		op := ops[t.r.IntN(len(ops))]
		e = &texpr{op: op, kids: []*texpr{t.gen(depth-1, true)}, i: t.r.IntN(tdim)}
		if op == "dot" {
			e.kids = append(e.kids, t.gen(depth-1, true))
		}
	default:
		ops := []string{"matvec", "mattvec", "sqdist", "stack", "sliceconcat", "outer", "cmatvec"}
		op := ops[t.r.IntN(len(ops))]
		e = &texpr{op: op, vec: true, kids: []*texpr{t.gen(depth-1, true)}}
		switch op {
		case "stack":
			e.kids = []*texpr{t.gen(depth-1, false), t.gen(depth-1, false), t.gen(depth-1, false)}
		case "outer", "sliceconcat":
			e.kids = append(e.kids, t.gen(depth-1, true))
			e.i = 1 + t.r.IntN(tdim-1)
		}
	}
	if t.r.IntN(4) == 0 {
		t.pool = append(t.pool, e)
	}
	return e
}

// tenv holds the values of the leaves.
type tenv struct {
	x, w, W []float64
	t, s    float64
}

func (v *tenv) env() map[string][]float64 {
	return map[string][]float64{"x": v.x, "w": v.w, "W": v.W, "t": {v.t}, "s": {v.s}}
}

func safeDen(b float64) float64 { return 1 + b*b }

func un(op string, a float64) float64 {
	switch op {
	case "neg":
		return -a
	case "pow2":
		return a * a
	case "pow3":
		return a * a * a
	case "powm1":
		return 1 / safeDen(a)
	case "powr":
		return math.Pow(safeDen(a), 1.5)
	case "exp":
		return math.Exp(math.Tanh(a))
	case "log":
		return math.Log(safeDen(a))
	case "sqrt":
		return math.Sqrt(safeDen(a))
	case "abs":
		return math.Abs(a)
	case "sin":
		return math.Sin(a)
	case "cos":
		return math.Cos(a)
	case "tan":
		return math.Tan(math.Tanh(a))
	case "tanh":
		return math.Tanh(a)
	case "sigmoid":
		return 1 / (1 + math.Exp(-a))
	case "softplus":
		return math.Log(1 + math.Exp(a))
	case "relu":
		return math.Max(a, 0)
	}
	panic(op)
}

func bin(op string, a, b float64) float64 {
	switch op {
	case "add":
		return a + b
	case "sub":
		return a - b
	case "mul":
		return a * b
	case "div":
		return a / safeDen(b)
	case "atan2":
		return math.Atan2(a, b)
	case "min":
		return math.Min(a, b)
	case "max":
		return math.Max(a, b)
	case "powe":
		return math.Pow(safeDen(a), math.Tanh(b))
	}
	panic(op)
}

func size(vec bool) int {
	if vec {
		return tdim
	}
	return 1
}

func at(v []float64, i int) float64 {
	if len(v) == 1 {
		return v[0]
	}
	return v[i]
}

// teval evaluates e directly with package math.
func teval(e *texpr, v *tenv) []float64 {
	var k [][]float64
	for _, c := range e.kids {
		k = append(k, teval(c, v))
	}
	out := make([]float64, size(e.vec))
	switch e.op {
	case "x":
		copy(out, v.x)
	case "w":
		copy(out, v.w)
	case "t":
		out[0] = v.t
	case "s":
		out[0] = v.s
	case "const":
		copy(out, e.val)
	case "bcast":
		for i := range out {
			out[i] = k[0][0]
		}
	case "index":
		out[0] = k[0][e.i]
	case "sum", "mean", "prod", "dot", "norm2":
		acc := 0.0
		if e.op == "prod" {
			acc = 1
		}
		for i, a := range k[0] {
			switch e.op {
			case "prod":
				acc *= a
			case "dot":
				acc += a * k[1][i]
			case "norm2":
				acc += a * a
			default:
				acc += a
			}
		}
		if e.op == "mean" {
			acc /= tdim
		}
		out[0] = acc
	case "matvec", "mattvec", "cmatvec":
		for i := range out {
			for j := range tdim {
				switch e.op {
				case "matvec":
					out[i] += v.W[i*tdim+j] * k[0][j]
				case "mattvec":
					out[i] += v.W[j*tdim+i] * k[0][j]
				default:
					out[i] += tC[i*tdim+j] * k[0][j]
				}
			}
		}
	case "sqdist":
		for i := range out {
			for j := range tdim {
				d := k[0][j] - tC[i*tdim+j]
				out[i] += d * d
			}
		}
	case "stack":
		for i := range out {
			out[i] = k[i][0]
		}
	case "sliceconcat":
		copy(out, k[1][:e.i])
		copy(out[e.i:], k[0][e.i:])
	case "outer": // row sums of u vᵀ ∘ W: Σ_j u_i v_j W_ij
		for i := range out {
			for j := range tdim {
				out[i] += k[0][i] * k[1][j] * v.W[i*tdim+j]
			}
		}
	default:
		if len(k) == 1 {
			for i := range out {
				out[i] = un(e.op, at(k[0], i))
			}
		} else {
			for i := range out {
				out[i] = bin(e.op, at(k[0], i), at(k[1], i))
			}
		}
	}
	return out
}

// tbuild builds e into g through the simplifying constructors.
func tbuild(g *Graph, e *texpr, memo map[*texpr]NodeID) NodeID {
	if id, ok := memo[e]; ok {
		return id
	}
	var k []NodeID
	for _, c := range e.kids {
		k = append(k, tbuild(g, c, memo))
	}
	one := g.Scalar(1)
	den := func(a NodeID) NodeID { return g.Add(one, g.Pow(a, 2)) }
	var id NodeID
	switch e.op {
	case "x":
		id = g.Input("x", Vector(tdim))
	case "w":
		id = g.Param("w", Vector(tdim))
	case "t":
		id = g.Input("t", Scalar)
	case "s":
		id = g.Param("s", Scalar)
	case "const":
		id = g.Const(Vector(len(e.val)), e.val)
		if !e.vec {
			id = g.Scalar(e.val[0])
		}
	case "bcast":
		id = g.Broadcast(k[0], Vector(tdim))
	case "index":
		id = g.Index(k[0], e.i)
	case "sum":
		id = g.Sum(k[0])
	case "mean":
		id = g.Mean(k[0])
	case "prod":
		id = g.Prod(k[0])
	case "dot":
		id = g.Dot(k[0], k[1])
	case "norm2":
		id = g.Norm2(k[0])
	case "matvec":
		id = g.MatVec(g.Param("W", Matrix(tdim, tdim)), k[0])
	case "mattvec":
		id = g.MatTVec(g.Param("W", Matrix(tdim, tdim)), k[0])
	case "cmatvec":
		id = g.MatVec(g.Const(Matrix(tdim, tdim), tC), k[0])
	case "sqdist":
		id = g.SqDist(g.Const(Matrix(tdim, tdim), tC), k[0])
	case "stack":
		id = g.Stack(k...)
	case "sliceconcat":
		id = g.Concat(g.Slice(k[1], 0, e.i), g.Slice(k[0], e.i, tdim))
	case "outer":
		m := g.Mul(g.Outer(k[0], k[1]), g.Param("W", Matrix(tdim, tdim)))
		id = g.MatVec(m, g.Fill(Vector(tdim), 1))
	case "neg":
		id = g.Neg(k[0])
	case "pow2":
		id = g.Pow(k[0], 2)
	case "pow3":
		id = g.Pow(k[0], 3)
	case "powm1":
		id = g.Pow(den(k[0]), -1)
	case "powr":
		id = g.Pow(den(k[0]), 1.5)
	case "exp":
		id = g.Exp(g.Tanh(k[0]))
	case "log":
		id = g.Log(den(k[0]))
	case "sqrt":
		id = g.Sqrt(den(k[0]))
	case "abs":
		id = g.Abs(k[0])
	case "sin":
		id = g.Sin(k[0])
	case "cos":
		id = g.Cos(k[0])
	case "tan":
		id = g.Tan(g.Tanh(k[0]))
	case "tanh":
		id = g.Tanh(k[0])
	case "sigmoid":
		id = g.Sigmoid(k[0])
	case "softplus":
		id = g.Softplus(k[0])
	case "relu":
		id = g.Relu(k[0])
	case "add":
		id = g.Add(k[0], k[1])
	case "sub":
		id = g.Sub(k[0], k[1])
	case "mul":
		id = g.Mul(k[0], k[1])
	case "div":
		id = g.Div(k[0], den(k[1]))
	case "atan2":
		id = g.Atan2(k[0], k[1])
	case "min":
		id = g.Min(k[0], k[1])
	case "max":
		id = g.Max(k[0], k[1])
	case "powe":
		id = g.PowE(den(k[0]), g.Tanh(k[1]))
	default:
		panic(e.op)
	}
	memo[e] = id
	return id
}

func randEnv(r *rand.Rand) *tenv {
	v := &tenv{x: make([]float64, tdim), w: make([]float64, tdim), W: make([]float64, tdim*tdim)}
	for i := range v.x {
		v.x[i] = 2*r.Float64() - 1
		v.w[i] = 2*r.Float64() - 1
	}
	for i := range v.W {
		v.W[i] = r.Float64() - 0.5
	}
	v.t = r.Float64()
	v.s = 2*r.Float64() - 1
	return v
}

// RandomExpr exposes the generator to other test files of the package.
func randomExpr(r *rand.Rand, depth int) *texpr {
	t := &tgen{r: r}
	return t.gen(depth, false)
}
