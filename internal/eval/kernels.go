package eval

import (
	"github.com/jko-org/jko/internal/gemm"
	"math"

	"github.com/jko-org/jko/internal/ir"
)

// exec runs one instruction over n particles.
func exec(in *instr, n int, refs [][]float64) {
	out := refs[in.out][:n*in.size]
	op := in.op
	switch {
	case op == opAxpy:
		axpy(in, out, refs)
		return
	case op == opSoftSig:
		softSig(out, refs[in.out2][:len(out)], refs[in.args[0].ref][:len(out)])
		return
	case op == opGauss:
		a := in.args[0]
		gaussExec(in.gauss, out, refs[a.ref], stride(a), n)
		return
	case op.IsUnary():
		unary(op, in.p, out, refs[in.args[0].ref][:len(out)])
		return
	case op.IsBinary():
		binary(op, out, in.args[0], in.args[1], n, in.size, refs)
		return
	}
	a := in.args[0]
	av := refs[a.ref]
	as := stride(a)
	switch op {
	case ir.OpSum:
		// Same order as the reference: ((0 + a0) + a1) + ...
		switch {
		case a.size == 2 && as == 2:
			av = av[:2*n]
			for q := range out {
				out[q] = 0 + av[2*q] + av[2*q+1]
			}
			return
		case a.size == 3 && as == 3:
			av = av[:3*n]
			for q := range out {
				out[q] = 0 + av[3*q] + av[3*q+1] + av[3*q+2]
			}
			return
		}
		for q := range n {
			s := 0.0
			for _, x := range av[q*as : q*as+a.size] {
				s += x
			}
			out[q] = s
		}
	case ir.OpProd:
		for q := range n {
			s := 1.0
			for _, x := range av[q*as : q*as+a.size] {
				s *= x
			}
			out[q] = s
		}
	case ir.OpIndex:
		for q := range n {
			out[q] = av[q*as+in.i]
		}
	case ir.OpSlice:
		m := in.size
		for q := range n {
			copy(out[q*m:(q+1)*m], av[q*as+in.i:q*as+in.j])
		}
	case ir.OpPad:
		m := in.size
		clear(out)
		for q := range n {
			copy(out[q*m+in.i:], av[q*as:q*as+a.size])
		}
	case ir.OpBroadcast:
		m := in.size
		for q := range n {
			v := av[q*as]
			o := out[q*m : (q+1)*m]
			for e := range o {
				o[e] = v
			}
		}
	case ir.OpStack:
		m := in.size
		for i, b := range in.args {
			bv, bs := refs[b.ref], stride(b)
			for q := range n {
				out[q*m+i] = bv[q*bs]
			}
		}
	case ir.OpConcat:
		m := in.size
		off := 0
		for _, b := range in.args {
			bv, bs := refs[b.ref], stride(b)
			for q := range n {
				copy(out[q*m+off:q*m+off+b.size], bv[q*bs:q*bs+b.size])
			}
			off += b.size
		}
	case ir.OpMatVec:
		b := in.args[1]
		matVec(out, av, as, refs[b.ref], stride(b), n, in.size, in.cols)
	case ir.OpMatTVec:
		b := in.args[1]
		matTVec(out, av, as, refs[b.ref], stride(b), n, b.size, in.cols)
	case ir.OpOuter:
		b := in.args[1]
		bv, bs := refs[b.ref], stride(b)
		m := in.size
		for q := range n {
			o := out[q*m : (q+1)*m]
			u := av[q*as : q*as+a.size]
			v := bv[q*bs : q*bs+b.size]
			for i, ui := range u {
				row := o[i*len(v) : (i+1)*len(v)]
				for j, vj := range v {
					row[j] = ui * vj
				}
			}
		}
	case ir.OpSqDist:
		b := in.args[1]
		bv, bs := refs[b.ref], stride(b)
		m, c := in.size, in.cols
		for q := range n {
			o := out[q*m : (q+1)*m]
			C := av[q*as : q*as+a.size]
			x := bv[q*bs : q*bs+c]
			for i := range o {
				row := C[i*c : (i+1)*c]
				s := 0.0
				for j, xj := range x {
					d := xj - row[j]
					s += d * d
				}
				o[i] = s
			}
		}
	default:
		panic("eval: unexpected op " + op.String())
	}
}

// stride is the per-particle stride of an operand (0 when uniform).
func stride(a operand) int {
	if a.mode == mV || a.mode == mVS {
		return a.size
	}
	return 0
}

