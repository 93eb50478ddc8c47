package lang

import (
	"errors"
	"fmt"
	"strconv"
)

// maxLen bounds every length the checker evaluates, so n^d cannot overflow.
const maxLen = 1 << 50

type lenOp int

const (
	lConst lenOp = iota
	lDim
	lAdd
	lSub
	lMul
	lFloorDiv
	lCeilDiv
	lPow
	lBinom
	lVar
)

// Len is a symbolic non-negative integer: a length or an index that may
// depend on the dimension d of x. It is a constant, d, a sum, difference,
// product, floor or ceiling quotient, or power of those, or the inferred
// length of a `[*]` parameter (resolved through unification). Use Eval for
// a concrete d and String for messages and summaries ("10^d", "d - 1").
type Len struct {
	op   lenOp
	n    int
	a, b *Len
	v    *lenVar
}

type lenVar struct {
	name  string // the parameter whose length this is
	bound *Len
}

// lenConst returns the constant length n.
func lenConst(n int) *Len { return &Len{op: lConst, n: n} }

// lenDim returns the length d.
func lenDim() *Len { return &Len{op: lDim} }

func newVar(name string) *Len { return &Len{op: lVar, v: &lenVar{name: name}} }

// resolve follows bound variables.
func (l *Len) resolve() *Len {
	for l != nil && l.op == lVar && l.v.bound != nil {
		l = l.v.bound
	}
	return l
}

// Const returns the value of l and true when l does not depend on d (nor
// on an unresolved inferred length).
func (l *Len) Const() (int, bool) {
	l = l.resolve()
	if l.hasFree() {
		return 0, false
	}
	v1, e1 := l.Eval(1)
	v2, e2 := l.Eval(7)
	if e1 != nil || e2 != nil || v1 != v2 || l.dependsOnD() {
		return 0, false
	}
	return v1, true
}

func (l *Len) dependsOnD() bool {
	l = l.resolve()
	switch l.op {
	case lDim:
		return true
	case lConst, lVar:
		return false
	}
	return l.a.dependsOnD() || l.b.dependsOnD()
}

// hasFree reports whether l contains an inferred length not yet resolved.
func (l *Len) hasFree() bool {
	l = l.resolve()
	switch l.op {
	case lVar:
		return true
	case lConst, lDim:
		return false
	}
	return l.a.hasFree() || l.b.hasFree()
}

// Inferred reports whether l is (still) an unresolved inferred length.
func (l *Len) Inferred() bool { return l.resolve().op == lVar }

