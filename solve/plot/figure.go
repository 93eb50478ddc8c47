package plot

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Drawer is anything that draws itself on a canvas: a *gplot.Plot, a
// legend, a colour bar.
type Drawer interface {
	Draw(c draw.Canvas)
}

// Panel is one tile of a Figure.
type Panel struct {
	Drawer Drawer
	// Width is the panel's width in units of the figure's panel size
	// (0 means 1).
	Width float64
	// Equal, for a *gplot.Plot, shrinks the panel so that one unit of x₁
	// and one unit of x₂ have the same length on the page.
	Equal bool
}

// Figure is panels in rows; every row is one panel size high and rows
// narrower than the widest are centred.
type Figure struct {
	Rows [][]Panel
	// Notes say what was left out and why, for the caller to show.
	Notes []string
}

// Append adds the rows of g below those of f.
func (f *Figure) Append(g *Figure) {
	if g != nil {
		f.Rows = append(f.Rows, g.Rows...)
		f.Notes = append(f.Notes, g.Notes...)
	}
}

func (p Panel) width() float64 {
	if p.Width <= 0 {
		return 1
	}
	return p.Width
}

// Size returns the figure's size when a unit panel is size × size.
func (f *Figure) Size(size vg.Length) (w, h vg.Length) {
	maxW := 0.0
	for _, row := range f.Rows {
		rw := 0.0
		for _, p := range row {
			rw += p.width()
		}
		maxW = max(maxW, rw)
	}
	return vg.Length(maxW) * size, vg.Length(len(f.Rows)) * size
}

// Draw draws the figure on c, which should have the size given by Size.
func (f *Figure) Draw(c draw.Canvas) {
	if len(f.Rows) == 0 {
		return
	}
	W := c.Max.X - c.Min.X
	H := c.Max.Y - c.Min.Y
	fw, _ := f.Size(1)
	unit := W / fw
	rowH := H / vg.Length(len(f.Rows))
	for i, row := range f.Rows {
		rw := 0.0
		for _, p := range row {
			rw += p.width()
		}
		x := c.Min.X + (W-vg.Length(rw)*unit)/2
		top := c.Max.Y - vg.Length(i)*rowH
		for _, p := range row {
			w := vg.Length(p.width()) * unit
			sub := c
			sub.Rectangle = vg.Rectangle{Min: vg.Point{X: x, Y: top - rowH}, Max: vg.Point{X: x + w, Y: top}}
			pad := min(w, rowH) * 0.03
			sub = draw.Crop(sub, pad, -pad, pad, -pad)
			if pl, ok := p.Drawer.(*gplot.Plot); ok && p.Equal {
				sub = equalAspect(pl, sub)
			}
			p.Drawer.Draw(sub)
			x += w
		}
	}
}

// equalAspect crops c so that the data area of p has equal units on both
// axes, keeping the crop centred.
func equalAspect(p *gplot.Plot, c draw.Canvas) draw.Canvas {
	for range 2 { // tick labels can change with the crop; settle once more
		dc := p.DataCanvas(c)
		w, h := float64(dc.Max.X-dc.Min.X), float64(dc.Max.Y-dc.Min.Y)
		xr, yr := p.X.Max-p.X.Min, p.Y.Max-p.Y.Min
		if w <= 0 || h <= 0 || xr <= 0 || yr <= 0 {
			return c
		}
		ux, uy := xr/w, yr/h // data units per length
		switch {
		case ux < uy*0.999: // too wide: narrow the canvas
			cut := vg.Length(w-xr/uy) / 2
			c = draw.Crop(c, cut, -cut, 0, 0)
		case uy < ux*0.999: // too tall: lower the canvas
			cut := vg.Length(h-yr/ux) / 2
			c = draw.Crop(c, 0, 0, cut, -cut)
		default:
			return c
		}
	}
	return c
}