// gemmMin is the number of particles from which a product with a uniform
// matrix runs as one matrix–matrix product over the chunk.
const gemmMin = 8

func matVec(out, w []float64, ws int, v []float64, vs, n, m, c int) {
	if ws == 0 && vs == c && n >= gemmMin {
		gemm.Gemm(false, true, n, m, c, 1, v, w, 0, out) // out (n×m) = V (n×c) · Wᵀ
		return
	}
	for q := range n {
		W := w[q*ws : q*ws+m*c]
		x := v[q*vs : q*vs+c]
		o := out[q*m : (q+1)*m]
		for i := range o {
			row := W[i*c : (i+1)*c]
			s := 0.0
			for j, xj := range x {
				s += row[j] * xj
			}
			o[i] = s
		}
	}
}

func matTVec(out, w []float64, ws int, u []float64, us, n, m, c int) {
	if ws == 0 && us == m && n >= gemmMin {
		gemm.Gemm(false, false, n, c, m, 1, u, w, 0, out) // out (n×c) = U (n×m) · W
		return
	}
	for q := range n {
		W := w[q*ws : q*ws+m*c]
		x := u[q*us : q*us+m]
		o := out[q*c : (q+1)*c]
		clear(o)
		for i, xi := range x {
			row := W[i*c : (i+1)*c]
			for j := range o {
				o[j] += row[j] * xi
			}
		}
	}
}

func unary(op ir.Op, p float64, out, a []float64) {
	switch op {
	case ir.OpNeg:
		for i, x := range a {
			out[i] = -x
		}
	case ir.OpPow:
		switch p {
		case 2:
			for i, x := range a {
				out[i] = x * x
			}
		case 3:
			for i, x := range a {
				out[i] = x * (x * x)
			}
		case 4:
			for i, x := range a {
				x2 := x * x
				out[i] = x2 * x2
			}
		case -1:
			for i, x := range a {
				out[i] = 1 / x
			}
		default:
			for i, x := range a {
				out[i] = ir.PowC(x, p)
			}
		}
	case ir.OpExp:
		for i, x := range a {
			out[i] = math.Exp(x)
		}
	case ir.OpLog:
		for i, x := range a {
			out[i] = math.Log(x)
		}
	case ir.OpSqrt:
		for i, x := range a {
			out[i] = math.Sqrt(x)
		}
	case ir.OpAbs:
		for i, x := range a {
			out[i] = math.Abs(x)
		}
	case ir.OpSin:
		for i, x := range a {
			out[i] = math.Sin(x)
		}
	case ir.OpCos:
		for i, x := range a {
			out[i] = math.Cos(x)
		}
	case ir.OpTanh:
		for i, x := range a {
			out[i] = math.Tanh(x)
		}
	case ir.OpSigmoid:
		sigmoids(out, a)
	case ir.OpSoftplus:
		softpluses(out, a)
	case ir.OpRelu:
		for i, x := range a {
			out[i] = ir.Relu(x)
		}
	case ir.OpStep:
		for i, x := range a {
			out[i] = ir.Step(x)
		}
	default:
		for i, x := range a {
			out[i] = ir.Unary(op, p, x)
		}
	}
}

// binary runs an elementwise binary op; size is the per-particle size.
func binary(op ir.Op, out []float64, a, b operand, n, size int, refs [][]float64) {
	av, bv := refs[a.ref], refs[b.ref]
	switch {
	case a.mode == mV && b.mode == mV:
		binVV(op, out, av[:len(out)], bv[:len(out)])
	case a.mode == mV && b.mode == mUS:
		binVS(op, out, av[:len(out)], bv[0])
	case a.mode == mUS && b.mode == mV:
		binSV(op, out, av[0], bv[:len(out)])
	case a.mode == mV && b.mode == mU:
		for q := range n {
			binVV(op, out[q*size:(q+1)*size], av[q*size:(q+1)*size], bv[:size])
		}
	case a.mode == mU && b.mode == mV:
		for q := range n {
			binVV(op, out[q*size:(q+1)*size], av[:size], bv[q*size:(q+1)*size])
		}
	case a.mode == mV && b.mode == mVS:
		for q := range n {
			binVS(op, out[q*size:(q+1)*size], av[q*size:(q+1)*size], bv[q])
		}
	case a.mode == mVS && b.mode == mV:
		for q := range n {
			binSV(op, out[q*size:(q+1)*size], av[q], bv[q*size:(q+1)*size])
		}
	case a.mode == mVS && b.mode == mU:
		for q := range n {
			binSV(op, out[q*size:(q+1)*size], av[q], bv[:size])
		}
	case a.mode == mU && b.mode == mVS:
		for q := range n {
			binVS(op, out[q*size:(q+1)*size], av[:size], bv[q])
		}
	default:
		as, bs := stride(a), stride(b)
		for q := range n {
			for e := range size {
				var x, y float64
				if a.size == 1 {
					x = av[q*as]
				} else {
					x = av[q*as+e]
				}
				if b.size == 1 {
					y = bv[q*bs]
				} else {
					y = bv[q*bs+e]
				}
				out[q*size+e] = ir.Binary(op, x, y)
			}
		}
	}
}

