package compile

import (
	"math"
	"strconv"

	"github.com/jko-org/jko/internal/ir"
	"github.com/jko-org/jko/lang"
)

// TermKind says which of the three energies a term is: the language's
// kind, so a checked term's kind is used as is.
type TermKind = lang.TermKind

// The kinds of terms.
const (
	Potential   = lang.Potential   // V(x) or V(x, t)
	Interaction = lang.Interaction // U(z), z = x − y
	Internal    = lang.Internal    // f(ρ)
)

// Param is one learnable block of θ.
type Param struct {
	Name string
	// Offset and Size locate the block in θ.
	Offset, Size int
	// Shape is nil for a scalar, [n] for a vector, [m, n] for a matrix.
	Shape []int
	// Lower and Upper bound every entry (±Inf when unbounded).
	Lower, Upper float64
	// Init holds the initial values (Size entries), from the spec or zero;
	// for the hidden weights of a neural block, see Model.InitTheta.
	Init []float64
	// Hidden marks the weights of a neural block, which the spec does not
	// declare with param.
	Hidden bool
	// Declared reports whether the spec gave an initial value.
	Declared bool
	// Pos is where the block is declared.
	Pos lang.Pos
}

// Bounded reports whether the block has a finite bound.
func (p *Param) Bounded() bool { return !math.IsInf(p.Lower, -1) || !math.IsInf(p.Upper, 1) }

// EntryName names entry i of the block: "a", "w[3]" or "V.mlp.W1[2,5]".
func (p *Param) EntryName(i int) string {
	switch len(p.Shape) {
	case 0:
		return p.Name
	case 1:
		return p.Name + "[" + strconv.Itoa(i) + "]"
	default:
		return p.Name + "[" + strconv.Itoa(i/p.Shape[1]) + "," + strconv.Itoa(i%p.Shape[1]) + "]"
	}
}

// Model is a spec instantiated at dimension Dim: the expression graph of
// every term and of the derivatives the solvers need, with batched,
// parallel evaluators. A Model is immutable once Compile returns: its
// graph never changes, and each evaluator is built on first use under its
// own sync.Once, in a private copy of the graph when it needs derivative
// nodes. So a Model's methods may be called from several goroutines at once; each call
// is itself parallel over the cores.
type Model struct {
	Spec *Spec
	Dim  int
	// Step is how the dynamics advance over one time step: "explicit"
	// (Euler) or "implicit" (the JKO step), from the spec's step
	// declaration ("" when it has none, which means explicit). Format
	// writes it back; a fit sets it to the step it fitted.
	Step          string
	Params        []Param
	NumParams     int
	Terms         []Term
	g             *ir.Graph   // the expression graph
	x, z, t, rho  ir.NodeID   // its inputs
	nodes         []ir.NodeID // the ir node of each Params block
	blocks        []mlpBlock
	blockSeen     map[*lang.MLPInfo]bool
	agg           [3]aggregate // per TermKind
	gauss         []gaussTerm  // Gaussian bumps of z taken out of agg[Interaction] (gausssum.go)
	gaussOnly     bool         // agg[Interaction] kept nothing else
	gmemo         gaussMemo    // the Gaussian sums of rows already evaluated
	progs         programs
	curv          curvature
	timeDependent bool
	labels        map[string][]string // feature names of parameter entries
}

// aggregate holds the sums over the terms of one kind.
type aggregate struct {
	present bool
	value   ir.NodeID // Σ V, Σ U or Σ f
	grad    ir.NodeID // Σ ∇V, Σ ∇U (vector) or Σ f″ (scalar)
}

func (m *Model) finish() {
	g := m.g
	for k := range m.agg {
		m.agg[k] = aggregate{value: ir.None, grad: ir.None}
	}
	for _, t := range m.Terms {
		a := &m.agg[t.Kind]
		if !a.present {
			a.present, a.value, a.grad = true, t.value, t.grad
		} else {
			a.value = g.Add(a.value, t.value)
			a.grad = g.Add(a.grad, t.grad)
		}
		if t.TimeDependent {
			m.timeDependent = true
		}
	}
	m.splitGauss()
}

// Has reports whether the model has a term of kind k.
func (m *Model) Has(k TermKind) bool { return m.agg[k].present }

// TimeDependent reports whether some potential depends on t.
func (m *Model) TimeDependent() bool { return m.timeDependent }

// LinearError returns nil when every term is affine in its parameters and
// otherwise an error pointing at each place that is not.
func (m *Model) LinearError() error {
	var list lang.ErrorList
	for _, t := range m.Terms {
		if t.NonlinearAt != nil {
			list = append(list, t.NonlinearAt)
		}
	}
	if len(list) == 0 {
		return nil
	}
	return &Error{List: list, Sources: m.Spec.Sources}
}

// ParamNames names every entry of θ.
func (m *Model) ParamNames() []string {
	names := make([]string, m.NumParams)
	for i := range m.Params {
		p := &m.Params[i]
		for j := 0; j < p.Size; j++ {
			names[p.Offset+j] = p.EntryName(j)
		}
	}
	return names
}
