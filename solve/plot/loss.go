package plot

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// ReadLoss reads a training-loss CSV: rows "epoch,loss" (or just "loss",
// numbered from 1), with an optional header row.
func ReadLoss(r io.Reader) (epochs, loss []float64, err error) {
	c, err := ReadLossCurve(r)
	if err != nil {
		return nil, nil, err
	}
	return c.Epochs, c.Loss, nil
}

// ReadLossCurve reads a loss CSV as ReadLoss does and names the curve by
// the header's second column ("loss"; "gap" for iJKOnet's, whose files
// jko fit writes as epoch,gap,map_loss).
func ReadLossCurve(r io.Reader) (LossCurve, error) {
	var epochs, loss []float64
	name := ""
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	line := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return LossCurve{}, fmt.Errorf("loss csv: %w", err)
		}
		line++
		if len(rec) == 0 || (len(rec) == 1 && strings.TrimSpace(rec[0]) == "") {
			continue
		}
		vals := make([]float64, 0, 2)
		bad := false
		for _, f := range rec[:min(len(rec), 2)] {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				bad = true
				break
			}
			vals = append(vals, v)
		}
		if bad {
			if line == 1 {
				if len(rec) > 1 {
					name = strings.ToLower(strings.TrimSpace(rec[1]))
				} else {
					name = strings.ToLower(strings.TrimSpace(rec[0]))
				}
				continue // header
			}
			return LossCurve{}, fmt.Errorf("loss csv: line %d: %q is not numbers", line, strings.Join(rec, ","))
		}
		if len(vals) == 1 {
			vals = []float64{float64(len(loss) + 1), vals[0]}
		}
		epochs, loss = append(epochs, vals[0]), append(loss, vals[1])
	}
	if len(loss) == 0 {
		return LossCurve{}, errors.New("loss csv: no rows")
	}
	return LossCurve{Epochs: epochs, Loss: loss, Name: name}, nil
}

// Loss draws a training-loss curve on a logarithmic loss axis; points with
// a loss that is not finite are left out. A curve that goes to zero or
// below (the gap of iJKOnet's min–max game) is drawn on a linear axis.
func Loss(epochs, loss []float64) (*gplot.Plot, error) {
	return LossCurve{Epochs: epochs, Loss: loss}.Plot()
}

// Plot draws the curve as Loss does, titled by its Name: "gap" (iJKOnet's
// gap J_θ(μ_{k+1}) − J_θ(T_k#μ_k), summed over the steps, which is not a
// loss and may be negative) or a training loss. A curve of one value (a
// closed-form fit) is an error: there is nothing to draw.
func (c LossCurve) Plot() (*gplot.Plot, error) {
	epochs, loss := c.Epochs, c.Loss
	if len(loss) == 1 {
		return nil, fmt.Errorf("plot: a single loss value (%.6g), as a closed-form fit has: no curve to draw", loss[0])
	}
	logAxis := true
	var xy plotter.XYs
	for i := range loss {
		if !math.IsInf(loss[i], 0) && !math.IsNaN(loss[i]) && i < len(epochs) {
			xy = append(xy, plotter.XY{X: epochs[i], Y: loss[i]})
			logAxis = logAxis && loss[i] > 0
		}
	}
	if len(xy) == 0 {
		return nil, errors.New("plot: no finite loss values")
	}
	p := newPlot("training loss")
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "loss"
	if c.Name == "gap" {
		p.Title.Text = "iJKOnet gap J(μ[k+1]) − J(T#μ[k])"
		p.Y.Label.Text = "gap (not a loss: may be negative)"
	}
	if logAxis {
		p.Y.Scale = gplot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	l, err := plotter.NewLine(xy)
	if err != nil {
		return nil, err
	}
	l.LineStyle.Width = vg.Points(1.2)
	l.LineStyle.Color = rampColors(1)[0]
	p.Add(l)
	if len(xy) <= 40 {
		s, _ := plotter.NewScatter(xy)
		s.GlyphStyle.Color = l.LineStyle.Color
		s.GlyphStyle.Radius = vg.Points(2)
		p.Add(s)
	}
	if logAxis {
		lo, hi := xy[0].Y, xy[0].Y
		for _, q := range xy {
			lo, hi = min(lo, q.Y), max(hi, q.Y)
		}
		// A decade at least, so the log axis has labelled ticks.
		if hi/lo < 10 {
			m := math.Sqrt(lo * hi)
			lo, hi = m/math.Sqrt(10), m*math.Sqrt(10)
		}
		p.Y.Min, p.Y.Max = lo, hi
	}
	p.Add(plotter.NewGrid())
	return p, nil
}

// logTicks labels 1, 2 and 5 times each power of ten when the axis spans
// fewer than three decades (gonum's LogTicks labels decades only), and
// falls back to gonum's LogTicks otherwise.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []gplot.Tick {
	if hi/lo >= 1000 {
		return gplot.LogTicks{Prec: -1}.Ticks(lo, hi)
	}
	var ts []gplot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for m := 1; m <= 9; m++ {
			v := float64(m) * math.Pow(10, e)
			if v < lo || v > hi {
				continue
			}
			t := gplot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ts = append(ts, t)
		}
	}
	return ts
}