func binVV(op ir.Op, out, a, b []float64) {
	b = b[:len(a)]
	out = out[:len(a)]
	switch op {
	case ir.OpAdd:
		for i, x := range a {
			out[i] = x + b[i]
		}
	case ir.OpSub:
		for i, x := range a {
			out[i] = x - b[i]
		}
	case ir.OpMul:
		for i, x := range a {
			out[i] = x * b[i]
		}
	case ir.OpDiv:
		for i, x := range a {
			out[i] = x / b[i]
		}
	default:
		for i, x := range a {
			out[i] = ir.Binary(op, x, b[i])
		}
	}
}

func binVS(op ir.Op, out, a []float64, s float64) {
	out = out[:len(a)]
	switch op {
	case ir.OpAdd:
		for i, x := range a {
			out[i] = x + s
		}
	case ir.OpSub:
		for i, x := range a {
			out[i] = x - s
		}
	case ir.OpMul:
		for i, x := range a {
			out[i] = x * s
		}
	case ir.OpDiv:
		for i, x := range a {
			out[i] = x / s
		}
	default:
		for i, x := range a {
			out[i] = ir.Binary(op, x, s)
		}
	}
}

func binSV(op ir.Op, out []float64, s float64, b []float64) {
	out = out[:len(b)]
	switch op {
	case ir.OpAdd:
		for i, x := range b {
			out[i] = s + x
		}
	case ir.OpSub:
		for i, x := range b {
			out[i] = s - x
		}
	case ir.OpMul:
		for i, x := range b {
			out[i] = s * x
		}
	case ir.OpDiv:
		for i, x := range b {
			out[i] = s / x
		}
	default:
		for i, x := range b {
			out[i] = ir.Binary(op, s, x)
		}
	}
}

// axpy computes sy*y + (sk*c)*x^px; the product is rounded before the sum
// (no fused multiply-add) and x^px is computed as by Pow, so the result
// equals that of the unfused instructions. sy*y is exact (sy = ±1).
func axpy(in *instr, out []float64, refs [][]float64) {
	y, x, c := in.args[0], in.args[1], in.args[2]
	k := float64(in.i) * refs[c.ref][0]
	sy := in.p
	xv := refs[x.ref][:len(out)]
	if y.mode != mV {
		ys := sy * refs[y.ref][0]
		switch in.j {
		case 1:
			for i, v := range xv {
				out[i] = ys + float64(k*v)
			}
		case 2:
			for i, v := range xv {
				out[i] = ys + float64(k*(v*v))
			}
		case 3:
			for i, v := range xv {
				out[i] = ys + float64(k*(v*(v*v)))
			}
		default:
			for i, v := range xv {
				v2 := v * v
				out[i] = ys + float64(k*(v2*v2))
			}
		}
		return
	}
	yv := refs[y.ref][:len(out)]
	switch in.j {
	case 1:
		for i, v := range xv {
			out[i] = sy*yv[i] + float64(k*v)
		}
	case 2:
		for i, v := range xv {
			out[i] = sy*yv[i] + float64(k*(v*v))
		}
	case 3:
		for i, v := range xv {
			out[i] = sy*yv[i] + float64(k*(v*(v*v)))
		}
	default:
		for i, v := range xv {
			v2 := v * v
			out[i] = sy*yv[i] + float64(k*(v2*v2))
		}
	}
}

// softplus is ir.Softplus, log(1 + eˣ) = max(x, 0) + log1p(e^−|x|), with
// log1p(e) for e in [0, 1] as log(u)·e/(u − 1), u = 1 + e (accurate to a
// few ulps, Goldberg 1991), through the assembly Log instead of the
// slower Log1p.
func softplus(x float64) float64 {
	e := math.Exp(-math.Abs(x))
	u := 1 + e
	l := e
	if u != 1 {
		l = math.Log(u) * (e / (u - 1))
	}
	if x > 0 {
		return x + l
	}
	if x != x {
		return x
	}
	return l
}
