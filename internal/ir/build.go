package ir

import (
	"fmt"
	"math"
)

// mk folds n when all of its operands are constants, and interns it.
func (g *Graph) mk(n Node) NodeID {
	if len(n.Args) > 0 {
		args := make([][]float64, len(n.Args))
		for i, a := range n.Args {
			v := g.ConstValue(a)
			if v == nil {
				return g.intern(n)
			}
			args[i] = v
		}
		return g.intern(Node{Op: OpConst, Shape: n.Shape, Value: g.Apply(&n, args)})
	}
	return g.intern(n)
}

func (g *Graph) node(id NodeID) *Node { return &g.nodes[id] }

// Broadcast returns the scalar a repeated to the given shape (a itself
// when it already has that shape).
func (g *Graph) Broadcast(a NodeID, shape Shape) NodeID {
	if g.Shape(a) == shape {
		return a
	}
	if !g.Shape(a).IsScalar() {
		panic(fmt.Sprintf("ir: Broadcast of %v", g.Shape(a)))
	}
	if shape.IsScalar() {
		return a
	}
	return g.mk(Node{Op: OpBroadcast, Args: []NodeID{a}, Shape: shape})
}

// binary builds an elementwise binary op, broadcasting a scalar operand.
func (g *Graph) binary(op Op, a, b NodeID) NodeID {
	sa, sb := g.Shape(a), g.Shape(b)
	if sa != sb {
		switch {
		case sa.IsScalar():
			a = g.Broadcast(a, sb)
		case sb.IsScalar():
			b = g.Broadcast(b, sa)
		default:
			panic(fmt.Sprintf("ir: %s of %v and %v", op, sa, sb))
		}
	}
	na, nb := g.node(a), g.node(b)
	if na.Op == OpBroadcast && nb.Op == OpBroadcast {
		return g.Broadcast(g.binary(op, na.Args[0], nb.Args[0]), na.Shape)
	}
	return g.mk(Node{Op: op, Args: []NodeID{a, b}, Shape: g.Shape(a)})
}

// unary builds an elementwise unary op.
func (g *Graph) unary(op Op, a NodeID, p float64) NodeID {
	if n := g.node(a); n.Op == OpBroadcast {
		return g.Broadcast(g.unary(op, n.Args[0], p), n.Shape)
	}
	return g.mk(Node{Op: op, Args: []NodeID{a}, Shape: g.Shape(a), P: p})
}

// less orders the operands of commutative ops canonically, for printing
// as people write: in a product constants, then params, then the rest; in
// a sum constants last; otherwise by id.
func (g *Graph) less(op Op, a, b NodeID) bool {
	rank := func(id NodeID) int {
		switch g.Op(id) {
		case OpConst:
			if op == OpAdd {
				return 2
			}
			return 0
		case OpParam:
			if op == OpMul {
				return 0
			}
		}
		return 1
	}
	if ra, rb := rank(a), rank(b); ra != rb {
		return ra < rb
	}
	return a < b
}

func (g *Graph) shapeOf(a, b NodeID) Shape {
	if s := g.Shape(a); !s.IsScalar() {
		return s
	}
	return g.Shape(b)
}

// Add returns a + b (a scalar operand broadcasts). Simplifies x+0 → x and
// x + (−y) → x − y, and orders the operands canonically.
func (g *Graph) Add(a, b NodeID) NodeID {
	sh := g.shapeOf(a, b)
	switch {
	case g.IsZero(a):
		return g.Broadcast(b, sh)
	case g.IsZero(b):
		return g.Broadcast(a, sh)
	case g.Op(b) == OpNeg:
		return g.Sub(a, g.node(b).Args[0])
	case g.Op(a) == OpNeg:
		return g.Sub(b, g.node(a).Args[0])
	}
	if g.less(OpAdd, b, a) {
		a, b = b, a
	}
	return g.binary(OpAdd, a, b)
}

