package plot

import (
	"bytes"
	"image"
	"regexp"
	"strconv"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
)

// A PDF carries no clock: the same figure gives the same bytes, which
// differ from the writer's own output only inside the two date values,
// and the cross-reference table still points at every object.
func TestPDFDeterministic(t *testing.T) {
	truth := energy(t, trueSpec, 2)
	// Fitted and true heat maps and a colour bar: several images, which
	// the PDF writer would catalogue in map order.
	f, err := Potential(truth, &truth, tiny(t, truth), Options{Grid: 12, Arrows: 4})
	if err != nil {
		t.Fatal(err)
	}
	size := 3 * vg.Centimeter
	write := func(format string) []byte {
		var buf bytes.Buffer
		if err := f.WriteTo(&buf, format, size); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	a, b := write("pdf"), write("PDF")
	if !bytes.HasPrefix(b, []byte("%PDF")) {
		t.Fatalf(`format "PDF" starts %q`, b[:min(len(b), 8)])
	}
	for i := 0; i < 6; i++ {
		if i > 0 {
			b = write("pdf")
		}
		if !bytes.Equal(a, b) {
			t.Fatalf("write %d differs from the first (%d and %d bytes)", i+2, len(b), len(a))
		}
	}
	for _, key := range []string{"/CreationDate", "/ModDate"} {
		if want := key + " (" + pdfEpoch + ")"; !bytes.Contains(a, []byte(want)) {
			t.Errorf("no %q in the PDF", want)
		}
	}

	// The writer's own bytes, with the clock's dates.
	W, H := f.Size(size)
	cw := vectorImages{vgpdf.New(W, H)}
	c := draw.New(cw)
	c.SetColor(white)
	c.Fill(c.Rectangle.Path())
	f.Draw(c)
	var raw bytes.Buffer
	if _, err := cw.WriteTo(&raw); err != nil {
		t.Fatal(err)
	}
	if raw.Len() != len(a) {
		t.Fatalf("rewritten PDF has %d bytes, the writer's %d", len(a), raw.Len())
	}
	dates := regexp.MustCompile(`/(CreationDate|ModDate) \(D:[0-9]{14}\)`).FindAllIndex(raw.Bytes(), -1)
	if len(dates) != 2 {
		t.Fatalf("writer's PDF has %d date fields, want 2", len(dates))
	}
	for i := range a {
		if a[i] == raw.Bytes()[i] {
			continue
		}
		inside := false
		for _, d := range dates {
			inside = inside || (i >= d[0] && i < d[1])
		}
		if !inside {
			t.Fatalf("byte %d differs outside the dates: %q", i, a[max(0, i-20):min(len(a), i+20)])
		}
	}

	// startxref → "xref", and every in-use entry → "n 0 obj".
	m := regexp.MustCompile(`startxref\s+([0-9]+)\s+%%EOF\s*$`).FindSubmatch(a)
	if m == nil {
		t.Fatal("no startxref at the end")
	}
	at, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(a[at:], []byte("xref")) {
		t.Fatalf("startxref %d points at %q", at, a[at:min(len(a), at+10)])
	}
	entries := regexp.MustCompile(`(?m)^([0-9]{10}) ([0-9]{5}) n`).FindAllSubmatch(a[at:], -1)
	if len(entries) < 3 {
		t.Fatalf("%d xref entries", len(entries))
	}
	for n, e := range entries {
		off, _ := strconv.Atoi(string(e[1]))
		want := strconv.Itoa(n+1) + " 0 obj"
		if !bytes.HasPrefix(a[off:], []byte(want)) {
			t.Errorf("xref entry %d: offset %d holds %q, want %q", n+1, off, a[off:min(len(a), off+12)], want)
		}
	}
}

// Heat maps drawn as rectangles look like the images they replace: the
// figure rastered both ways differs only along the cells' edges.
func TestVectorImages(t *testing.T) {
	truth := energy(t, trueSpec, 2)
	f, err := Potential(truth, nil, tiny(t, truth), Options{Grid: 12, Arrows: 4})
	if err != nil {
		t.Fatal(err)
	}
	W, H := f.Size(4 * vg.Centimeter)
	raster := func(vector bool) *image.RGBA {
		img := vgimg.NewWith(vgimg.UseWH(W, H), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(white))
		var cv vg.CanvasSizer = img
		if vector {
			cv = vectorImages{vgimg.PngCanvas{Canvas: img}}
		}
		f.Draw(draw.New(cv))
		return img.Image().(*image.RGBA)
	}
	a, b := raster(false), raster(true)
	differ, total := 0, 0
	for i := 0; i < len(a.Pix); i += 4 {
		total++
		for k := 0; k < 3; k++ {
			if d := int(a.Pix[i+k]) - int(b.Pix[i+k]); d > 40 || d < -40 {
				differ++
				break
			}
		}
	}
	if differ == 0 || float64(differ) > 0.03*float64(total) {
		t.Errorf("%d of %d pixels differ (want a few, along edges)", differ, total)
	}
	t.Logf("%d of %d pixels differ", differ, total)
}
