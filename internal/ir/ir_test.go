package ir

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
)

func close(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol*(1+math.Abs(a)+math.Abs(b))
}

func numCases(t *testing.T) int {
	if testing.Short() {
		return 60
	}
	return 300
}

// TestSimplifyPreservesValues builds random expressions through the
// simplifying constructors and compares with direct evaluation.
func TestSimplifyPreservesValues(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for c := range numCases(t) {
		e := randomExpr(r, 5)
		g := New()
		y := tbuild(g, e, map[*texpr]NodeID{})
		for range 3 {
			v := randEnv(r)
			want := teval(e, v)[0]
			got := g.Eval(y, v.env())[0]
			if !close(got, want, 1e-12) {
				t.Fatalf("case %d: %s = %v, want %v", c, g.String(y), got, want)
			}
		}
	}
}

// leafVars are the differentiable leaves of the generated graphs.
func leafVars(g *Graph) (ids []NodeID, names []string) {
	for _, n := range []string{"x", "s", "w", "W", "t"} {
		if id := g.Lookup(n); id != None {
			ids = append(ids, id)
			names = append(names, n)
		}
	}
	return
}

// fdGrad returns the central-difference gradient of f(env) with respect to
// the binding name.
func fdGrad(f func(map[string][]float64) float64, env map[string][]float64, name string) []float64 {
	x0 := append([]float64(nil), env[name]...)
	dst := make([]float64, len(x0))
	fd.Gradient(dst, func(x []float64) float64 {
		e := copyEnv(env)
		e[name] = x
		return f(e)
	}, x0, &fd.Settings{Formula: fd.Central, Step: 1e-6})
	return dst
}

func copyEnv(env map[string][]float64) map[string][]float64 {
	e := map[string][]float64{}
	for k, v := range env {
		e[k] = v
	}
	return e
}

func TestGradMatchesFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for c := range numCases(t) {
		g := New()
		y := tbuild(g, randomExpr(r, 5), map[*texpr]NodeID{})
		ids, names := leafVars(g)
		grads := g.Grad(y, ids...)
		env := randEnv(r).env()
		vals := g.EvalMany(grads, env)
		f := func(e map[string][]float64) float64 { return g.Eval(y, e)[0] }
		for k, name := range names {
			if g.Shape(grads[k]) != g.Shape(ids[k]) {
				t.Fatalf("case %d: gradient shape %v for %v", c, g.Shape(grads[k]), g.Shape(ids[k]))
			}
			want := fdGrad(f, env, name)
			for i := range want {
				if !close(vals[k][i], want[i], 1e-5) {
					t.Fatalf("case %d: d/d%s[%d] of %s:\n got %v, fd %v\n grad %s", c, name, i, g.String(y), vals[k][i], want[i], g.String(grads[k]))
				}
			}
		}
	}
}

// TestSecondOrder checks the Hessian (Grad of Grad) in x and the mixed
// derivative ∂/∂θ of seed·∇ₓy against differences of the first derivative.
func TestSecondOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for c := range numCases(t) / 2 {
		g := New()
		y := tbuild(g, randomExpr(r, 5), map[*texpr]NodeID{})
		x := g.Input("x", Vector(tdim))
		gx := g.Grad(y, x)[0]
		env := randEnv(r).env()
		// Hessian rows.
		H := mat.NewDense(tdim, tdim, nil)
		for i := range tdim {
			row := g.Grad(g.Index(gx, i), x)[0]
			H.SetRow(i, g.Eval(row, env))
		}
		J := mat.NewDense(tdim, tdim, nil)
		fd.Jacobian(J, func(dst, xv []float64) {
			e := copyEnv(env)
			e["x"] = xv
			copy(dst, g.Eval(gx, e))
		}, env["x"], &fd.JacobianSettings{Formula: fd.Central, Step: 1e-6})
		for i := range tdim {
			for j := range tdim {
				if !close(H.At(i, j), J.At(i, j), 1e-5) {
					t.Fatalf("case %d: H[%d,%d] of %s = %v, fd %v", c, i, j, g.String(y), H.At(i, j), J.At(i, j))
				}
				if !close(H.At(i, j), H.At(j, i), 1e-9) {
					t.Fatalf("case %d: Hessian not symmetric: %v vs %v", c, H.At(i, j), H.At(j, i))
				}
			}
		}
		// Mixed: ∂/∂θ of seed·∇ₓy.
		seed := g.Const(Vector(tdim), []float64{0.3, -0.7, 1.1})
		sg := g.Dot(seed, gx)
		for _, name := range []string{"s", "w", "W"} {
			p := g.Lookup(name)
			if p == None {
				continue
			}
			got := g.Eval(g.Grad(sg, p)[0], env)
			want := fdGrad(func(e map[string][]float64) float64 { return g.Eval(sg, e)[0] }, env, name)
			for i := range want {
				if !close(got[i], want[i], 1e-5) {
					t.Fatalf("case %d: d/d%s[%d] of seed·∇ₓ(%s) = %v, fd %v", c, name, i, g.String(y), got[i], want[i])
				}
			}
		}
	}
}

