package eval

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/jko-org/jko/internal/ir"
	"github.com/jko-org/jko/internal/parallel"
)

// ChunkSize is the number of particles processed by one instruction loop.
const ChunkSize = 256

// chunkFor returns the chunk size for n particles: ChunkSize, or for a
// small batch (a network's mini-batch of 256 is one chunk) a quarter of it
// rounded up to a multiple of 16, at least 32, so that the cores share it.
// It depends on n only, so results do not depend on the number of cores.
func chunkFor(n int) int {
	if n >= 4*ChunkSize {
		return ChunkSize
	}
	c := (n + 3) / 4
	c = (c + 15) / 16 * 16
	return min(ChunkSize, max(32, c))
}

// maxBlocks bounds the number of partial sums of a reduction.
const maxBlocks = 64

// Program evaluates some nodes of a graph in batches. It is safe for
// concurrent use; the graph must not change while the Program is used
// (nodes added after Compile are ignored).
type Program struct {
	g       *ir.Graph
	outputs []ir.NodeID
	order   []ir.NodeID // reachable nodes in topological order

	mu    sync.Mutex
	plans map[string]*plan
}

// Compile returns a program computing the given output nodes.
func Compile(g *ir.Graph, outputs []ir.NodeID) *Program {
	reach := g.Reachable(outputs...)
	p := &Program{g: g, outputs: append([]ir.NodeID(nil), outputs...), plans: map[string]*plan{}}
	for id, r := range reach {
		if r {
			p.order = append(p.order, ir.NodeID(id))
		}
	}
	return p
}

// Outputs returns the output nodes.
func (p *Program) Outputs() []ir.NodeID { return p.outputs }

// Graph returns the graph the program evaluates (its output nodes are
// nodes of it).
func (p *Program) Graph() *ir.Graph { return p.g }

// Inputs are the values of the leaves for one evaluation.
type Inputs struct {
	// N is the number of particles.
	N int
	// Varying binds inputs that differ per particle: N×size values,
	// row-major (particle i at [i*size, (i+1)*size)).
	Varying map[string][]float64
	// Shared binds params and inputs common to all particles (size values).
	Shared map[string][]float64
}

// operand modes.
const (
	mV  = iota // varying, full size per particle
	mU         // uniform, full size
	mUS        // uniform scalar broadcast to the size
	mVS        // varying scalar broadcast to the size
)

type operand struct {
	ref  int // index into the worker's reference table
	mode uint8
	size int // per-particle size of the referenced value
}

type instr struct {
	op    ir.Op
	out   int // reference of the output (a slot)
	size  int // per-particle output size
	args  []operand
	p     float64
	i, j  int
	out2  int // opSoftSig: the reference of the sigmoid
	cols  int // columns of the matrix operand (MatVec, MatTVec, SqDist), or of Outer
	node  ir.NodeID
	gauss *gaussGrid // opGauss
}

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

// plan is a program specialised to one set of varying inputs.
type plan struct {
	uniform []ir.NodeID // uniform nodes to compute, topological
	code    []instr     // varying instructions
	slots   []int       // per-particle size of each scratch slot (refs 0..len-1)
	inputs  []varInput  // refs len(slots)...
	urefs   []ir.NodeID // uniform values referenced by code or outputs, refs after inputs
	outs    []operand   // location of each output
	direct  []bool      // output k is written in place, at ref outBase+k
	outBase int
	// outer[k], when non-empty, reduces output k as Σ ±Uᵀ V by matrix
	// products (Reduce only).
	outer [][]outerRef
	pool  sync.Pool // *worker
	sums  sync.Pool // *[]float64, Reduce's partial sums
}

type varInput struct {
	name string
	size int
}

