package plot

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.png")

const (
	trueSpec   = "potential V(x) = 0.5*sum(x^4 - 16*x^2 + 5*x)\n"
	fittedSpec = "param a = 0.45\nparam b = -7.5\nparam c = 2.6\npotential V(x) = a*sum(x^4) + b*sum(x^2) + c*sum(x)\n"
)

func energy(t *testing.T, src string, d int) Energy {
	t.Helper()
	s, err := compile.LoadString("test.jko", src)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Instantiate(d)
	if err != nil {
		t.Fatal(err)
	}
	return Energy{Model: m, Theta: m.InitTheta(0)}
}

// tiny simulates 100 particles of the true potential for 3 steps.
func tiny(t *testing.T, truth Energy) *snapshot.Snapshots {
	t.Helper()
	flow, err := evaluate.NewFlow(truth.Model, truth.Theta)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Run(flow, sim.Options{Particles: 100, Steps: 3, Dt: 0.01, Seed: 1,
		Init: sim.Init{Kind: "uniform", Lo: -4, Hi: 4}})
	if err != nil {
		t.Fatal(err)
	}
	return &snapshot.Snapshots{Times: res.Times, X: res.X}
}

func render(t *testing.T, f *Figure, size vg.Length) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := f.WriteTo(&buf, "png", size); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func distinct(img image.Image) int {
	seen := map[[4]uint32]bool{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c0, c1, c2, c3 := img.At(x, y).RGBA()
			seen[[4]uint32{c0, c1, c2, c3}] = true
		}
	}
	return len(seen)
}

func TestPanels(t *testing.T) {
	truth := energy(t, trueSpec, 2)
	fitted := energy(t, fittedSpec, 2)
	data := tiny(t, truth)
	o := Options{Grid: 30, Arrows: 8}
	loss := &LossCurve{Epochs: []float64{1, 2, 3, 4}, Loss: []float64{1, 0.1, 0.02, 0.01}}
	build := map[string]func() (*Figure, error){
		"potential": func() (*Figure, error) { return Potential(fitted, &truth, data, o) },
		"snapshots": func() (*Figure, error) { return Snapshots(&fitted, data, o) },
		"drift":     func() (*Figure, error) { return Drift(fitted, &truth, data, o) },
		"all":       func() (*Figure, error) { return All(fitted, &truth, data, loss, o) },
	}
	dir := t.TempDir()
	size := 3 * vg.Centimeter
	for _, name := range []string{"potential", "snapshots", "drift", "all"} {
		f, err := build[name]()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		path := filepath.Join(dir, name+".png")
		if err := f.Save(path, size); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		img := decode(t, b)
		W, H := f.Size(size)
		want := image.Pt(int(W.Dots(dpi)+0.5), int(H.Dots(dpi)+0.5))
		if got := img.Bounds().Size(); got != want {
			t.Errorf("%s: image is %v, want %v", name, got, want)
		}
		if n := distinct(img); n < 20 {
			t.Errorf("%s: only %d distinct colours: blank?", name, n)
		}
	}
	// SVG by extension.
	f, _ := build["potential"]()
	svg := filepath.Join(dir, "p.svg")
	if err := f.Save(svg, size); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(svg); !bytes.Contains(b, []byte("<svg")) {
		t.Error("the .svg file is not SVG")
	}
	if err := f.Save(filepath.Join(dir, "p.gif"), size); err == nil {
		t.Error("a .gif output did not fail")
	}
}

func TestHighDimensionalSlice(t *testing.T) {
	truth := energy(t, trueSpec, 3)
	data := tiny(t, truth)
	f, err := All(truth, nil, data, nil, Options{Grid: 20, Arrows: 6})
	if err != nil {
		t.Fatal(err)
	}
	if n := distinct(decode(t, render(t, f, 3*vg.Centimeter))); n < 20 {
		t.Errorf("only %d distinct colours", n)
	}
}

func TestPotentialGridShifted(t *testing.T) {
	e := energy(t, "potential V(x) = sum(x^2) + 7\n", 2)
	_, _, z := PotentialGrid(e, Box{-1, 1, -1, 1}, 5, []float64{0, 0}, 0)
	lo := z[0]
	for _, v := range z {
		lo = min(lo, v)
	}
	if lo != 0 || z[12] != 0 || z[0] != 2 {
		t.Errorf("grid not shifted to min 0: %v", z)
	}
}