func TestMLPDerivatives(t *testing.T) {
	g := New()
	x := g.Input("x", Vector(2))
	y, params := g.MLP(x, []int{5, 4}, "V.mlp")
	wantNames := []string{"V.mlp.W1", "V.mlp.b1", "V.mlp.W2", "V.mlp.b2", "V.mlp.w", "V.mlp.b"}
	for i, p := range params {
		if g.Node(p).Name != wantNames[i] {
			t.Fatalf("param %d named %q, want %q", i, g.Node(p).Name, wantNames[i])
		}
	}
	init := g.InitMLP(params, rand.New(rand.NewPCG(7, 8)))
	again := g.InitMLP(params, rand.New(rand.NewPCG(7, 8)))
	env := map[string][]float64{"x": {0.4, -1.3}}
	for i, p := range params {
		env[g.Node(p).Name] = init[i]
		for j := range init[i] {
			if init[i][j] != again[i][j] {
				t.Fatal("InitMLP is not deterministic")
			}
		}
	}
	// Glorot bound on W1: √(6/(2+5)).
	for _, v := range init[0] {
		if math.Abs(v) > math.Sqrt(6.0/7) || v == 0 {
			t.Fatalf("W1 entry %v outside Glorot range", v)
		}
	}
	for _, v := range init[1] {
		if v != 0 {
			t.Fatal("bias not zero")
		}
	}
	// Biases are zero at init; perturb so their derivatives are exercised.
	for i := range env["V.mlp.b1"] {
		env["V.mlp.b1"][i] = 0.1 * float64(i)
	}
	f := func(e map[string][]float64) float64 { return g.Eval(y, e)[0] }
	wrt := append([]NodeID{x}, params...)
	grads := g.Grad(y, wrt...)
	names := append([]string{"x"}, wantNames...)
	for k, name := range names {
		got := g.Eval(grads[k], env)
		want := fdGrad(f, env, name)
		for i := range want {
			if !close(got[i], want[i], 1e-6) {
				t.Fatalf("d/d%s[%d] = %v, fd %v", name, i, got[i], want[i])
			}
		}
	}
	// ∂/∂W1 and ∂/∂w of seed·∇ₓy.
	sg := g.Dot(g.Const(Vector(2), []float64{1, -0.5}), grads[0])
	for _, name := range []string{"V.mlp.W1", "V.mlp.W2", "V.mlp.w", "V.mlp.b1"} {
		got := g.Eval(g.Grad(sg, g.Lookup(name))[0], env)
		want := fdGrad(func(e map[string][]float64) float64 { return g.Eval(sg, e)[0] }, env, name)
		for i := range want {
			if !close(got[i], want[i], 1e-6) {
				t.Fatalf("d/d%s[%d] of seed·∇ₓy = %v, fd %v", name, i, got[i], want[i])
			}
		}
	}
}

