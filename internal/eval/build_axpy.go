package eval

import (
	"math"

	"github.com/jko-org/jko/internal/ir"
)

// opAxpy is the fused instruction sy*y + (sk*c)*x^px of the evaluator (not
// an ir op): args y (varying or uniform scalar), x (varying), c (uniform
// scalar); p holds sy = ±1, i holds sk = ±1 and j holds px ∈ {1, 2, 3, 4}.
const opAxpy ir.Op = 255

type fusion struct {
	y, x, c ir.NodeID
	sy, px  float64 // sign of y, power of x (1, 2, 3 or 4)
	sk      int     // sign of the product
}

func isOutputNode(outs []ir.NodeID, id ir.NodeID) bool {
	for _, o := range outs {
		if o == id {
			return true
		}
	}
	return false
}

// fuseAxpy fuses y ± c*x (c a uniform scalar, the product used once) into
// one instruction, absorbing an integral power x = z^p (p = 2, 3, 4) used
// only there.
func (b *builder) fuseAxpy() {
	g, varying, uses, skip := b.g, b.varying, b.uses, b.skip
	scalarLike := func(a ir.NodeID) bool {
		return !varying[a] && (g.Shape(a).Size() == 1 || isFill(g.ConstValue(a)))
	}
	for _, id := range b.vcode {
		nd := g.Node(id)
		if nd.Op != ir.OpAdd && nd.Op != ir.OpSub {
			continue
		}
		ea := b.eff(id)
		for side := range 2 {
			m, y := ea[side], ea[1-side]
			mn := g.Node(m)
			if mn.Op != ir.OpMul || !varying[m] || uses[m] != 1 || skip[m] || m == y || g.Shape(m) != nd.Shape {
				continue
			}
			if !(varying[y] && g.Shape(y) == nd.Shape) && !scalarLike(y) {
				continue
			}
			me := b.eff(m)
			c, x := me[0], me[1]
			if !scalarLike(c) {
				c, x = x, c
			}
			if !scalarLike(c) || !varying[x] || g.Shape(x) != nd.Shape {
				continue
			}
			f := fusion{y: y, x: x, c: c, sy: 1, sk: 1, px: 1}
			// Absorb an integral power of x used only here: y ± c·x^p.
			if xn := g.Node(x); xn.Op == ir.OpPow && uses[x] == 1 && x != y && !isOutputNode(b.p.outputs, x) &&
				xn.P == math.Trunc(xn.P) && xn.P >= 2 && xn.P <= 4 {
				f.x, f.px = xn.Args[0], xn.P
				skip[x] = true
			}
			if nd.Op == ir.OpSub {
				if side == 0 {
					f.sy = -1 // c*x − y
				} else {
					f.sk = -1 // y − c*x
				}
			}
			b.fused[id] = f
			skip[m] = true
			break
		}
	}
}
