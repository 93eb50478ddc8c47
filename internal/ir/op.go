package ir

import (
	"math"

	"github.com/jko-org/jko/lang/scalar"
)

// Op is the operation of a node.
type Op uint8

// The operations. Elementwise binary operations take operands of equal
// shape (the constructors broadcast a scalar operand explicitly).
const (
	OpInvalid Op = iota
	OpConst      // constant payload
	OpInput      // named input
	OpParam      // named learnable block

	// Elementwise binary.
	OpAdd
	OpSub
	OpMul
	OpDiv
	OpPowE  // x^y, general real exponent: x > 0 (or y integral)
	OpAtan2 // atan2(y, x)
	OpMin   // ties: first argument
	OpMax   // ties: first argument

	// Elementwise unary.
	OpNeg
	OpPow // x^P, constant exponent (integer exponents by multiplication)
	OpExp
	OpLog
	OpSqrt
	OpAbs
	OpSin
	OpCos
	OpTan
	OpTanh
	OpSigmoid
	OpSoftplus
	OpRelu
	OpSign  // -1, 0, 1
	OpStep  // Heaviside: 1 for x > 0, else 0
	OpFloor // ⌊x⌋
	OpCeil  // ⌈x⌉

	// Structure and linear algebra.
	OpSum       // any shape → scalar
	OpProd      // vector → scalar
	OpIndex     // vector → scalar entry I
	OpSlice     // vector → entries [I, J)
	OpPad       // vector[k] → vector[J] with the operand at offset I, zeros elsewhere
	OpStack     // scalars → vector
	OpConcat    // vectors → vector
	OpBroadcast // scalar → any shape
	OpMatVec    // W[m,n] v[n] → [m]
	OpMatTVec   // Wᵀ u: W[m,n] u[m] → [n]
	OpOuter     // u[m] v[n] → [m,n]
	OpSqDist    // C[m,n], x[n] → [m]: ‖x − c_i‖²

	numOps
)

var opNames = [numOps]string{
	OpInvalid: "invalid", OpConst: "const", OpInput: "input", OpParam: "param",
	OpAdd: "add", OpSub: "sub", OpMul: "mul", OpDiv: "div", OpPowE: "pow",
	OpAtan2: "atan2", OpMin: "min", OpMax: "max", OpNeg: "neg", OpPow: "pow",
	OpExp: "exp", OpLog: "log", OpSqrt: "sqrt", OpAbs: "abs", OpSin: "sin",
	OpCos: "cos", OpTan: "tan", OpTanh: "tanh", OpSigmoid: "sigmoid",
	OpSoftplus: "softplus", OpRelu: "relu", OpSign: "sign", OpStep: "heaviside",
	OpFloor: "floor", OpCeil: "ceil", OpSum: "sum", OpProd: "prod",
	OpIndex: "index", OpSlice: "slice", OpPad: "pad", OpStack: "stack",
	OpConcat: "concat", OpBroadcast: "broadcast", OpMatVec: "matvec",
	OpMatTVec: "mattvec", OpOuter: "outer", OpSqDist: "sqdist",
}

// String returns the op's name (the language's function name where there
// is one).
func (o Op) String() string {
	if o < numOps {
		return opNames[o]
	}
	return "op?"
}

// IsUnary reports whether o is an elementwise unary operation.
func (o Op) IsUnary() bool { return o >= OpNeg && o <= OpCeil }

// IsBinary reports whether o is an elementwise binary operation.
func (o Op) IsBinary() bool { return o >= OpAdd && o <= OpMax }

// The scalar functions of the language live in package scalar; the
// evaluator reaches them through these names.

// Sigmoid is scalar.Sigmoid.
func Sigmoid(x float64) float64 { return scalar.Sigmoid(x) }

// Softplus is scalar.Softplus.
func Softplus(x float64) float64 { return scalar.Softplus(x) }

// Relu is scalar.Relu.
func Relu(x float64) float64 { return scalar.Relu(x) }

// Sign is scalar.Sign.
func Sign(x float64) float64 { return scalar.Sign(x) }

// Step is scalar.Step.
func Step(x float64) float64 { return scalar.Step(x) }

// Min is scalar.Min.
func Min(a, b float64) float64 { return scalar.Min(a, b) }

// Max is scalar.Max.
func Max(a, b float64) float64 { return scalar.Max(a, b) }

// Powi is scalar.Powi.
func Powi(x float64, n int) float64 { return scalar.Powi(x, n) }

// PowC is scalar.PowC, the semantics of the Pow node.
func PowC(x, p float64) float64 { return scalar.PowC(x, p) }

// Unary applies the elementwise unary operation op (p is the exponent of
// OpPow) to x.
func Unary(op Op, p, x float64) float64 {
	switch op {
	case OpNeg:
		return -x
	case OpPow:
		return PowC(x, p)
	case OpExp:
		return math.Exp(x)
	case OpLog:
		return math.Log(x)
	case OpSqrt:
		return math.Sqrt(x)
	case OpAbs:
		return math.Abs(x)
	case OpSin:
		return math.Sin(x)
	case OpCos:
		return math.Cos(x)
	case OpTan:
		return math.Tan(x)
	case OpTanh:
		return math.Tanh(x)
	case OpSigmoid:
		return Sigmoid(x)
	case OpSoftplus:
		return Softplus(x)
	case OpRelu:
		return Relu(x)
	case OpSign:
		return Sign(x)
	case OpStep:
		return Step(x)
	case OpFloor:
		return math.Floor(x)
	case OpCeil:
		return math.Ceil(x)
	}
	panic("ir: not a unary op: " + op.String())
}

// Binary applies the elementwise binary operation op to a and b.
func Binary(op Op, a, b float64) float64 {
	switch op {
	case OpAdd:
		return a + b
	case OpSub:
		return a - b
	case OpMul:
		return a * b
	case OpDiv:
		return a / b
	case OpPowE:
		return math.Pow(a, b)
	case OpAtan2:
		return math.Atan2(a, b)
	case OpMin:
		return Min(a, b)
	case OpMax:
		return Max(a, b)
	}
	panic("ir: not a binary op: " + op.String())
}