// Sub returns a − b. Simplifies x−0 → x, 0−x → −x, x − (−y) → x + y, and
// x−x → 0 (which assumes x finite).
func (g *Graph) Sub(a, b NodeID) NodeID {
	sh := g.shapeOf(a, b)
	switch {
	case g.IsZero(b):
		return g.Broadcast(a, sh)
	case g.IsZero(a):
		return g.Neg(g.Broadcast(b, sh))
	case a == b:
		return g.Zeros(sh)
	case g.Op(b) == OpNeg:
		return g.Add(a, g.node(b).Args[0])
	}
	return g.binary(OpSub, a, b)
}

// Mul returns a*b elementwise. Simplifies x*1 → x, x*(−1) → −x,
// (−x)*y → −(x*y), x*x → x^2, and x*0 → 0 (which assumes x finite).
func (g *Graph) Mul(a, b NodeID) NodeID {
	sh := g.shapeOf(a, b)
	switch {
	case g.IsZero(a) || g.IsZero(b):
		return g.Zeros(sh)
	case g.isFill(a, 1):
		return g.Broadcast(b, sh)
	case g.isFill(b, 1):
		return g.Broadcast(a, sh)
	case g.isFill(a, -1):
		return g.Neg(g.Broadcast(b, sh))
	case g.isFill(b, -1):
		return g.Neg(g.Broadcast(a, sh))
	case g.Op(a) == OpNeg:
		return g.Neg(g.Mul(g.node(a).Args[0], b))
	case g.Op(b) == OpNeg:
		return g.Neg(g.Mul(a, g.node(b).Args[0]))
	case a == b:
		return g.Pow(a, 2)
	case g.Op(b) == OpDiv && g.isFill(g.node(b).Args[0], 1):
		return g.Div(a, g.node(b).Args[1]) // a*(1/c) → a/c
	case g.Op(a) == OpDiv && g.isFill(g.node(a).Args[0], 1):
		return g.Div(b, g.node(a).Args[1])
	case g.Op(b) == OpDiv && g.node(b).Args[1] == a:
		return g.Broadcast(g.node(b).Args[0], sh) // a*(c/a) → c
	case g.Op(a) == OpDiv && g.node(a).Args[1] == b:
		return g.Broadcast(g.node(a).Args[0], sh)
	}
	if g.less(OpMul, b, a) {
		a, b = b, a
	}
	return g.binary(OpMul, a, b)
}

// Div returns a/b elementwise. Simplifies x/1 → x, x/(−1) → −x, and
// 0/x → 0, x/x → 1 and (c·x)/x → c (the last three assume x finite and
// nonzero).
func (g *Graph) Div(a, b NodeID) NodeID {
	sh := g.shapeOf(a, b)
	switch {
	case g.isFill(b, 1):
		return g.Broadcast(a, sh)
	case g.isFill(b, -1):
		return g.Neg(g.Broadcast(a, sh))
	case g.IsZero(a):
		return g.Zeros(sh)
	case a == b:
		return g.Fill(sh, 1)
	case g.Op(a) == OpMul && g.node(a).Args[1] == b:
		return g.Broadcast(g.node(a).Args[0], sh)
	case g.Op(a) == OpMul && g.node(a).Args[0] == b:
		return g.Broadcast(g.node(a).Args[1], sh)
	}
	return g.binary(OpDiv, a, b)
}

// PowE returns a^b for a general exponent node b (math.Pow semantics:
// a > 0, or b integral). A constant exponent with equal entries gives Pow,
// whose integral powers are computed by multiplication (equal to math.Pow
// up to rounding).
func (g *Graph) PowE(a, b NodeID) NodeID {
	if v := g.ConstValue(b); len(v) > 0 && g.isFill(b, v[0]) {
		return g.Broadcast(g.Pow(a, v[0]), g.shapeOf(a, b))
	}
	return g.binary(OpPowE, a, b)
}

// Pow returns a^p for a constant exponent p. Integral exponents |p| ≤ 64
// are computed by repeated multiplication (all real a); p = 0.5 is sqrt;
// other exponents follow math.Pow (a ≥ 0 for a real result). Simplifies
// x^1 → x, x^0 → 1 (also for Inf and NaN, as math.Pow), (−x)^even → x^even.
func (g *Graph) Pow(a NodeID, p float64) NodeID {
	switch {
	case p == 1:
		return a
	case p == 0:
		return g.Fill(g.Shape(a), 1)
	case p == 0.5:
		return g.Sqrt(a)
	case g.Op(a) == OpNeg && p == math.Trunc(p) && math.Mod(p, 2) == 0:
		return g.Pow(g.node(a).Args[0], p)
	}
	return g.unary(OpPow, a, p)
}

