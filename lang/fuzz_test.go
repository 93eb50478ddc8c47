package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jko-org/jko/stdlib"
)

// FuzzParse runs the parser and printer on arbitrary input: no panics, and
// whatever parses prints to text that parses back to the same declarations
// and prints identically.
func FuzzParse(f *testing.F) {
	for _, n := range stdlib.Names() {
		src, _ := stdlib.Source(n)
		f.Add(src)
	}
	for _, dir := range []string{"testdata/errors/*.jko", "../examples/*.jko"} {
		files, _ := filepath.Glob(dir)
		for _, name := range files {
			if b, err := os.ReadFile(name); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("param w[*] in [-1, 1] = [1, 2]\npotential V(x) = -x[0]^2^-1 # c\n"))
	f.Add([]byte("param a, # the first\n  b >= 0 # the second\npotential V(x) = a*sum(x) # one\n  + b # two\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := ParseFile("f.jko", src)
		if err == nil {
			_, _ = Check(file, nil) // must not panic
		}
		if err != nil {
			return
		}
		out := Format(file)
		f2, err := ParseFile("f.jko", out)
		if err != nil {
			t.Fatalf("printed form does not parse: %v\n%s", err, out)
		}
		if !sameDecls(file, f2) {
			t.Fatalf("round trip changed declarations:\n%s", out)
		}
		if out2 := Format(f2); string(out2) != string(out) {
			t.Fatalf("not idempotent:\n%s\n---\n%s", out, out2)
		}
	})
}

// genSpec generates a spec of about n lines.
func genSpec(n int) []byte {
	var b strings.Builder
	b.WriteString("# generated\nimport \"halves\"\n")
	for i := 0; i < n/4; i++ {
		fmt.Fprintf(&b, "param a%d, b%d >= 0 = 0.5\n", i, i)
		fmt.Fprintf(&b, "const k%d = %d.5*2\n", i, i)
		fmt.Fprintf(&b, "fn f%d(v, w) = sum(cos(pi*v)*w^2) + lower_half(v)*k%d\n", i, i)
		fmt.Fprintf(&b, "potential V%d(x) = a%d*f%d(x, x[0]) + b%d*norm2(x - 1)/(1 + exp(-sum(x)))\n", i, i, i, i)
	}
	return []byte(b.String())
}

func TestGeneratedSpec(t *testing.T) {
	src := genSpec(200)
	f, err := ParseFile("gen.jko", src)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Check(f, StdImporter("."))
	if err != nil {
		t.Fatal(err.(ErrorList).Format(nil))
	}
	if len(m.Terms) != 50 || len(m.Params) != 100 {
		t.Errorf("terms %d params %d", len(m.Terms), len(m.Params))
	}
}

// BenchmarkParseCheck1000 parses and checks a generated 1,000-line spec.
func BenchmarkParseCheck1000(b *testing.B) {
	src := genSpec(1000)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		f, err := ParseFile("gen.jko", src)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Check(f, StdImporter(".")); err != nil {
			b.Fatal(err)
		}
	}
}