// Eval returns the value of l for dimension d.
func (l *Len) Eval(d int) (int, error) {
	l = l.resolve()
	switch l.op {
	case lConst:
		return l.n, nil
	case lDim:
		return d, nil
	case lVar:
		return 0, fmt.Errorf("the length of %s[*] is not known", l.v.name)
	}
	a, err := l.a.Eval(d)
	if err != nil {
		return 0, err
	}
	b, err := l.b.Eval(d)
	if err != nil {
		return 0, err
	}
	var r int
	switch l.op {
	case lAdd:
		r = a + b
	case lSub:
		r = a - b
	case lMul:
		if a != 0 && abs(b) > maxLen/abs(a) {
			return 0, errors.New("length too large")
		}
		r = a * b
	case lFloorDiv, lCeilDiv:
		if b == 0 {
			return 0, errors.New("division by zero")
		}
		r = a / b
		if (a%b != 0) && ((a < 0) != (b < 0)) && l.op == lFloorDiv {
			r--
		}
		if (a%b != 0) && ((a < 0) == (b < 0)) && l.op == lCeilDiv {
			r++
		}
	case lBinom:
		// C(a, b), exactly: r·(a−b+i)/i is an integer after every step.
		if a < 0 || b < 0 || b > a {
			return 0, errors.New("binomial coefficient of negative or inverted arguments")
		}
		b = min(b, a-b)
		r = 1
		for i := 1; i <= b; i++ {
			f := a - b + i
			if abs(r) > maxLen/f {
				return 0, errors.New("length too large")
			}
			r = r * f / i
		}
	case lPow:
		if b < 0 {
			return 0, errors.New("negative exponent")
		}
		r = 1
		for range b {
			if a != 0 && abs(r) > maxLen/abs(a) {
				return 0, errors.New("length too large")
			}
			r *= a
		}
	}
	if abs(r) > maxLen {
		return 0, errors.New("length too large")
	}
	return r, nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func lenBin(op lenOp, a, b *Len) *Len {
	a, b = a.resolve(), b.resolve()
	if a.op == lConst && b.op == lConst {
		l := &Len{op: op, a: a, b: b}
		if v, err := l.Eval(0); err == nil {
			return lenConst(v)
		}
		return l
	}
	switch {
	case op == lAdd && a.op == lConst && a.n == 0:
		return b
	case (op == lAdd || op == lSub) && b.op == lConst && b.n == 0:
		return a
	case op == lMul && a.op == lConst && a.n == 1:
		return b
	case (op == lMul || op == lFloorDiv || op == lCeilDiv || op == lPow || op == lBinom) && b.op == lConst && b.n == 1:
		return a
	}
	return &Len{op: op, a: a, b: b}
}

// Add, Sub, Mul, FloorDiv, CeilDiv and Pow build compound lengths,
// folding constants.
func (l *Len) Add(m *Len) *Len      { return lenBin(lAdd, l, m) }
func (l *Len) Sub(m *Len) *Len      { return lenBin(lSub, l, m) }
func (l *Len) Mul(m *Len) *Len      { return lenBin(lMul, l, m) }
func (l *Len) FloorDiv(m *Len) *Len { return lenBin(lFloorDiv, l, m) }
func (l *Len) CeilDiv(m *Len) *Len  { return lenBin(lCeilDiv, l, m) }
func (l *Len) Pow(m *Len) *Len      { return lenBin(lPow, l, m) }

// Binom returns the binomial coefficient C(l, m): the number of monomials
// of total degree at most k in n variables is C(n + k, k).
func (l *Len) Binom(m *Len) *Len { return lenBin(lBinom, l, m) }

func (l *Len) prec() int {
	switch l.resolve().op {
	case lAdd, lSub:
		return 1
	case lMul:
		return 2
	case lPow:
		return 3
	}
	return 4
}

// String renders l in the language's own notation: "d", "10^d",
// "5^d - 1", "floor(d/2)", "w" for an unresolved [*] length of w.
func (l *Len) String() string {
	l = l.resolve()
	if l == nil {
		return "?"
	}
	sub := func(x *Len, p int) string {
		if x.prec() < p {
			return "(" + x.String() + ")"
		}
		return x.String()
	}
	switch l.op {
	case lConst:
		return strconv.Itoa(l.n)
	case lDim:
		return "d"
	case lVar:
		return "len(" + l.v.name + ")"
	case lAdd:
		return sub(l.a, 1) + " + " + sub(l.b, 1)
	case lSub:
		return sub(l.a, 1) + " - " + sub(l.b, 2)
	case lMul:
		return sub(l.a, 2) + "*" + sub(l.b, 3)
	case lFloorDiv:
		return "floor(" + sub(l.a, 2) + "/" + sub(l.b, 3) + ")"
	case lCeilDiv:
		return "ceil(" + sub(l.a, 2) + "/" + sub(l.b, 3) + ")"
	case lPow:
		return sub(l.a, 4) + "^" + sub(l.b, 4)
	case lBinom:
		return "binom(" + l.a.String() + ", " + l.b.String() + ")"
	}
	return "?"
}

// probeDims are the dimensions at which symbolic lengths are compared.
var probeDims = []int{1, 2, 3, 4, 5, 6, 7, 8}

type cmpResult int

const (
	cmpEqual   cmpResult = iota // equal for every d
	cmpDiffer                   // different for every d
	cmpUnknown                  // depends on d: checked at instantiation
)

// unify makes a and b equal if one is an unresolved inferred length, and
// otherwise compares them at the probe dimensions.
func unify(a, b *Len) cmpResult {
	a, b = a.resolve(), b.resolve()
	if a == b {
		return cmpEqual
	}
	if a.op == lVar {
		if b.occurs(a.v) {
			return cmpUnknown
		}
		a.v.bound = b
		return cmpEqual
	}
	if b.op == lVar {
		if a.occurs(b.v) {
			return cmpUnknown
		}
		b.v.bound = a
		return cmpEqual
	}
	if a.hasFree() || b.hasFree() {
		return cmpUnknown
	}
	eq, ne := 0, 0
	for _, d := range probeDims {
		x, e1 := a.Eval(d)
		y, e2 := b.Eval(d)
		if e1 != nil || e2 != nil {
			return cmpUnknown
		}
		if x == y {
			eq++
		} else {
			ne++
		}
	}
	switch {
	case ne == 0:
		return cmpEqual
	case eq == 0 && a.dependsOnD() != b.dependsOnD():
		// A constant against a length that grows with d (10 against d)
		// may agree at a dimension beyond the probes: the instantiation
		// at the data's dimension decides.
		return cmpUnknown
	case eq == 0:
		return cmpDiffer
	}
	return cmpUnknown
}

func (l *Len) occurs(v *lenVar) bool {
	l = l.resolve()
	switch l.op {
	case lVar:
		return l.v == v
	case lConst, lDim:
		return false
	}
	return l.a.occurs(v) || l.b.occurs(v)
}

// Rank is the rank of a shape.
type Rank int

// The ranks.
const (
	Scalar Rank = iota
	Vector
	Matrix
)

// invalidRank marks the shape of an expression with an error (badShape).
const invalidRank Rank = -1

// invalid reports whether s is the shape of an expression with an error,
// which was reported where it arose.
func (s Shape) invalid() bool { return s.Rank == invalidRank }

// Shape is the shape of an expression's value: a scalar, a vector of Len
// entries, or a matrix of Len rows and Cols columns.
type Shape struct {
	Rank Rank
	Len  *Len // vector length or number of rows
	Cols *Len // matrix columns
}

// scalarShape is the shape of a scalar.
var scalarShape = Shape{}

// vectorShape returns the shape of a vector of length n.
func vectorShape(n *Len) Shape { return Shape{Rank: Vector, Len: n} }

// matrixShape returns the shape of a rows×cols matrix.
func matrixShape(rows, cols *Len) Shape { return Shape{Rank: Matrix, Len: rows, Cols: cols} }

// String renders the shape: "scalar", "vector[d]", "matrix[10^d, d]".
func (s Shape) String() string {
	switch s.Rank {
	case Scalar:
		return "scalar"
	case Vector:
		return "vector[" + s.Len.String() + "]"
	}
	return "matrix[" + s.Len.String() + ", " + s.Cols.String() + "]"
}

// rankName is "a scalar", "a vector", "a matrix".
func (s Shape) rankName() string {
	switch s.Rank {
	case Scalar:
		return "a scalar"
	case Vector:
		return "a vector"
	}
	return "a matrix"
}
