package lang

import "sort"

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

// Builtin describes a built-in function. MaxArgs < 0 means no upper limit.
type Builtin struct {
	Name    string
	Kind    BuiltinKind
	MinArgs int
	MaxArgs int
}

var builtins = map[string]*Builtin{}

func init() {
	for _, n := range []string{"exp", "log", "sqrt", "abs", "sin", "cos", "tan", "tanh", "sigmoid", "softplus", "relu", "floor", "ceil"} {
		builtins[n] = &Builtin{n, Elementwise1, 1, 1}
	}
	for _, n := range []string{"atan2", "min", "max"} {
		builtins[n] = &Builtin{n, Elementwise2, 2, 2}
	}
	for _, n := range []string{"sum", "mean", "prod", "norm", "norm2", "len"} {
		builtins[n] = &Builtin{n, Reduce, 1, 1}
	}
	builtins["dot"] = &Builtin{"dot", Dot, 2, 2}
	builtins["monomials"] = &Builtin{"monomials", Monomials, 2, 2}
	builtins["grid"] = &Builtin{"grid", Grid, 3, 3}
	builtins["bumps"] = &Builtin{"bumps", Bumps, 3, 3}
	builtins["mlp"] = &Builtin{"mlp", MLP, 2, -1}
	builtins["polynomials"] = &Builtin{"polynomials", Polynomials, 2, 2}
	builtins["concat"] = &Builtin{"concat", Concat, 1, -1}
}

// LookupBuiltin returns the built-in function called name, or nil.
func LookupBuiltin(name string) *Builtin { return builtins[name] }

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