func (p *Program) plan(in *Inputs, reduce bool) (*plan, error) {
	names := make([]string, 0, len(in.Varying))
	for k := range in.Varying {
		names = append(names, k)
	}
	sort.Strings(names)
	key := strings.Join(names, "\x00")
	if reduce {
		key += "\x01reduce"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if pl, ok := p.plans[key]; ok {
		return pl, nil
	}
	pl := p.build(in.Varying, reduce)
	p.plans[key] = pl
	return pl, nil
}

func (p *Program) build(vary map[string][]float64, reduce bool) *plan {
	g := p.g
	n := g.Len()
	varying := make([]bool, n)
	for _, id := range p.order {
		nd := g.Node(id)
		if nd.Op == ir.OpInput {
			_, varying[id] = vary[nd.Name]
			continue
		}
		for _, a := range nd.Args {
			if varying[a] {
				varying[id] = true
				break
			}
		}
	}
	// Which varying nodes need instructions: walk back from the outputs;
	// binary ops read through a Broadcast.
	need := make([]bool, n)
	// When reducing, an output that is a sum of outer products of varying
	// vectors is reduced by matrix products (Σ_q u_q v_qᵀ = Uᵀ V) and
	// never formed per particle: its vectors are needed instead.
	outerOf := map[int][]outerTerm{}
	if reduce {
		for k, o := range p.outputs {
			if terms, ok := outerTerms(g, varying, o, 1, nil); ok && len(terms) > 0 {
				outerOf[k] = terms
			}
		}
	}
	for k, o := range p.outputs {
		if terms, ok := outerOf[k]; ok {
			for _, t := range terms {
				need[t.u], need[t.v] = true, true
			}
			continue
		}
		need[o] = true
	}
	for k := len(p.order) - 1; k >= 0; k-- {
		id := p.order[k]
		if !need[id] {
			continue
		}
		nd := g.Node(id)
		for _, a := range nd.Args {
			if nd.Op.IsBinary() && varying[id] && g.Op(a) == ir.OpBroadcast {
				need[g.Node(a).Args[0]] = true
			} else {
				need[a] = true
			}
		}
	}
	pl := &plan{}
	ref := map[ir.NodeID]int{} // node → reference, filled later for inputs/uniforms
	// Varying inputs and uniform nodes.
	var inputs, unis []ir.NodeID
	for _, id := range p.order {
		if !need[id] {
			continue
		}
		nd := g.Node(id)
		switch {
		case varying[id] && nd.Op == ir.OpInput:
			inputs = append(inputs, id)
		case !varying[id]:
			unis = append(unis, id)
			if nd.Op != ir.OpInput && nd.Op != ir.OpParam && nd.Op != ir.OpConst {
				pl.uniform = append(pl.uniform, id)
			}
		}
	}
	// Effective operands of the varying instructions (binary ops read
	// through a broadcast scalar).
	eff := func(id ir.NodeID) []ir.NodeID {
		nd := g.Node(id)
		if !nd.Op.IsBinary() {
			return nd.Args
		}
		out := make([]ir.NodeID, len(nd.Args))
		for i, a := range nd.Args {
			if g.Op(a) == ir.OpBroadcast {
				a = g.Node(a).Args[0]
			}
			out[i] = a
		}
		return out
	}
	var vcode []ir.NodeID
	uses := map[ir.NodeID]int{}
	for _, id := range p.order {
		if need[id] && varying[id] && g.Op(id) != ir.OpInput {
			vcode = append(vcode, id)
			for _, a := range eff(id) {
				uses[a]++
			}
		}
	}
	for k, o := range p.outputs {
		if terms, ok := outerOf[k]; ok {
			for _, t := range terms {
				uses[t.u]++
				uses[t.v]++
			}
			continue
		}
		uses[o]++
	}
	// Fuse y ± c*x (c a uniform scalar, the product used once) into one
	// instruction.
	scalarLike := func(a ir.NodeID) bool {
		return !varying[a] && (g.Shape(a).Size() == 1 || isFill(g.ConstValue(a)))
	}
	fused := map[ir.NodeID]fusion{}
	skip := map[ir.NodeID]bool{}
	for _, id := range vcode {
		nd := g.Node(id)
		if nd.Op != ir.OpAdd && nd.Op != ir.OpSub {
			continue
		}
		ea := eff(id)
		for side := range 2 {
			m, y := ea[side], ea[1-side]
			mn := g.Node(m)
			if mn.Op != ir.OpMul || !varying[m] || uses[m] != 1 || skip[m] || m == y || g.Shape(m) != nd.Shape {
				continue
			}
			if !(varying[y] && g.Shape(y) == nd.Shape) && !scalarLike(y) {
				continue
			}
			me := eff(m)
			c, x := me[0], me[1]
			if !scalarLike(c) {
				c, x = x, c
			}
			if !scalarLike(c) || !varying[x] || g.Shape(x) != nd.Shape {
				continue
			}
			f := fusion{y: y, x: x, c: c, sy: 1, sk: 1, px: 1}
			// Absorb an integral power of x used only here: y ± c·x^p.
			if xn := g.Node(x); xn.Op == ir.OpPow && uses[x] == 1 && x != y && !isOutputNode(p.outputs, x) &&
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
			fused[id] = f
			skip[m] = true
			break
		}
	}
	// Gaussian bumps on a tensor grid of centres, exp(−‖x − c_m‖²/s): one
	// instruction computing the d per-axis factors exp(−(x_k − a)²/s) for
	// each grid value a and their products (d·n exponentials per particle
	// in place of n^d).
	gauss := map[ir.NodeID]*gaussGrid{}
	for _, id := range vcode {
		if gg := matchGauss(g, id, varying, uses, p.outputs, skip); gg != nil {
			gauss[id] = gg
			e := g.Node(id)
			dv := g.Node(e.Args[0]).Args[0]
			sq := g.Node(dv).Args[0]
			skip[e.Args[0]], skip[dv], skip[sq] = true, true, true
		}
	}
	if len(skip) > 0 {
		kept := vcode[:0]
		for _, id := range vcode {
			if !skip[id] {
				kept = append(kept, id)
			}
		}
		vcode = kept
		eff0 := eff
		eff = func(id ir.NodeID) []ir.NodeID {
			if f, ok := fused[id]; ok {
				return []ir.NodeID{f.y, f.x, f.c}
			}
			if gg, ok := gauss[id]; ok {
				return []ir.NodeID{gg.x}
			}
			return eff0(id)
		}
	}
	// Softplus and sigmoid of one varying value (a network's activation
	// and its derivative) share exp(−|z|): one instruction computes both,
	// at the first one's place, the other moved up next to it.
	var partner map[ir.NodeID]ir.NodeID
	vcode, partner = pairActivations(g, vcode, eff)
	// Liveness of varying computed values.
	last := map[ir.NodeID]int{}
	for k, id := range vcode {
		for _, a := range eff(id) {
			last[a] = k
		}
	}
	for k, o := range p.outputs {
		if terms, ok := outerOf[k]; ok {
			for _, t := range terms {
				last[t.u], last[t.v] = len(vcode), len(vcode)
			}
			continue
		}
		last[o] = len(vcode)
	}
	// Slot allocation.
	var free []int
	slotOf := map[ir.NodeID]int{}
	// Outputs computed by the varying code are written in place (into the
	// destination, or a per-worker buffer when reducing).
	direct := map[ir.NodeID]int{}
	pl.direct = make([]bool, len(p.outputs))
	for k, o := range p.outputs {
		if _, outer := outerOf[k]; outer {
			continue
		}
		if _, dup := direct[o]; !dup && varying[o] && g.Op(o) != ir.OpInput {
			direct[o] = k
			pl.direct[k] = true
		}
	}
	for k, id := range vcode {
		size := g.Shape(id).Size()
		if _, ok := direct[id]; ok {
			size = 0 // placeholder, no slot
		}
		best := -1
		for fi, s := range free {
			if pl.slots[s] >= size && (best < 0 || pl.slots[s] < pl.slots[free[best]]) {
				best = fi
			}
		}
		if size > 0 {
			var s int
			if best >= 0 {
				s = free[best]
				free = append(free[:best], free[best+1:]...)
			} else {
				s = len(pl.slots)
				pl.slots = append(pl.slots, size)
			}
			slotOf[id] = s
			ref[id] = s
		}
		// Operands whose last use is here die now (after the output is
		// allocated, so an instruction never reads and writes one slot).
		for _, a := range eff(id) {
			if s2, ok := slotOf[a]; ok && last[a] == k {
				free = append(free, s2)
				delete(slotOf, a)
			}
		}
	}
	base := len(pl.slots)
	for i, id := range inputs {
		nd := g.Node(id)
		pl.inputs = append(pl.inputs, varInput{nd.Name, nd.Shape.Size()})
		ref[id] = base + i
	}
	base += len(inputs)
	for i, id := range unis {
		pl.urefs = append(pl.urefs, id)
		ref[id] = base + i
	}
	pl.outBase = base + len(unis)
	for id, k := range direct {
		ref[id] = pl.outBase + k
	}
	mkop := func(a ir.NodeID, binary bool) operand {
		if binary && g.Op(a) == ir.OpBroadcast {
			s := g.Node(a).Args[0]
			if varying[s] {
				return operand{ref: ref[s], mode: mVS, size: 1}
			}
			return operand{ref: ref[s], mode: mUS, size: 1}
		}
		size := g.Shape(a).Size()
		if varying[a] {
			return operand{ref: ref[a], mode: mV, size: size}
		}
		if binary && (size == 1 || isFill(g.ConstValue(a))) {
			return operand{ref: ref[a], mode: mUS, size: 1}
		}
		return operand{ref: ref[a], mode: mU, size: size}
	}
	for _, id := range vcode {
		if q, ok := partner[id]; ok {
			if q == 0 {
				continue // computed with its partner
			}
			sp, sg := id, q
			if g.Op(id) == ir.OpSigmoid {
				sp, sg = q, id
			}
			pl.code = append(pl.code, instr{op: opSoftSig, out: ref[sp], out2: ref[sg], size: g.Shape(id).Size(), node: id,
				args: []operand{mkop(eff(id)[0], false)}})
			continue
		}
		if gg, ok := gauss[id]; ok {
			pl.code = append(pl.code, instr{op: opGauss, out: ref[id], size: g.Shape(id).Size(), node: id,
				args: []operand{mkop(gg.x, false)}, gauss: gg})
			continue
		}
		if f, ok := fused[id]; ok {
			pl.code = append(pl.code, instr{op: opAxpy, out: ref[id], size: g.Shape(id).Size(), node: id,
				args: []operand{mkop(f.y, true), mkop(f.x, true), mkop(f.c, true)}, p: f.sy, i: f.sk, j: int(f.px)})
			continue
		}
		pl.code = append(pl.code, p.instr(id, ref[id], func(a ir.NodeID) operand { return mkop(a, g.Op(id).IsBinary()) }))
	}
	pl.outer = make([][]outerRef, len(p.outputs))
	for k, o := range p.outputs {
		if terms, ok := outerOf[k]; ok {
			for _, t := range terms {
				pl.outer[k] = append(pl.outer[k], outerRef{sign: t.sign,
					u: ref[t.u], v: ref[t.v], m: g.Shape(t.u).Size(), c: g.Shape(t.v).Size()})
			}
			pl.outs = append(pl.outs, operand{size: g.Shape(o).Size(), mode: mV})
			continue
		}
		pl.outs = append(pl.outs, mkop(o, false))
	}
	return pl
}

// outerTerm is one ±u vᵀ of an output that is a sum of outer products.
type outerTerm struct {
	sign float64
	u, v ir.NodeID
}

// outerRef locates the vectors of an outerTerm: u (m per particle) and v
// (c per particle) at references u and v.
type outerRef struct {
	sign float64
	u, v int
	m, c int
}

// outerTerms decomposes id into a sum of ±outer(u, v) with u and v varying
// vectors, through add, sub and neg; ok is false when it is not one.
func outerTerms(g *ir.Graph, varying []bool, id ir.NodeID, sign float64, acc []outerTerm) ([]outerTerm, bool) {
	nd := g.Node(id)
	switch nd.Op {
	case ir.OpOuter:
		u, v := nd.Args[0], nd.Args[1]
		if !varying[u] || !varying[v] {
			return nil, false
		}
		return append(acc, outerTerm{sign, u, v}), true
	case ir.OpAdd, ir.OpSub:
		a, b := nd.Args[0], nd.Args[1]
		if g.Shape(a) != nd.Shape || g.Shape(b) != nd.Shape {
			return nil, false
		}
		acc, ok := outerTerms(g, varying, a, sign, acc)
		if !ok {
			return nil, false
		}
		if nd.Op == ir.OpSub {
			return outerTerms(g, varying, b, -sign, acc)
		}
		return outerTerms(g, varying, b, sign, acc)
	case ir.OpNeg:
		return outerTerms(g, varying, nd.Args[0], -sign, acc)
	}
	return nil, false
}

func (p *Program) instr(id ir.NodeID, out int, mk func(ir.NodeID) operand) instr {
	nd := p.g.Node(id)
	in := instr{op: nd.Op, out: out, size: nd.Shape.Size(), p: nd.P, i: nd.I, j: nd.J, node: id}
	for _, a := range nd.Args {
		in.args = append(in.args, mk(a))
	}
	switch nd.Op {
	case ir.OpMatVec, ir.OpMatTVec, ir.OpSqDist:
		in.cols = p.g.Shape(nd.Args[0]).Cols
	case ir.OpOuter:
		in.cols = nd.Shape.Cols
	}
	return in
}

// worker holds the scratch of one goroutine.
type worker struct {
	refs  [][]float64
	slots [][]float64
	obuf  [][]float64 // in-place outputs when reducing
	wbuf  []float64   // weighted rows of an outer product's left factor
}

// accumulateOuter adds Σ_q w_q Σ_t ±u_t,q v_t,qᵀ over the n particles of
// the chunk to acc (m×c, row-major) by matrix products, Uᵀ diag(w) V.
func (w *worker) accumulateOuter(acc []float64, terms []outerRef, n int, wt []float64) {
	for _, t := range terms {
		u := w.refs[t.u][:n*t.m]
		if wt != nil {
			if cap(w.wbuf) < n*t.m {
				w.wbuf = make([]float64, n*t.m)
			}
			b := w.wbuf[:n*t.m]
			for q := range n {
				c := wt[q]
				for e, x := range u[q*t.m : (q+1)*t.m] {
					b[q*t.m+e] = c * x
				}
			}
			u = b
		}
		gemm(true, false, t.m, t.c, n, t.sign, u, w.refs[t.v], 1, acc)
	}
}

// worker returns a worker whose slots hold chunks of cs particles.
func (pl *plan) worker(uvals [][]float64, cs int) *worker {
	w, _ := pl.pool.Get().(*worker)
	if w == nil {
		w = &worker{refs: make([][]float64, pl.outBase+len(pl.outs)), slots: make([][]float64, len(pl.slots))}
	}
	for i, s := range pl.slots {
		if len(w.slots[i]) < s*cs {
			w.slots[i] = make([]float64, s*cs)
		}
	}
	copy(w.refs, w.slots)
	copy(w.refs[len(pl.slots)+len(pl.inputs):], uvals)
	return w
}

// prepare checks the bindings and computes the uniform values.
func (p *Program) prepare(dst [][]float64, in *Inputs, reduce bool) (*plan, [][]float64, error) {
	if len(dst) != len(p.outputs) {
		return nil, nil, fmt.Errorf("eval: %d destinations for %d outputs", len(dst), len(p.outputs))
	}
	pl, err := p.plan(in, reduce)
	if err != nil {
		return nil, nil, err
	}
	for _, vi := range pl.inputs {
		if got := len(in.Varying[vi.name]); got != in.N*vi.size {
			return nil, nil, fmt.Errorf("eval: varying input %q has %d values, want %d×%d", vi.name, got, in.N, vi.size)
		}
	}
	for k, o := range p.outputs {
		want := p.g.Shape(o).Size()
		if !reduce {
			want *= in.N
		}
		if len(dst[k]) != want {
			return nil, nil, fmt.Errorf("eval: destination %d has length %d, want %d", k, len(dst[k]), want)
		}
	}
	g := p.g
	vals := map[ir.NodeID][]float64{}
	for _, id := range pl.urefs {
		nd := g.Node(id)
		switch nd.Op {
		case ir.OpConst:
			vals[id] = nd.Value
		case ir.OpInput, ir.OpParam:
			v, ok := in.Shared[nd.Name]
			if !ok {
				return nil, nil, fmt.Errorf("eval: %s %q is not bound", nd.Op, nd.Name)
			}
			if len(v) != nd.Shape.Size() {
				return nil, nil, fmt.Errorf("eval: %s %q has %d values, want %d", nd.Op, nd.Name, len(v), nd.Shape.Size())
			}
			vals[id] = v
		}
	}
	for _, id := range pl.uniform {
		nd := g.Node(id)
		args := make([][]float64, len(nd.Args))
		for i, a := range nd.Args {
			args[i] = vals[a]
		}
		vals[id] = uniformApply(nd, args)
	}
	uvals := make([][]float64, len(pl.urefs))
	for i, id := range pl.urefs {
		uvals[i] = vals[id]
	}
	return pl, uvals, nil
}

// uniformApply evaluates one uniform node with the chunk kernels (n = 1),
// so uniform and varying results agree bitwise.
func uniformApply(nd *ir.Node, args [][]float64) []float64 {
	out := make([]float64, nd.Shape.Size())
	in := instr{op: nd.Op, size: len(out), p: nd.P, i: nd.I, j: nd.J}
	refs := make([][]float64, len(args)+1)
	refs[0] = out
	for i, a := range args {
		refs[i+1] = a
		in.args = append(in.args, operand{ref: i + 1, mode: mV, size: len(a)})
	}
	switch nd.Op {
	case ir.OpMatVec, ir.OpMatTVec, ir.OpSqDist:
		in.cols = nd.Shape.Size()
		if nd.Op != ir.OpMatTVec {
			in.cols = len(args[1])
		}
	case ir.OpOuter:
		in.cols = nd.Shape.Cols
	}
	exec(&in, 1, refs)
	return out
}

func (pl *plan) bindChunk(w *worker, in *Inputs, start, n int) {
	b := len(pl.slots)
	for i, vi := range pl.inputs {
		w.refs[b+i] = in.Varying[vi.name][start*vi.size : (start+n)*vi.size]
	}
}

func (pl *plan) runChunk(w *worker, n int) {
	for k := range pl.code {
		exec(&pl.code[k], n, w.refs)
	}
}

// parallel runs f(w, u) for the units u = 0..m−1 on up to GOMAXPROCS
// goroutines, each with its own worker scratch w.
func (pl *plan) parallel(m, cs int, uvals [][]float64, f func(w *worker, u int)) {
	parallel.Claim(m, func(next func() int) {
		w := pl.worker(uvals, cs)
		for u := next(); u < m; u = next() {
			f(w, u)
		}
		for k := range pl.outs {
			w.refs[pl.outBase+k] = nil // do not retain dst in the pool
		}
		pl.pool.Put(w)
	})
}

// Run evaluates the outputs for in.N particles: dst[k] receives
// N×size(output k) values, row-major. Missing or mis-sized bindings are
// errors.
func (p *Program) Run(dst [][]float64, in Inputs) error {
	pl, uvals, err := p.prepare(dst, &in, false)
	if err != nil {
		return err
	}
	cs := chunkFor(in.N)
	nc := (in.N + cs - 1) / cs
	pl.parallel(nc, cs, uvals, func(w *worker, c int) {
		start := c * cs
		n := min(cs, in.N-start)
		pl.bindChunk(w, &in, start, n)
		for k, o := range pl.outs {
			if pl.direct[k] {
				w.refs[pl.outBase+k] = dst[k][start*o.size : (start+n)*o.size]
			}
		}
		pl.runChunk(w, n)
		for k, o := range pl.outs {
			if pl.direct[k] {
				continue
			}
			d := dst[k][start*o.size : (start+n)*o.size]
			src := w.refs[o.ref]
			if o.mode == mV {
				copy(d, src[:n*o.size])
			} else {
				for q := 0; q < n; q++ {
					copy(d[q*o.size:], src)
				}
			}
		}
	})
	return nil
}

// Reduce evaluates the outputs for in.N particles and writes their sums
// over the particles, weighted by weights[i] when weights is not nil, to
// dst[k] (size(output k) values each). The summation order is fixed
// (particles in order within fixed chunks, fixed blocks of chunks combined
// in order), so the result does not depend on the number of workers.
func (p *Program) Reduce(dst [][]float64, in Inputs, weights []float64) error {
	pl, uvals, err := p.prepare(dst, &in, true)
	if err != nil {
		return err
	}
	if weights != nil && len(weights) != in.N {
		return fmt.Errorf("eval: %d weights for %d particles", len(weights), in.N)
	}
	for _, d := range dst {
		clear(d)
	}
	cs := chunkFor(in.N)
	nc := (in.N + cs - 1) / cs
	nb := min(nc, maxBlocks)
	// The partial sums of the blocks, in one allocation.
	total := 0
	for _, o := range pl.outs {
		total += o.size
	}
	sp, _ := pl.sums.Get().(*[]float64)
	if sp == nil {
		sp = new([]float64)
	}
	*sp = grow(*sp, nb*total)
	store := *sp
	clear(store)
	defer pl.sums.Put(sp)
	partial := make([][][]float64, nb)
	pl.parallel(nb, cs, uvals, func(w *worker, b int) {
		acc := make([][]float64, len(pl.outs))
		if w.obuf == nil {
			w.obuf = make([][]float64, len(pl.outs))
		}
		off := b * total
		for k, o := range pl.outs {
			acc[k] = store[off : off+o.size : off+o.size]
			off += o.size
			if pl.direct[k] {
				if w.obuf[k] == nil {
					w.obuf[k] = make([]float64, o.size*ChunkSize)
				}
				w.refs[pl.outBase+k] = w.obuf[k]
			}
		}
		for c := b * nc / nb; c < (b+1)*nc/nb; c++ {
			start := c * cs
			n := min(cs, in.N-start)
			pl.bindChunk(w, &in, start, n)
			pl.runChunk(w, n)
			var wt []float64
			if weights != nil {
				wt = weights[start : start+n]
			}
			for k, o := range pl.outs {
				if len(pl.outer[k]) > 0 {
					w.accumulateOuter(acc[k], pl.outer[k], n, wt)
					continue
				}
				accumulate(acc[k], w.refs[o.ref], o.mode == mV, n, wt)
			}
		}
		partial[b] = acc
	})
	for _, acc := range partial {
		for k := range dst {
			for e, v := range acc[k] {
				dst[k][e] += v
			}
		}
	}
	return nil
}

func accumulate(acc, src []float64, vary bool, n int, wt []float64) {
	s := len(acc)
	for q := 0; q < n; q++ {
		row := src
		if vary {
			row = src[q*s : (q+1)*s]
		}
		if wt == nil {
			for e, v := range row[:s] {
				acc[e] += v
			}
		} else {
			c := wt[q]
			for e, v := range row[:s] {
				acc[e] += c * v
			}
		}
	}
}

// isFill reports whether v is non-empty with all entries equal.
func isFill(v []float64) bool {
	for _, x := range v {
		if x != v[0] {
			return false
		}
	}
	return len(v) > 0
}
