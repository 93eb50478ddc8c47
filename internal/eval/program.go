package eval

import (
	"fmt"
	"github.com/jko-org/jko/internal/gemm"
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
		gemm.Gemm(true, false, t.m, t.c, n, t.sign, u, w.refs[t.v], 1, acc)
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
	if cap(*sp) < nb*total {
		*sp = make([]float64, nb*total)
	}
	*sp = (*sp)[:nb*total]
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
