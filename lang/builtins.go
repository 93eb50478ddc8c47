package lang

import (
	"sort"

	"github.com/jko-org/jko/lang/scalar"
)

// BuiltinKind groups built-in functions by how they treat shapes.
type BuiltinKind int

// The kinds of built-in functions.
const (
	Elementwise1 BuiltinKind = iota // f(x): same shape as x
	Elementwise2                    // f(a, b): broadcast like a binary operator
	Reduce                          // f(v): vector → scalar
	Dot                             // dot(u, v): two equal-length vectors → scalar
	Monomials                       // monomials(x, k) → vector[(k+1)^len(x) - 1]
	Grid                            // grid(lo, hi, n) → matrix[n^d, d]
	Bumps                           // bumps(x, C, s) → vector[rows(C)]
	MLP                             // mlp(x, h1, h2, ...) → scalar
	Polynomials                     // polynomials(x, k) → vector[C(len(x)+k, k) - 1]
	Concat                          // concat(a, b, ...): scalars and vectors → one vector
)

// Builtin describes a built-in function: one row of the table below,
// which holds everything the front end knows of it. (The compiler's
// lowering table in compile/lower.go maps each name to the graph
// operation, whose derivative lives with the operation in internal/ir.)
type Builtin struct {
	Name    string
	Kind    BuiltinKind
	MinArgs int
	MaxArgs int // < 0: no upper limit
	// Value1 and Value2 compute an elementwise built-in of one or two
	// arguments (from lang/scalar, which the evaluator shares); nil for
	// the others, which constant folding leaves alone.
	Value1 func(float64) float64
	Value2 func(a, b float64) float64
	// shape is the shape rule: it checks the arguments' shapes and
	// returns the result's (badShape after reporting an error).
	shape func(builtinCall) Shape
	// firstArgOnly: only the first argument is an expression to check
	// (the others are mlp's widths, read by the shape rule).
	firstArgOnly bool
	arityHint    string
}

var builtins = map[string]*Builtin{}

func init() {
	add := func(b Builtin) { builtins[b.Name] = &b }
	for _, n := range []string{"exp", "log", "sqrt", "abs", "sin", "cos", "tan", "tanh", "sigmoid", "softplus", "relu", "floor", "ceil", "sign", "heaviside"} {
		add(Builtin{Name: n, Kind: Elementwise1, MinArgs: 1, MaxArgs: 1, Value1: scalar.Unary[n], shape: shapeSame})
	}
	for _, n := range []string{"atan2", "min", "max"} {
		add(Builtin{Name: n, Kind: Elementwise2, MinArgs: 2, MaxArgs: 2, Value2: scalar.Binary[n], shape: shapeBroadcast})
	}
	for _, n := range []string{"sum", "mean", "prod", "norm", "norm2", "len"} {
		add(Builtin{Name: n, Kind: Reduce, MinArgs: 1, MaxArgs: 1, shape: shapeReduce})
	}
	add(Builtin{Name: "dot", Kind: Dot, MinArgs: 2, MaxArgs: 2, shape: shapeDot})
	add(Builtin{Name: "monomials", Kind: Monomials, MinArgs: 2, MaxArgs: 2, shape: shapeMonomials})
	add(Builtin{Name: "polynomials", Kind: Polynomials, MinArgs: 2, MaxArgs: 2, shape: shapePolynomials})
	add(Builtin{Name: "concat", Kind: Concat, MinArgs: 1, MaxArgs: -1, shape: shapeConcat})
	add(Builtin{Name: "grid", Kind: Grid, MinArgs: 3, MaxArgs: 3, shape: shapeGrid})
	add(Builtin{Name: "bumps", Kind: Bumps, MinArgs: 3, MaxArgs: 3, shape: shapeBumps})
	add(Builtin{Name: "mlp", Kind: MLP, MinArgs: 2, MaxArgs: -1, shape: shapeMLP, firstArgOnly: true,
		arityHint: "mlp(x, h1, h2, ...) takes the input and at least one hidden width"})
}

// lookupBuiltin returns the built-in function called name, or nil.
func lookupBuiltin(name string) *Builtin { return builtins[name] }

// BuiltinNames returns the names of all built-in functions, sorted.
func BuiltinNames() []string {
	var ns []string
	for n := range builtins {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// closest returns the candidate nearest to name (ties: alphabetical), or ""
// when none is close enough to be a plausible typo.
func closest(name string, candidates []string) string {
	best, bd := "", len(name)/2+1
	if bd > 3 {
		bd = 3
	}
	sort.Strings(candidates)
	for _, c := range candidates {
		if c == name {
			continue
		}
		if d := editDistance(name, c); d < bd {
			best, bd = c, d
		}
	}
	return best
}