// Neg returns −a. Simplifies −(−x) → x and −(x − y) → y − x.
func (g *Graph) Neg(a NodeID) NodeID {
	switch n := g.node(a); n.Op {
	case OpNeg:
		return n.Args[0]
	case OpSub:
		return g.binary(OpSub, n.Args[1], n.Args[0])
	}
	return g.unary(OpNeg, a, 0)
}

// Exp returns e^a elementwise.
func (g *Graph) Exp(a NodeID) NodeID { return g.unary(OpExp, a, 0) }

// Log returns the natural logarithm (NaN for a < 0, −Inf at 0).
func (g *Graph) Log(a NodeID) NodeID { return g.unary(OpLog, a, 0) }

// Sqrt returns the square root (NaN for a < 0; derivative infinite at 0).
func (g *Graph) Sqrt(a NodeID) NodeID { return g.unary(OpSqrt, a, 0) }

// Abs returns |a|; its derivative is sign(a) (0 at 0). Abs(−x) → Abs(x).
func (g *Graph) Abs(a NodeID) NodeID {
	if n := g.node(a); n.Op == OpNeg || n.Op == OpAbs {
		return g.Abs(n.Args[0])
	}
	return g.unary(OpAbs, a, 0)
}

// Sin returns sin(a).
func (g *Graph) Sin(a NodeID) NodeID { return g.unary(OpSin, a, 0) }

// Cos returns cos(a).
func (g *Graph) Cos(a NodeID) NodeID { return g.unary(OpCos, a, 0) }

// Tan returns tan(a).
func (g *Graph) Tan(a NodeID) NodeID { return g.unary(OpTan, a, 0) }

// Tanh returns tanh(a).
func (g *Graph) Tanh(a NodeID) NodeID { return g.unary(OpTanh, a, 0) }

// Sigmoid returns 1/(1+e^−a).
func (g *Graph) Sigmoid(a NodeID) NodeID { return g.unary(OpSigmoid, a, 0) }

// Softplus returns log(1+e^a).
func (g *Graph) Softplus(a NodeID) NodeID { return g.unary(OpSoftplus, a, 0) }

// Relu returns max(a, 0); relu′(0) = 0.
func (g *Graph) Relu(a NodeID) NodeID { return g.unary(OpRelu, a, 0) }

// Sign returns −1, 0 or 1; its derivative is 0.
func (g *Graph) Sign(a NodeID) NodeID { return g.unary(OpSign, a, 0) }

// Step returns the Heaviside step (1 for a > 0, else 0); derivative 0.
func (g *Graph) Step(a NodeID) NodeID { return g.unary(OpStep, a, 0) }

// Floor returns ⌊a⌋; derivative 0.
func (g *Graph) Floor(a NodeID) NodeID { return g.unary(OpFloor, a, 0) }

// Ceil returns ⌈a⌉; derivative 0.
func (g *Graph) Ceil(a NodeID) NodeID { return g.unary(OpCeil, a, 0) }

// Atan2 returns atan2(y, x) elementwise.
func (g *Graph) Atan2(y, x NodeID) NodeID { return g.binary(OpAtan2, y, x) }

// Min returns the elementwise minimum, a on ties (gradient to a).
func (g *Graph) Min(a, b NodeID) NodeID {
	if a == b {
		return a
	}
	return g.binary(OpMin, a, b)
}

// Max returns the elementwise maximum, a on ties (gradient to a).
func (g *Graph) Max(a, b NodeID) NodeID {
	if a == b {
		return a
	}
	return g.binary(OpMax, a, b)
}

