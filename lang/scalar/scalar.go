// Package scalar is the one definition of the language's scalar
// functions: the value of every elementwise built-in (sigmoid, softplus,
// relu, min, max, …) and of the power x^p. Constant folding in the checker
// (package lang), folding in the expression graph (internal/ir) and the
// evaluator (internal/eval) all call these functions, so a constant folded
// at check time equals, to the last bit, the same expression evaluated at
// run time.
package scalar

import "math"

// Sigmoid returns 1/(1+e^−x), computed without overflow.
func Sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// Softplus returns log(1+e^x), computed without overflow.
func Softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// Relu returns max(x, 0) (NaN for NaN).
func Relu(x float64) float64 {
	if x > 0 {
		return x
	}
	if x != x {
		return x
	}
	return 0
}

// Sign returns −1, 0 or 1 (NaN for NaN).
func Sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	case x == 0:
		return 0
	}
	return x
}

// Step returns 1 for x > 0 and 0 otherwise (NaN for NaN).
func Step(x float64) float64 {
	if x > 0 {
		return 1
	}
	if x != x {
		return x
	}
	return 0
}

// Min returns the smaller of a and b, a on ties; NaN if either is NaN.
func Min(a, b float64) float64 {
	if b < a {
		return b
	}
	if b != b {
		return b
	}
	return a
}

// Max returns the larger of a and b, a on ties; NaN if either is NaN.
func Max(a, b float64) float64 {
	if b > a {
		return b
	}
	if b != b {
		return b
	}
	return a
}

// Powi returns x^n for an integer n by repeated squaring (the semantics of
// Pow with an integral exponent; exact for n = 2).
func Powi(x float64, n int) float64 {
	if n < 0 {
		return 1 / Powi(x, -n)
	}
	r := 1.0
	for n > 0 {
		if n&1 != 0 {
			r *= x
		}
		n >>= 1
		if n > 0 {
			x *= x
		}
	}
	return r
}

// PowC returns x^p with the semantics of the Pow node: integral exponents
// with |p| ≤ 64 by Powi, p = 0.5 as Sqrt, others by math.Pow.
func PowC(x, p float64) float64 {
	if p == math.Trunc(p) && math.Abs(p) <= 64 {
		return Powi(x, int(p))
	}
	if p == 0.5 {
		return math.Sqrt(x)
	}
	return math.Pow(x, p)
}

// Unary maps the name of each elementwise built-in of one argument to its
// function.
var Unary = map[string]func(float64) float64{
	"exp": math.Exp, "log": math.Log, "sqrt": math.Sqrt, "abs": math.Abs,
	"sin": math.Sin, "cos": math.Cos, "tan": math.Tan, "tanh": math.Tanh,
	"sigmoid": Sigmoid, "softplus": Softplus, "relu": Relu,
	"floor": math.Floor, "ceil": math.Ceil, "sign": Sign, "heaviside": Step,
}

// Binary maps the name of each elementwise built-in of two arguments to
// its function.
var Binary = map[string]func(a, b float64) float64{
	"atan2": math.Atan2, "min": Min, "max": Max,
}
