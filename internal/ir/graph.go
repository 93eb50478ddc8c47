package ir

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
)

// NodeID identifies a node of a Graph. Operands always have smaller ids
// than the nodes that use them, so increasing ids are a topological order.
type NodeID int32

// None is the null NodeID.
const None NodeID = -1

// Pos is a source position, recorded on nodes for error messages.
type Pos struct {
	Filename  string
	Line, Col int
}

// IsValid reports whether the position is known.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String formats the position as file:line:col.
func (p Pos) String() string {
	if !p.IsValid() {
		return "-"
	}
	return p.Filename + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// Shape is the concrete shape of a node's value.
type Shape struct {
	Rank int // 0 scalar, 1 vector, 2 matrix
	Rows int // vector length or matrix row count (1 for a scalar)
	Cols int // matrix column count (1 for scalars and vectors)
}

// Scalar is the shape of a scalar.
var Scalar = Shape{0, 1, 1}

// Vector returns the shape vector[n].
func Vector(n int) Shape {
	if n < 0 {
		panic("ir: negative vector length")
	}
	return Shape{1, n, 1}
}

// Matrix returns the shape matrix[m,n] (row-major storage).
func Matrix(m, n int) Shape {
	if m < 0 || n < 0 {
		panic("ir: negative matrix dimension")
	}
	return Shape{2, m, n}
}

// Size returns the number of entries.
func (s Shape) Size() int { return s.Rows * s.Cols }

// IsScalar reports whether s is the scalar shape.
func (s Shape) IsScalar() bool { return s.Rank == 0 }

// String formats s as "scalar", "vector[n]" or "matrix[m,n]".
func (s Shape) String() string {
	switch s.Rank {
	case 0:
		return "scalar"
	case 1:
		return "vector[" + strconv.Itoa(s.Rows) + "]"
	}
	return "matrix[" + strconv.Itoa(s.Rows) + "," + strconv.Itoa(s.Cols) + "]"
}

// Node is one operation of a Graph. Nodes are immutable once built.
type Node struct {
	Op    Op
	Args  []NodeID
	Shape Shape
	// Value is the payload of a Const (Shape.Size() entries, row-major).
	Value []float64
	// Name names an Input or a Param.
	Name string
	// I and J are integer attributes: the index of Index, the bounds
	// [I, J) of Slice, the offset I and total length J of Pad.
	I, J int
	// P is the exponent of Pow.
	P float64
	// Pos is the source position current when the node was first built.
	Pos Pos
}

// Graph is a builder of hash-consed expression nodes. The zero value is not
// usable; call New. A Graph is not safe for concurrent use.
type Graph struct {
	nodes []Node
	index map[string]NodeID
	leaf  map[string]NodeID // Input and Param by name
	pos   Pos
	key   []byte

	scalarFill bool // printer state: print constant fills as scalars
}

// New returns an empty graph.
func New() *Graph {
	return &Graph{index: map[string]NodeID{}, leaf: map[string]NodeID{}}
}

// Clone returns a copy of g that can grow on its own: node ids of g mean
// the same nodes in the copy, and building in one never changes the other.
// Cloning is how a finished graph stays immutable while derivatives are
// built from it (possibly on several goroutines at once).
func (g *Graph) Clone() *Graph {
	c := &Graph{
		nodes: slices.Clip(g.nodes),
		index: maps.Clone(g.index),
		leaf:  maps.Clone(g.leaf),
		pos:   g.pos,
	}
	return c
}

// SetPos sets the source position recorded on nodes built from now on and
// returns the previous one. A node found by hash-consing keeps its first
// position.
func (g *Graph) SetPos(p Pos) Pos {
	old := g.pos
	g.pos = p
	return old
}

// Len returns the number of nodes in the graph.
func (g *Graph) Len() int { return len(g.nodes) }

// Node returns the node id. The returned node must not be modified (nodes
// are immutable, so the pointer stays meaningful as the graph grows).
func (g *Graph) Node(id NodeID) *Node { return &g.nodes[id] }

// Shape returns the shape of node id.
func (g *Graph) Shape(id NodeID) Shape { return g.nodes[id].Shape }

// Op returns the operation of node id.
func (g *Graph) Op(id NodeID) Op { return g.nodes[id].Op }

// Count returns the number of distinct nodes reachable from roots
// (the size of the expression DAG they need).
func (g *Graph) Count(roots ...NodeID) int {
	n := 0
	for _, r := range g.Reachable(roots...) {
		if r {
			n++
		}
	}
	return n
}

// Reachable returns a mask over node ids: true for the nodes that the
// roots depend on (roots included).
func (g *Graph) Reachable(roots ...NodeID) []bool {
	mark := make([]bool, len(g.nodes))
	for _, r := range roots {
		mark[r] = true
	}
	for id := len(g.nodes) - 1; id >= 0; id-- {
		if mark[id] {
			for _, a := range g.nodes[id].Args {
				mark[a] = true
			}
		}
	}
	return mark
}

// Reach returns the ids of the nodes that the roots depend on (roots
// included) in increasing order, a topological order. It costs time linear
// in that subgraph, not in the whole graph, so per-term analyses of a
// model with many terms stay linear in the model.
func (g *Graph) Reach(roots ...NodeID) []NodeID {
	seen := make(map[NodeID]struct{})
	stack := append([]NodeID(nil), roots...)
	var out []NodeID
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, ok := seen[id]; ok {
			continue
		}
		seen[id] = struct{}{}
		out = append(out, id)
		for _, a := range g.nodes[id].Args {
			if _, ok := seen[a]; !ok {
				stack = append(stack, a)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Leaves returns the Input and Param nodes of the graph, in creation order.
func (g *Graph) Leaves() []NodeID {
	var out []NodeID
	for i := range g.nodes {
		if op := g.nodes[i].Op; op == OpInput || op == OpParam {
			out = append(out, NodeID(i))
		}
	}
	return out
}

// Lookup returns the Input or Param called name, or None.
func (g *Graph) Lookup(name string) NodeID {
	if id, ok := g.leaf[name]; ok {
		return id
	}
	return None
}

func (g *Graph) intern(n Node) NodeID {
	k := g.key[:0]
	k = append(k, byte(n.Op))
	k = strconv.AppendInt(k, int64(n.Shape.Rank), 10)
	k = append(k, ',')
	k = strconv.AppendInt(k, int64(n.Shape.Rows), 10)
	k = append(k, ',')
	k = strconv.AppendInt(k, int64(n.Shape.Cols), 10)
	for _, a := range n.Args {
		k = append(k, '|')
		k = strconv.AppendInt(k, int64(a), 10)
	}
	k = append(k, ';')
	k = strconv.AppendInt(k, int64(n.I), 10)
	k = append(k, ',')
	k = strconv.AppendInt(k, int64(n.J), 10)
	k = append(k, ',')
	k = strconv.AppendUint(k, math.Float64bits(n.P), 16)
	k = append(k, ';')
	k = append(k, n.Name...)
	for _, v := range n.Value {
		k = append(k, ',')
		k = strconv.AppendUint(k, math.Float64bits(v), 16)
	}
	g.key = k
	if id, ok := g.index[string(k)]; ok {
		return id
	}
	id := NodeID(len(g.nodes))
	n.Pos = g.pos
	g.nodes = append(g.nodes, n)
	g.index[string(k)] = id
	return id
}

// Const returns a constant of the given shape; value holds shape.Size()
// entries (row-major) and is copied.
func (g *Graph) Const(shape Shape, value []float64) NodeID {
	if len(value) != shape.Size() {
		panic(fmt.Sprintf("ir: Const: %d values for shape %v", len(value), shape))
	}
	v := make([]float64, len(value))
	copy(v, value)
	return g.intern(Node{Op: OpConst, Shape: shape, Value: v})
}

// Scalar returns the scalar constant v.
func (g *Graph) Scalar(v float64) NodeID { return g.Const(Scalar, []float64{v}) }

// Fill returns a constant of the given shape with every entry v.
func (g *Graph) Fill(shape Shape, v float64) NodeID {
	vals := make([]float64, shape.Size())
	for i := range vals {
		vals[i] = v
	}
	return g.intern(Node{Op: OpConst, Shape: shape, Value: vals})
}

// Zeros returns the zero constant of the given shape.
func (g *Graph) Zeros(shape Shape) NodeID { return g.Fill(shape, 0) }

func (g *Graph) leafNode(op Op, name string, shape Shape) NodeID {
	if id, ok := g.leaf[name]; ok {
		n := &g.nodes[id]
		if n.Op != op || n.Shape != shape {
			panic(fmt.Sprintf("ir: %s %q redeclared as %s %v (was %s %v)", op, name, op, shape, n.Op, n.Shape))
		}
		return id
	}
	id := g.intern(Node{Op: op, Name: name, Shape: shape})
	g.leaf[name] = id
	return id
}

// Input returns the input called name (x, t, rho, z, ...): a value bound at
// evaluation time, per particle or shared. Asking again for the same name
// returns the same node; a different shape or kind panics.
func (g *Graph) Input(name string, shape Shape) NodeID { return g.leafNode(OpInput, name, shape) }

// Param returns the learnable parameter block called name.
func (g *Graph) Param(name string, shape Shape) NodeID { return g.leafNode(OpParam, name, shape) }

// IsConst reports whether id is a constant.
func (g *Graph) IsConst(id NodeID) bool { return g.nodes[id].Op == OpConst }

// ConstValue returns the payload of a constant node, or nil.
func (g *Graph) ConstValue(id NodeID) []float64 {
	if n := &g.nodes[id]; n.Op == OpConst {
		return n.Value
	}
	return nil
}

// isFill reports whether id is a constant with every entry equal to v.
func (g *Graph) isFill(id NodeID, v float64) bool {
	n := &g.nodes[id]
	if n.Op != OpConst {
		return false
	}
	for _, x := range n.Value {
		if x != v {
			return false
		}
	}
	return true
}

// IsZero reports whether id is a constant whose entries are all zero.
func (g *Graph) IsZero(id NodeID) bool { return g.isFill(id, 0) }

// LeavesOf returns the Input and Param nodes that the roots depend on, in
// creation order.
func (g *Graph) LeavesOf(roots ...NodeID) []NodeID {
	var out []NodeID
	for _, id := range g.Reach(roots...) {
		if op := g.nodes[id].Op; op == OpInput || op == OpParam {
			out = append(out, id)
		}
	}
	return out
}