// Sum returns the sum of all entries of a (a itself for a scalar).
func (g *Graph) Sum(a NodeID) NodeID {
	n := g.node(a)
	switch n.Op {
	case OpStack:
		s := n.Args[0]
		for _, b := range n.Args[1:] {
			s = g.Add(s, b)
		}
		return s
	case OpPad:
		return g.Sum(n.Args[0])
	}
	if n.Shape.IsScalar() {
		return a
	}
	if n.Shape.Size() == 1 {
		return g.Index(a, 0)
	}
	return g.mk(Node{Op: OpSum, Args: []NodeID{a}, Shape: Scalar})
}

// Prod returns the product of the entries of vector a.
func (g *Graph) Prod(a NodeID) NodeID {
	g.mustVector("Prod", a)
	if g.Shape(a).Rows == 1 {
		return g.Index(a, 0)
	}
	return g.mk(Node{Op: OpProd, Args: []NodeID{a}, Shape: Scalar})
}

func (g *Graph) mustVector(what string, a NodeID) int {
	s := g.Shape(a)
	if s.Rank != 1 {
		panic(fmt.Sprintf("ir: %s of %v", what, s))
	}
	return s.Rows
}

// Index returns entry i of vector v.
func (g *Graph) Index(v NodeID, i int) NodeID {
	n := g.mustVector("Index", v)
	if i < 0 || i >= n {
		panic(fmt.Sprintf("ir: index %d out of range [0, %d)", i, n))
	}
	nd := g.node(v)
	switch nd.Op {
	case OpStack:
		return nd.Args[i]
	case OpBroadcast:
		return nd.Args[0]
	case OpSlice:
		return g.Index(nd.Args[0], nd.I+i)
	case OpPad:
		if k := g.Shape(nd.Args[0]).Rows; i >= nd.I && i < nd.I+k {
			return g.Index(nd.Args[0], i-nd.I)
		}
		return g.Scalar(0)
	case OpConcat:
		for _, a := range nd.Args {
			k := g.Shape(a).Rows
			if i < k {
				return g.Index(a, i)
			}
			i -= k
		}
	}
	return g.mk(Node{Op: OpIndex, Args: []NodeID{v}, Shape: Scalar, I: i})
}

// Slice returns entries [i, j) of vector v.
func (g *Graph) Slice(v NodeID, i, j int) NodeID {
	n := g.mustVector("Slice", v)
	if i < 0 || j > n || i > j {
		panic(fmt.Sprintf("ir: slice [%d:%d] of vector[%d]", i, j, n))
	}
	if i == 0 && j == n {
		return v
	}
	nd := g.node(v)
	switch nd.Op {
	case OpSlice:
		return g.Slice(nd.Args[0], nd.I+i, nd.I+j)
	case OpBroadcast:
		return g.Broadcast(nd.Args[0], Vector(j-i))
	case OpStack:
		return g.Stack(nd.Args[i:j]...)
	case OpPad:
		k := g.Shape(nd.Args[0]).Rows
		if i >= nd.I && j <= nd.I+k {
			return g.Slice(nd.Args[0], i-nd.I, j-nd.I)
		}
		if j <= nd.I || i >= nd.I+k {
			return g.Zeros(Vector(j - i))
		}
	}
	return g.mk(Node{Op: OpSlice, Args: []NodeID{v}, Shape: Vector(j - i), I: i, J: j})
}

// Pad returns the vector of length n holding v at offset off and zeros
// elsewhere (the adjoint of Slice and Index).
func (g *Graph) Pad(v NodeID, off, n int) NodeID {
	k := g.mustVector("Pad", v)
	if off < 0 || off+k > n {
		panic(fmt.Sprintf("ir: pad vector[%d] at %d into %d", k, off, n))
	}
	if k == n {
		return v
	}
	if g.IsZero(v) {
		return g.Zeros(Vector(n))
	}
	return g.mk(Node{Op: OpPad, Args: []NodeID{v}, Shape: Vector(n), I: off, J: n})
}