func TestSubgradients(t *testing.T) {
	g := New()
	a := g.Input("a", Scalar)
	b := g.Input("b", Scalar)
	tests := []struct {
		name   string
		y      NodeID
		a, b   float64
		da, db float64
	}{
		{"abs at 0", g.Abs(a), 0, 0, 0, 0},
		{"abs at -2", g.Abs(a), -2, 0, -1, 0},
		{"relu at 0", g.Relu(a), 0, 0, 0, 0},
		{"relu at 1", g.Relu(a), 1, 0, 1, 0},
		{"min tie", g.Min(a, b), 1, 1, 1, 0},
		{"max tie", g.Max(a, b), 1, 1, 1, 0},
		{"max tie reversed", g.Max(b, a), 1, 1, 0, 1},
		{"min second", g.Min(a, b), 2, 1, 0, 1},
		{"max first", g.Max(a, b), 2, 1, 1, 0},
		{"step", g.Step(a), 0.5, 0, 0, 0},
		{"floor+sign", g.Add(g.Floor(a), g.Sign(b)), 0.5, 0.2, 0, 0},
	}
	for _, tc := range tests {
		gr := g.Grad(tc.y, a, b)
		env := map[string][]float64{"a": {tc.a}, "b": {tc.b}}
		if da, db := g.Eval(gr[0], env)[0], g.Eval(gr[1], env)[0]; da != tc.da || db != tc.db {
			t.Errorf("%s: gradient (%v, %v), want (%v, %v)", tc.name, da, db, tc.da, tc.db)
		}
	}
}

func TestHashConsing(t *testing.T) {
	g := New()
	x := g.Input("x", Vector(2))
	s := g.Param("s", Scalar)
	e1 := g.Add(g.Mul(s, g.Sin(x)), g.Exp(x))
	n := g.Len()
	e2 := g.Add(g.Exp(x), g.Mul(g.Sin(x), s))
	if e1 != e2 || g.Len() != n {
		t.Fatalf("commuted expression not shared: %d vs %d, %d new nodes", e1, e2, g.Len()-n)
	}
	if g.Input("x", Vector(2)) != x {
		t.Fatal("input not shared")
	}
	if got := g.Count(e1); got != 7 { // x s sin bcast(s) mul exp add
		t.Fatalf("Count = %d, want 7", got)
	}
	// Position: first build wins.
	g2 := New()
	g2.SetPos(Pos{"a.jko", 1, 5})
	y := g2.Input("y", Scalar)
	e := g2.Exp(y)
	g2.SetPos(Pos{"a.jko", 9, 9})
	if g2.Exp(y) != e || g2.Node(e).Pos.Line != 1 {
		t.Fatalf("hash-cons hit changed node or position: %v", g2.Node(e).Pos)
	}
}

func TestSimplifications(t *testing.T) {
	g := New()
	x := g.Input("x", Vector(3))
	s := g.Input("s", Scalar)
	zero, one := g.Scalar(0), g.Scalar(1)
	tests := []struct {
		name string
		got  NodeID
		want NodeID
	}{
		{"x+0", g.Add(x, g.Zeros(Vector(3))), x},
		{"0+s", g.Add(zero, s), s},
		{"x*1", g.Mul(x, one), x},
		{"x*0", g.Mul(x, zero), g.Zeros(Vector(3))},
		{"x-x", g.Sub(x, x), g.Zeros(Vector(3))},
		{"--x", g.Neg(g.Neg(x)), x},
		{"x^1", g.Pow(x, 1), x},
		{"x^0", g.Pow(x, 0), g.Fill(Vector(3), 1)},
		{"x*x", g.Mul(x, x), g.Pow(x, 2)},
		{"(-x)^2", g.Pow(g.Neg(x), 2), g.Pow(x, 2)},
		{"x/1", g.Div(x, one), x},
		{"fold", g.Add(g.Scalar(2), g.Mul(g.Scalar(3), g.Scalar(4))), g.Scalar(14)},
		{"index stack", g.Index(g.Stack(s, zero, one), 0), s},
		{"stack of indices", g.Stack(g.Index(x, 0), g.Index(x, 1), g.Index(x, 2)), x},
		{"slice full", g.Slice(x, 0, 3), x},
		{"index slice", g.Index(g.Slice(x, 1, 3), 1), g.Index(x, 2)},
		{"a+(-b)", g.Add(s, g.Neg(g.Exp(s))), g.Sub(s, g.Exp(s))},
		{"sum stack", g.Sum(g.Stack(s, g.Exp(s))), g.Add(s, g.Exp(s))},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, g.String(tc.got), g.String(tc.want))
		}
	}
}