// WriteTo renders the figure as "png", "svg" or "pdf" with unit panels of
// size × size.
func (f *Figure) WriteTo(w io.Writer, format string, size vg.Length) error {
	W, H := f.Size(size)
	if W <= 0 || H <= 0 {
		return fmt.Errorf("plot: empty figure")
	}
	format = strings.ToLower(format)
	switch format {
	case "png":
		img := vgimg.NewWith(vgimg.UseWH(W, H), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(white))
		f.Draw(draw.New(img))
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
		return err
	case "svg", "pdf":
		var cw vg.CanvasWriterTo = vgsvg.New(W, H)
		if format == "pdf" {
			cw = vectorImages{vgpdf.New(W, H)}
		}
		c := draw.New(cw)
		c.SetColor(white)
		c.Fill(c.Rectangle.Path())
		f.Draw(c)
		if format == "svg" {
			_, err := cw.WriteTo(w)
			return err
		}
		var buf bytes.Buffer
		if _, err := cw.WriteTo(&buf); err != nil {
			return err
		}
		_, err := w.Write(fixPDFDates(buf.Bytes()))
		return err
	}
	return fmt.Errorf("plot: unsupported format %q (want png, svg or pdf)", format)
}

// Save writes the figure to path, as PNG, SVG or PDF by its extension.
func (f *Figure) Save(path string, size vg.Length) error {
	ext := strings.TrimPrefix(filepath.Ext(path), ".")
	var buf bytes.Buffer
	if err := f.WriteTo(&buf, ext, size); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// vectorImages draws images (the rasterised heat maps) as rectangles of
// colour: the PDF writer catalogues images in map order, so a figure
// with several would not give the same bytes twice.
type vectorImages struct{ vg.CanvasWriterTo }

// DrawImage fills rect with img's pixels, one rectangle per run of equal
// colour along a row.
func (v vectorImages) DrawImage(rect vg.Rectangle, img image.Image) {
	b := img.Bounds()
	if b.Empty() {
		return
	}
	size := rect.Size()
	pw, ph := size.X/vg.Length(b.Dx()), size.Y/vg.Length(b.Dy())
	v.Push()
	defer v.Pop()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		top := rect.Max.Y - vg.Length(y-b.Min.Y)*ph
		for x := b.Min.X; x < b.Max.X; {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			end := x + 1
			for end < b.Max.X && color.NRGBAModel.Convert(img.At(end, y)) == c {
				end++
			}
			if c.A > 0 {
				x0 := rect.Min.X + vg.Length(x-b.Min.X)*pw
				x1 := rect.Min.X + vg.Length(end-b.Min.X)*pw
				y0 := top - ph
				// Opaque runs overlap their neighbours by a fraction of
				// a pixel, so that viewers show no seams between them.
				if c.A == 255 {
					if end < b.Max.X {
						x1 += pw / 4
					}
					if y+1 < b.Max.Y {
						y0 -= ph / 4
					}
				}
				var p vg.Path
				p.Move(vg.Point{X: x0, Y: y0})
				p.Line(vg.Point{X: x1, Y: y0})
				p.Line(vg.Point{X: x1, Y: top})
				p.Line(vg.Point{X: x0, Y: top})
				p.Close()
				v.SetColor(c)
				v.Fill(p)
			}
			x = end
		}
	}
}

// pdfEpoch is the creation and modification date every PDF carries, so
// the same figure gives the same bytes. It has the length of the
// "D:YYYYMMDDHHMMSS" dates the PDF writer prints from the clock.
const pdfEpoch = "D:19700101000000"

// fixPDFDates replaces, in place, the clock-dependent /CreationDate and
// /ModDate of the document information dictionary by pdfEpoch. The
// replacement has the same length, so the cross-reference offsets stay
// valid; the writer's global defaults are left alone for other users of
// the library. The dictionary is written after the (compressed) page
// streams, so the last occurrence of each key is the one rewritten.
func fixPDFDates(b []byte) []byte {
	for _, key := range []string{"/CreationDate (", "/ModDate ("} {
		i := bytes.LastIndex(b, []byte(key))
		if i < 0 {
			continue
		}
		v := b[i+len(key):]
		if len(v) > len(pdfEpoch) && v[len(pdfEpoch)] == ')' && bytes.HasPrefix(v, []byte("D:")) {
			copy(v, pdfEpoch)
		}
	}
	return b
}

// dpi is the PNG resolution.
const dpi = 96