// Stack returns the vector of the given scalars. Stack(v[0], …, v[n−1])
// → v.
func (g *Graph) Stack(s ...NodeID) NodeID {
	same := len(s) > 0 && g.Op(s[0]) == OpIndex
	for i, a := range s {
		if !g.Shape(a).IsScalar() {
			panic(fmt.Sprintf("ir: Stack of %v", g.Shape(a)))
		}
		if same {
			if n := g.node(a); n.Op != OpIndex || n.I != i || n.Args[0] != g.node(s[0]).Args[0] {
				same = false
			}
		}
	}
	if same && g.Shape(g.node(s[0]).Args[0]).Rows == len(s) {
		return g.node(s[0]).Args[0]
	}
	return g.mk(Node{Op: OpStack, Args: append([]NodeID(nil), s...), Shape: Vector(len(s))})
}

// Concat returns the concatenation of vectors.
func (g *Graph) Concat(vs ...NodeID) NodeID {
	var args []NodeID
	n := 0
	for _, v := range vs {
		k := g.mustVector("Concat", v)
		if k > 0 {
			args = append(args, v)
		}
		n += k
	}
	if len(args) == 1 {
		return args[0]
	}
	return g.mk(Node{Op: OpConcat, Args: args, Shape: Vector(n)})
}

func (g *Graph) mustMatrix(what string, a NodeID) (int, int) {
	s := g.Shape(a)
	if s.Rank != 2 {
		panic(fmt.Sprintf("ir: %s of %v", what, s))
	}
	return s.Rows, s.Cols
}

// MatVec returns W v for W matrix[m,n] and v vector[n].
func (g *Graph) MatVec(w, v NodeID) NodeID {
	m, n := g.mustMatrix("MatVec", w)
	if g.mustVector("MatVec", v) != n {
		panic(fmt.Sprintf("ir: MatVec of %v and %v", g.Shape(w), g.Shape(v)))
	}
	if g.IsZero(w) || g.IsZero(v) {
		return g.Zeros(Vector(m))
	}
	return g.mk(Node{Op: OpMatVec, Args: []NodeID{w, v}, Shape: Vector(m)})
}

// MatTVec returns Wᵀ u for W matrix[m,n] and u vector[m].
func (g *Graph) MatTVec(w, u NodeID) NodeID {
	m, n := g.mustMatrix("MatTVec", w)
	if g.mustVector("MatTVec", u) != m {
		panic(fmt.Sprintf("ir: MatTVec of %v and %v", g.Shape(w), g.Shape(u)))
	}
	if g.IsZero(w) || g.IsZero(u) {
		return g.Zeros(Vector(n))
	}
	return g.mk(Node{Op: OpMatTVec, Args: []NodeID{w, u}, Shape: Vector(n)})
}

// Outer returns u vᵀ, a matrix[m,n].
func (g *Graph) Outer(u, v NodeID) NodeID {
	m := g.mustVector("Outer", u)
	n := g.mustVector("Outer", v)
	if g.IsZero(u) || g.IsZero(v) {
		return g.Zeros(Matrix(m, n))
	}
	return g.mk(Node{Op: OpOuter, Args: []NodeID{u, v}, Shape: Matrix(m, n)})
}

// SqDist returns the vector of ‖x − c_i‖² over the rows c_i of C
// (matrix[m,n], x vector[n]).
func (g *Graph) SqDist(c, x NodeID) NodeID {
	m, n := g.mustMatrix("SqDist", c)
	if g.mustVector("SqDist", x) != n {
		panic(fmt.Sprintf("ir: SqDist of %v and %v", g.Shape(c), g.Shape(x)))
	}
	return g.mk(Node{Op: OpSqDist, Args: []NodeID{c, x}, Shape: Vector(m)})
}

// Dot returns Σ u_i v_i.
func (g *Graph) Dot(u, v NodeID) NodeID { return g.Sum(g.Mul(u, v)) }

// Norm2 returns the squared Euclidean norm Σ v_i².
func (g *Graph) Norm2(v NodeID) NodeID { return g.Sum(g.Pow(v, 2)) }

// Norm returns the Euclidean norm (its gradient is undefined, NaN, at 0).
func (g *Graph) Norm(v NodeID) NodeID { return g.Sqrt(g.Norm2(v)) }

// Mean returns the mean of the entries of v.
func (g *Graph) Mean(v NodeID) NodeID {
	return g.Div(g.Sum(v), g.Scalar(float64(g.Shape(v).Size())))
}