func TestAffine(t *testing.T) {
	g := New()
	x := g.Input("x", Scalar)
	a, b, c := g.Param("a", Scalar), g.Param("b", Scalar), g.Param("c", Scalar)
	y := g.Add(g.Add(g.Mul(a, g.Pow(x, 4)), g.Mul(b, g.Sin(x))), c)
	if ok, cul := g.Affine(y, []NodeID{a, b, c}); !ok || cul != None {
		t.Fatalf("a·x⁴ + b·sin(x) + c reported not affine at %s", g.String(cul))
	}
	feats := g.Grad(y, a, b, c)
	if g.String(feats[0]) != "x^4" || g.String(feats[1]) != "sin(x)" || !g.isFill(feats[2], 1) {
		t.Fatalf("features %s, %s, %s", g.String(feats[0]), g.String(feats[1]), g.String(feats[2]))
	}
	for _, f := range feats {
		if ok, _ := g.Affine(f, []NodeID{a, b, c}); !ok {
			t.Fatal("feature depends on params")
		}
	}

	g.SetPos(Pos{"bump.jko", 3, 22})
	z := g.Input("z", Vector(2))
	s := g.Param("s", Scalar)
	e := g.Exp(g.Neg(g.Mul(s, g.Norm2(z))))
	g.SetPos(Pos{"bump.jko", 3, 1})
	u := g.Mul(g.Param("k", Scalar), e)
	ok, cul := g.Affine(u, []NodeID{s})
	if ok || cul != e || g.Node(cul).Pos != (Pos{"bump.jko", 3, 22}) {
		t.Fatalf("exp(-s·‖z‖²): ok=%v culprit %s at %v", ok, g.String(cul), g.Node(cul).Pos)
	}
	tests := []struct {
		name string
		y    NodeID
		ok   bool
	}{
		{"a*b", g.Mul(a, b), false},
		{"a/x", g.Div(a, g.Add(x, one(g))), true},
		{"x/a", g.Div(x, a), false},
		{"a^2", g.Pow(a, 2), false},
		{"sum(w*z) + k", g.Add(g.Dot(g.Param("w", Vector(2)), z), g.Param("k", Scalar)), true},
		{"W z (W param)", g.Sum(g.MatVec(g.Param("W", Matrix(2, 2)), z)), true},
		{"W w", g.Sum(g.MatVec(g.Param("W", Matrix(2, 2)), g.Param("w", Vector(2)))), false},
		{"sin(a)", g.Sin(a), false},
		{"mlp", mlpOut(g, z), false},
	}
	all := []NodeID{a, b, c, g.Lookup("w"), g.Lookup("k"), g.Lookup("W"), s, g.Lookup("m.W1")}
	for _, tc := range tests {
		if ok, _ := g.Affine(tc.y, all); ok != tc.ok {
			t.Errorf("%s: affine = %v, want %v", tc.name, ok, tc.ok)
		}
	}
}

func one(g *Graph) NodeID { return g.Scalar(1) }

func mlpOut(g *Graph, z NodeID) NodeID {
	y, _ := g.MLP(z, []int{3}, "m")
	ok, _ := g.Affine(y, nil)
	if !ok {
		panic("mlp with no params should be affine (constant)")
	}
	ok, cul := g.Affine(y, []NodeID{g.Lookup("m.W1")})
	if ok || g.Op(cul) != OpSoftplus {
		panic("mlp culprit should be softplus")
	}
	return y
}