func TestReadLoss(t *testing.T) {
	e, l, err := ReadLoss(strings.NewReader("epoch,loss\n1,0.5\n2,0.25\n"))
	if err != nil || len(l) != 2 || e[1] != 2 || l[1] != 0.25 {
		t.Errorf("got %v %v %v", e, l, err)
	}
	e, l, err = ReadLoss(strings.NewReader("3\n2\n"))
	if err != nil || len(l) != 2 || e[1] != 2 || l[0] != 3 {
		t.Errorf("single column: got %v %v %v", e, l, err)
	}
	if _, _, err := ReadLoss(strings.NewReader("epoch,loss\n1,x\n")); err == nil {
		t.Error("bad row accepted")
	}
}

// TestGolden compares a small potential figure with the stored image pixel
// by pixel; run with -update to regenerate it.
func TestGolden(t *testing.T) {
	truth := energy(t, trueSpec, 2)
	fitted := energy(t, fittedSpec, 2)
	f, err := Potential(fitted, &truth, nil, Options{Grid: 24})
	if err != nil {
		t.Fatal(err)
	}
	b := render(t, f, 2.5*vg.Centimeter)
	if again := render(t, f, 2.5*vg.Centimeter); !bytes.Equal(b, again) {
		t.Fatal("two renderings of the same figure differ")
	}
	path := filepath.Join("testdata", "golden", "potential.png")
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	got, exp := decode(t, b), decode(t, want)
	if got.Bounds() != exp.Bounds() {
		t.Fatalf("size %v, golden %v", got.Bounds(), exp.Bounds())
	}
	diff := 0
	r := got.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if got.At(x, y) != exp.At(x, y) {
				diff++
			}
		}
	}
	if diff > 0 {
		os.WriteFile(filepath.Join(t.TempDir(), "got.png"), b, 0o644)
		t.Errorf("%d pixels differ from %s (run go test -update if the change is intended)", diff, path)
	}
}

// A loss that is positive gets a log axis; one that crosses zero (the gap
// of iJKOnet) a linear one; one with nothing finite is an error.
func TestLossAxis(t *testing.T) {
	p, err := Loss([]float64{1, 2, 3}, []float64{0.5, 0.1, 0.02})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Y.Scale.(gplot.LogScale); !ok {
		t.Errorf("positive loss: scale %T, want log", p.Y.Scale)
	}
	p, err = Loss([]float64{1, 2, 3}, []float64{0.5, -0.1, -0.2})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Y.Scale.(gplot.LogScale); ok {
		t.Error("loss crossing zero drawn on a log axis")
	}
	if _, err := Loss([]float64{1}, []float64{math.NaN()}); err == nil {
		t.Error("no finite values: no error")
	}
}

// A grid or arrows of 1 or a negative count, or a negative MaxPoints, is
// an error from every entry point (they were silently drawn with the
// default); 0 is the default and 2 the least drawable count.
func TestOptionsRefused(t *testing.T) {
	truth := energy(t, trueSpec, 2)
	data := tiny(t, truth)
	entries := map[string]func(o Options) error{
		"All":       func(o Options) error { _, err := All(truth, nil, data, nil, o); return err },
		"Potential": func(o Options) error { _, err := Potential(truth, nil, data, o); return err },
		"Drift":     func(o Options) error { _, err := Drift(truth, nil, data, o); return err },
		"Snapshots": func(o Options) error { _, err := Snapshots(&truth, data, o); return err },
		"Cells":     func(o Options) error { _, err := Cells(&truth, data, o); return err },
	}
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{Grid: 1}, "a grid of 1 evaluations per axis: want at least 2 (0: 80)"},
		{Options{Grid: -3}, "a grid of -3"},
		{Options{Arrows: 1}, "1 arrows per axis: want at least 2 (0: 15)"},
		{Options{Arrows: -1}, "-1 arrows per axis"},
		{Options{MaxPoints: -5}, "at most -5 points"},
	} {
		for name, f := range entries {
			if err := f(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s(%+v): err = %v, want %q", name, tc.o, err, tc.want)
			}
		}
	}
	for _, o := range []Options{{Grid: 2, Arrows: 2}, {}} {
		if _, err := All(truth, nil, data, nil, o); err != nil {
			t.Errorf("All(%+v): %v", o, err)
		}
	}
}
