package lang

import (
	"math"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/jko-org/jko/stdlib"
)

func TestParseExprPrint(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a+b*c", "a + b*c"},
		{"(a+b)*c", "(a + b)*c"},
		{"-x^2", "-x^2"},
		{"(-x)^2", "(-x)^2"},
		{"2^-1", "2^-1"},
		{"a^b^c", "a^b^c"},
		{"(a^b)^c", "(a^b)^c"},
		{"a-(b-c)", "a - (b - c)"},
		{"(a-b)-c", "a - b - c"},
		{"a/(b*c)", "a/(b*c)"},
		{"a - -b", "a - -b"},
		{"x[0] + x[1:] + x[:floor(d/2)] + x[:]", "x[0] + x[1:] + x[:floor(d/2)] + x[:]"},
		{"[[1,2],[3,4]]", "[[1, 2], [3, 4]]"},
		{"sum( cos( pi * x ) )", "sum(cos(pi*x))"},
		{"1e-3 + .5 + 2.", "1e-3 + .5 + 2."},
		{"((x))", "x"},
	}
	for _, tc := range tests {
		e, err := ParseExpr(tc.in)
		if err != nil {
			t.Errorf("ParseExpr(%q): %v", tc.in, err)
			continue
		}
		if got := FormatExpr(e); got != tc.want {
			t.Errorf("FormatExpr(ParseExpr(%q)) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseExprStructure(t *testing.T) {
	e, err := ParseExpr("-x^2")
	if err != nil {
		t.Fatal(err)
	}
	u, ok := e.(*Unary)
	if !ok || u.Op != '-' {
		t.Fatalf("-x^2: want Unary '-', got %T", e)
	}
	if b, ok := u.X.(*Binary); !ok || b.Op != '^' {
		t.Fatalf("-x^2: want -(x^2), got %#v", u.X)
	}
	e, _ = ParseExpr("a^b^c")
	if b := e.(*Binary); b.Y.(*Binary).Op != '^' {
		t.Error("^ is not right associative")
	}
	e, _ = ParseExpr("2^-1")
	if b := e.(*Binary); b.Y.(*Unary).Op != '-' {
		t.Error("2^-1: exponent is not a negation")
	}
	e, _ = ParseExpr("f(a, 2.50)")
	c := e.(*Call)
	if c.Func.Name != "f" || len(c.Args) != 2 || c.Args[1].(*Number).Text != "2.50" || c.Args[1].(*Number).Value != 2.5 {
		t.Errorf("bad call %#v", c)
	}
	if c.Rparen.Column != 10 {
		t.Errorf("Rparen column %d; want 10", c.Rparen.Column)
	}
}

func TestParseFilePositions(t *testing.T) {
	src := "# doc\nparam a, beta >= 0 # tail\n\npotential V(x) =\n  a*sum(x)\n"
	f, err := ParseFile("p.jko", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p := f.Decls[0].(*Param)
	if p.Names[1].At.Line != 2 || p.Names[1].At.Column != 10 {
		t.Errorf("beta at %v", p.Names[1].At)
	}
	if p.Doc == nil || p.Doc.List[0].Text != "# doc" || p.Comment == nil || p.Comment.Text != "# tail" {
		t.Errorf("comments not attached: %+v %+v", p.Doc, p.Comment)
	}
	v := f.Decls[1].(*Term)
	if !v.BlankBefore || v.Body.Pos().Line != 5 || v.Body.Pos().Column != 3 {
		t.Errorf("term: blank %v body at %v", v.BlankBefore, v.Body.Pos())
	}
}

func TestFormatIdempotent(t *testing.T) {
	srcs := []string{
		"# header\n\n# doc\nparam a,b # t\nparam w[*] in [-1,1] = [0.5, -0.5]\n\n\n\npotential V(x)=a*sum(x)+b*dot(w,x[0:2])\n# end\n",
		"fn f(u, v) = u /\n  # inside\n  (v*u)\npotential V(x) = f(x, x)[0]\n",
		"const k = 2\nparam beta >= 0 <= 1 = .5\ninternal e(rho) = beta*rho*log(rho)\n",
		"import \"lib\\x.jko\"\nimport \"é ü\"\n", // no escapes: printed as written
	}
	for _, src := range srcs {
		f, err := ParseFile("f.jko", []byte(src))
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		out := Format(f)
		f2, err := ParseFile("f.jko", out)
		if err != nil {
			t.Fatalf("reparse of\n%s: %v", out, err)
		}
		if out2 := Format(f2); string(out2) != string(out) {
			t.Errorf("not idempotent:\n%s\n---\n%s", out, out2)
		}
		if !sameDecls(f, f2) {
			t.Errorf("round trip changed the declarations of %q", src)
		}
	}
}

func TestFormatConstructed(t *testing.T) {
	f, err := ParseFile("f.jko", []byte("param a >= 0\nparam w[2]\npotential V(x) = a*sum(x^2) + dot(w, x[:2])\n"))
	if err != nil {
		t.Fatal(err)
	}
	f.Comments = append(f.Comments, NewCommentGroup("fitted by jko fit"))
	a := f.Decls[0].(*Param)
	a.Init = NumberLit(0.1)
	a.Comment = &Comment{Text: "± 1.2e-07"}
	f.Decls[1].(*Param).Init = VectorLit([]float64{-1.5, 1e-300})
	f.Decls = append(f.Decls, &Weights{Name: "V.mlp", Values: VectorLit([]float64{1, 2})})
	got := string(Format(f))
	want := "# fitted by jko fit\n\nparam a >= 0 = 0.1 # ± 1.2e-07\nparam w[2] = [-1.5, 1e-300]\npotential V(x) = a*sum(x^2) + dot(w, x[:2])\nweights V.mlp = [1, 2]\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	e := &Binary{Op: '^', X: NumberLit(-2), Y: NumberLit(3)}
	if s := FormatExpr(e); s != "(-2)^3" {
		t.Errorf("negative base printed %q", s)
	}
}

// sameDecls compares the declarations of two files, ignoring positions and
// comments, and counting `param a, b` the same as `param a` `param b` (the
// printer splits a list written over several lines).
func sameDecls(a, b *File) bool {
	da, db := splitParams(a.Decls), splitParams(b.Decls)
	if len(da) != len(db) {
		return false
	}
	for i := range da {
		if formatDecl(da[i]) != formatDecl(db[i]) || !reflect.DeepEqual(strip(da[i]), strip(db[i])) {
			return false
		}
	}
	return true
}

func splitParams(ds []Decl) []Decl {
	var out []Decl
	for _, d := range ds {
		p, ok := d.(*Param)
		if !ok {
			out = append(out, d)
			continue
		}
		for _, n := range p.Names {
			q := *p
			q.Names = []*Ident{n}
			out = append(out, &q)
		}
	}
	return out
}

// strip returns a deep copy of v with every Pos, comment and layout field
// zeroed.
func strip(v any) any {
	rv := reflect.ValueOf(v)
	out := reflect.New(rv.Type()).Elem()
	stripInto(out, rv)
	return out.Interface()
}

var posType = reflect.TypeOf(Pos{})

func stripInto(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		if src.Type() == reflect.TypeOf(&CommentGroup{}) || src.Type() == reflect.TypeOf(&Comment{}) {
			return
		}
		n := reflect.New(src.Type().Elem())
		stripInto(n.Elem(), src.Elem())
		dst.Set(n)
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		n := reflect.New(src.Elem().Type()).Elem()
		stripInto(n, src.Elem())
		dst.Set(n)
	case reflect.Struct:
		if src.Type() == posType {
			return
		}
		for i := range src.NumField() {
			if n := src.Type().Field(i).Name; n == "BlankBefore" || n == "Interior" {
				continue
			}
			stripInto(dst.Field(i), src.Field(i))
		}
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		n := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			stripInto(n.Index(i), src.Index(i))
		}
		dst.Set(n)
	default:
		dst.Set(src)
	}
}

func TestStdlibChecks(t *testing.T) {
	for _, name := range stdlib.Names() {
		src, _ := stdlib.Source(name)
		f, err := ParseFile(name+".jko", src)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		// Check, not CheckLibrary, even for halves (a library of
		// functions): `jko check stdlib/halves.jko` must pass.
		m, err := Check(f, StdImporter("."))
		if err != nil {
			t.Errorf("%s:\n%s", name, err.(ErrorList).Format(nil))
			continue
		}
		if err := m.CheckDim(2); err != nil {
			t.Errorf("%s at d=2: %v", name, err)
		}
		if out := Format(f); string(Format(mustParse(t, out))) != string(out) {
			t.Errorf("%s: format not idempotent", name)
		} else if string(out) != string(src) {
			t.Errorf("%s: not in canonical form (run jko fmt -w stdlib/%s.jko)", name, name)
		}
	}
}

func mustParse(t *testing.T, src []byte) *File {
	t.Helper()
	f, err := ParseFile("x.jko", src)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestDocBlocks(t *testing.T) {
	doc, err := os.ReadFile("../docs/language.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```jko\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	if len(blocks) == 0 {
		t.Fatal("no jko blocks in docs/language.md")
	}
	for i, b := range blocks {
		f, err := ParseFile("language.md", []byte(b[1]))
		if err == nil {
			_, err = Check(f, StdImporter("."))
		}
		if err != nil {
			t.Errorf("block %d:\n%s\n%v", i+1, b[1], err.(ErrorList).Format(map[string][]byte{"language.md": []byte(b[1])}))
		}
	}
}

func TestCheckModel(t *testing.T) {
	src := `import "paper_linear_potential"
import "halves"
const k = 3
param a in [0, 10] = 1
param w[*] = 0.5
param u[k]
fn f(v) = lower_half(v) * a
potential P(x, t) = f(x) * t + dot(u, x[:3])
interaction U(z) = dot(w, bumps(z, grid(-4, 4, k), 0.5))
internal F(rho) = rho^2
`
	f := mustParse(t, []byte(src))
	m, err := Check(f, StdImporter("."))
	if err != nil {
		t.Fatal(err.(ErrorList).Format(nil))
	}
	if len(m.Files) != 3 || len(m.Terms) != 4 || len(m.Params) != 5 {
		t.Fatalf("files %d terms %d params %d", len(m.Files), len(m.Terms), len(m.Params))
	}
	shapes := map[string]string{"theta_poly": "vector[5^d - 1]", "theta_bump": "vector[10^d]", "a": "scalar", "w": "vector[3^d]", "u": "vector[3]"}
	for _, p := range m.Params {
		if got := p.Shape.String(); got != shapes[p.Name] {
			t.Errorf("%s: shape %s; want %s", p.Name, got, shapes[p.Name])
		}
	}
	if n, err := m.Param("w").Shape.Len.Eval(2); err != nil || n != 9 {
		t.Errorf("len(w) at d=2 = %d, %v", n, err)
	}
	a := m.Param("a")
	if a.Lower != 0 || a.Upper != 10 || a.Init[0] != 1 || !a.Learnable {
		t.Errorf("a: %+v", a)
	}
	if p := m.Terms[1]; p.Name != "P" || len(p.Params) != 2 || p.Params[0].Name != "a" || p.Params[1].Name != "u" {
		t.Errorf("P uses %v", p.Params)
	}
	// Ident resolution and shapes in a term body.
	body := m.Terms[1].Decl.Body.(*Binary)
	call := body.X.(*Binary).X.(*Call)
	if o := m.Uses[call.Func]; o.Kind != ObjFn || o.Fn.Name != "f" {
		t.Errorf("f resolves to %+v", o)
	}
	inst := m.Calls[call]
	if inst == nil || inst.Result.Rank != Scalar || inst.Args[0].String() != "vector[d]" {
		t.Fatalf("instance %+v", inst)
	}
	if s := m.Shapes[body]; s.Rank != Scalar {
		t.Errorf("body shape %s", s)
	}
	// The x[:3] slice needs d >= 3: decided at instantiation.
	if err := m.CheckDim(2); err == nil || !strings.Contains(err.Error(), "slice [0:3] out of range") {
		t.Errorf("CheckDim(2) = %v", err)
	}
	if err := m.CheckDim(3); err != nil {
		t.Errorf("CheckDim(3) = %v", err)
	}
	if !strings.Contains(m.Summary(), "param w vector[3^d] init 0.5") {
		t.Errorf("summary:\n%s", m.Summary())
	}
}

func TestLen(t *testing.T) {
	d := lenDim()
	tests := []struct {
		l    *Len
		str  string
		at3  int
		cnst bool
	}{
		{lenConst(10).Pow(d), "10^d", 1000, false},
		{lenConst(5).Pow(d).Sub(lenConst(1)), "5^d - 1", 124, false},
		{d.FloorDiv(lenConst(2)), "floor(d/2)", 1, false},
		{d.Sub(d.FloorDiv(lenConst(2))), "d - floor(d/2)", 2, false},
		{lenConst(2).Mul(lenConst(3)).Add(lenConst(1)), "7", 7, true},
		{d.CeilDiv(lenConst(2)), "ceil(d/2)", 2, false},
	}
	for _, tc := range tests {
		if s := tc.l.String(); s != tc.str {
			t.Errorf("String = %q; want %q", s, tc.str)
		}
		if v, err := tc.l.Eval(3); err != nil || v != tc.at3 {
			t.Errorf("%s at 3 = %d, %v; want %d", tc.str, v, err, tc.at3)
		}
		if _, ok := tc.l.Const(); ok != tc.cnst {
			t.Errorf("%s: Const ok = %v", tc.str, ok)
		}
	}
	if _, err := lenConst(10).Pow(d).Eval(100); err == nil {
		t.Error("10^100 did not overflow")
	}
	v := newVar("w")
	if unify(v, lenConst(4).Pow(d)) != cmpEqual || v.String() != "4^d" {
		t.Errorf("unify: %s", v)
	}
	if unify(d, d.Sub(lenConst(1))) != cmpDiffer || unify(d, lenConst(3)) != cmpUnknown {
		t.Error("compare")
	}
	_ = math.Pi
}

// A file without terms is a library when it declares functions; one with
// nothing to import still needs a term.
func TestLibraryWithoutTerms(t *testing.T) {
	for _, tc := range []struct {
		src string
		ok  bool
	}{
		{"fn f(v) = sum(v)\n", true},
		{"const k = 2\nfn f(v) = k*sum(v)\n", true},
		{"const k = 2\n", false},
		{"# nothing\n", false},
	} {
		f := mustParse(t, []byte(tc.src))
		_, err := Check(f, nil)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err = %v, want ok = %v", tc.src, err, tc.ok)
		}
	}
}

// A built file holding a number that is not finite does not print: no
// text reads back as NaN or ±Inf (it printed as (0/0) and 1e999, which
// the checker and the parser reject). Fprint names the declaration.
func TestFprintRefusesNonFinite(t *testing.T) {
	for _, tc := range []struct {
		decl Decl
		want string
	}{
		{&Param{Names: []*Ident{newIdent("a")}, Init: NumberLit(math.NaN())}, "parameter a holds the number NaN"},
		{&Const{Name: newIdent("k"), Value: &Unary{Op: '-', X: NumberLit(math.Inf(1))}}, "constant k holds the number +Inf"},
		{&Weights{Name: "V.mlp", Values: VectorLit([]float64{1, math.Inf(-1)})}, "weights V.mlp holds the number -Inf"},
	} {
		f := &File{Filename: "f.jko", Decls: []Decl{tc.decl}}
		var b strings.Builder
		err := Fprint(&b, f)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err %v, want one containing %q", err, tc.want)
		}
		if b.Len() != 0 {
			t.Errorf("%q written for a file that cannot print", b.String())
		}
		if out := Format(f); out != nil {
			t.Errorf("Format gave %q, want nil", out)
		}
	}
}