func TestString(t *testing.T) {
	g := New()
	x := g.Input("x", Vector(2))
	v := g.Index(x, 0)
	// ∂/∂x₀ of styblinski_tang: 0.5·Σ(v⁴ − 16v² + 5v).
	st := g.Mul(g.Scalar(0.5), g.Sum(g.Add(g.Sub(g.Pow(x, 4), g.Mul(g.Scalar(16), g.Pow(x, 2))), g.Mul(g.Scalar(5), x))))
	gx := g.Grad(st, x)[0]
	g0 := g.Index(gx, 0)
	tests := []struct {
		y    NodeID
		want string
	}{
		{g.Add(g.Sub(g.Mul(g.Scalar(2), g.Pow(v, 3)), g.Mul(g.Scalar(16), v)), g.Scalar(2.5)), "2*x[0]^3 - 16*x[0] + 2.5"},
		{g.Sub(v, g.Sub(v, g.Index(x, 1))), "x[0] - (x[0] - x[1])"},
		{g.Neg(g.Pow(v, 2)), "-x[0]^2"},
		{g.Pow(g.Neg(g.Exp(v)), 3), "(-exp(x[0]))^3"},
		{g.Div(v, g.Mul(v, g.Index(x, 1))), "x[0]/(x[0]*x[1])"},
		{g.Mul(g.Add(v, g.Scalar(1)), g.Scalar(-2)), "-2*(x[0] + 1)"},
		{g.Pow(v, -1), "x[0]^(-1)"},
		{g.Max(v, g.Scalar(0)), "max(x[0], 0)"},
		{g.Sum(g.Mul(g.Param("w", Vector(2)), x)), "sum(w*x)"},
		// Constant factors multiplied into one leading number.
		{g.Mul(g.Mul(g.Mul(x, g.Scalar(2)), g.Param("k", Scalar)), g.Scalar(0.5)), "k*x"},
		{g.Mul(g.Mul(x, g.Scalar(2)), g.Scalar(-0.00125)), "-0.0025*x"},
		{g.Mul(g.Mul(g.Index(x, 1), g.Scalar(2)), g.Div(g.Neg(g.Exp(v)), g.Index(x, 1))), "2*x[1]*(-exp(x[0])/x[1])"},
		// At most 12 significant digits; no -0.
		{g.Add(v, g.Scalar(0.0025000000000000005)), "x[0] + 0.0025"},
		// Internal ops in a readable form.
		{g.Pad(g.Stack(g.Mul(g.Scalar(6), v)), 1, 3), "[0, 6*x[0], 0]"},
		{g.MatVec(g.Param("W", Matrix(2, 2)), x), "W·x"},
		{g.MatTVec(g.Param("W", Matrix(2, 2)), x), "Wᵀ·x"},
	}
	if got := formatFloat(math.Copysign(0, -1)); got != "0" {
		t.Errorf("-0 prints %q", got)
	}
	for _, tc := range tests {
		if got := g.String(tc.y); got != tc.want {
			t.Errorf("String = %q, want %q", got, tc.want)
		}
	}
	// The gradient evaluates to 2v³ − 16v + 2.5.
	env := map[string][]float64{"x": {1.5, -0.5}}
	if got, want := g.Eval(g0, env)[0], 2*1.5*1.5*1.5-16*1.5+2.5; !close(got, want, 1e-14) {
		t.Errorf("∂V/∂x₀ = %v, want %v (%s)", got, want, g.String(g0))
	}
	if s := g.String(gx); !strings.Contains(s, "x^3") {
		t.Errorf("gradient printed as %q", s)
	}
}

func TestShapePanics(t *testing.T) {
	g := New()
	x := g.Input("x", Vector(2))
	y := g.Input("y", Vector(3))
	for name, f := range map[string]func(){
		"add 2+3":      func() { g.Add(x, y) },
		"index range":  func() { g.Index(x, 2) },
		"matvec":       func() { g.MatVec(g.Param("W", Matrix(2, 2)), y) },
		"redeclare":    func() { g.Input("x", Scalar) },
		"grad vector":  func() { g.Grad(x, x) },
		"const length": func() { g.Const(Vector(2), []float64{1}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// Reach lists, in increasing order, exactly the nodes Reachable marks.
func TestReach(t *testing.T) {
	g := New()
	x := g.Input("x", Vector(3))
	a := g.Param("a", Scalar)
	u := g.Sum(g.Mul(g.Sin(x), a))
	v := g.Add(g.Exp(a), g.Scalar(2))
	w := g.Norm2(g.Concat(x, g.Stack(a, v)))
	for _, roots := range [][]NodeID{{u}, {v}, {w}, {u, v}, {x}, {u, v, w}} {
		mask := g.Reachable(roots...)
		var want []NodeID
		for id, r := range mask {
			if r {
				want = append(want, NodeID(id))
			}
		}
		got := g.Reach(roots...)
		if len(got) != len(want) {
			t.Errorf("Reach(%v) = %v, want %v", roots, got, want)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("Reach(%v) = %v, want %v", roots, got, want)
				break
			}
		}
	}
}
