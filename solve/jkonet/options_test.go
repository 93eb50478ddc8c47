package jkonet

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

// The text forms of methods, couplings and densities read back to the
// same values, and every value writes the text it was read from.
func TestOptionTextRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		text  string
		value any
	}{
		{"auto", MethodAuto}, {"linear", MethodLinear}, {"lbfgs", MethodLBFGS}, {"adam", MethodAdam},
		{"exact", Exact()}, {"sinkhorn:0.05", Sinkhorn(0.05)}, {"sinkhorn:1e-07", Sinkhorn(1e-7)}, {"minibatch:2", MiniBatch(2)}, {"minibatch:4096", MiniBatch(4096)},
		{"gmm:10", GMM(10)}, {"gmm:1", GMM(1)}, {"kde", KDE()},
	} {
		var got any
		var err error
		switch tc.value.(type) {
		case Method:
			got, err = ParseMethod(tc.text)
		case Couplings:
			got, err = ParseCouplings(tc.text)
		case Density:
			got, err = ParseDensity(tc.text)
		}
		if err != nil || got != tc.value {
			t.Errorf("parse %q = %v, %v; want %v", tc.text, got, err, tc.value)
		}
		if s := tc.value.(interface{ String() string }).String(); s != tc.text {
			t.Errorf("%#v.String() = %q, want %q", tc.value, s, tc.text)
		}
	}
	// The zero values are the defaults, and say so.
	for _, tc := range []struct {
		zero interface{ String() string }
		want string
	}{{Method(0), "auto"}, {Couplings{}, "exact"}, {Density{}, "gmm:10"}, {Ridge{}, "auto"}} {
		if got := tc.zero.String(); got != tc.want {
			t.Errorf("zero %T is %q, want %q", tc.zero, got, tc.want)
		}
	}
	if k, ok := (Density{}).Components(); k != 10 || !ok || GMM(10) != (Density{}) {
		t.Errorf("zero Density: %d components, %v; want GMM(10), the same value", k, ok)
	}
}

// Text that names no valid setting is refused with the text in the error.
func TestOptionParseErrors(t *testing.T) {
	for _, s := range []string{"", "Auto", "ijkonet", "sgd"} {
		if _, err := ParseMethod(s); err == nil {
			t.Errorf("ParseMethod(%q): no error", s)
		}
	}
	for _, s := range []string{"", "exact:1", "sinkhorn", "sinkhorn:", "sinkhorn:0", "sinkhorn:-1", "sinkhorn:NaN", "sinkhorn:Inf", "sinkhorn:x",
		"minibatch", "minibatch:", "minibatch:1", "minibatch:x", "minibatch:2.5", "emd"} {
		if _, err := ParseCouplings(s); err == nil || !strings.Contains(err.Error(), "couplings") {
			t.Errorf("ParseCouplings(%q): err %v", s, err)
		}
	}
	for _, s := range []string{"", "gmm:", "gmm:0", "gmm:-2", "gmm:x", "kde:3", "knn"} {
		if _, err := ParseDensity(s); err == nil || !strings.Contains(err.Error(), "density") {
			t.Errorf("ParseDensity(%q): err %v", s, err)
		}
	}
}

// Options travel as JSON (the Beam module ships them to its workers):
// typed fields marshal to their text and back.
func TestOptionsJSON(t *testing.T) {
	type cfg struct {
		M Method
		C Couplings
		D Density
		R Ridge
	}
	in := cfg{MethodLBFGS, Sinkhorn(0.1), GMM(3), RidgeFixed(0.01)}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"M":"lbfgs","C":"sinkhorn:0.1","D":"gmm:3","R":"0.01"}`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	var out cfg
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Errorf("read back %+v, %v; want %+v", out, err, in)
	}
	if _, err := json.Marshal(cfg{C: MiniBatch(1)}); err == nil {
		t.Error("MiniBatch(1) marshalled without error")
	}
	if err := json.Unmarshal([]byte(`{"D":"gmm:0"}`), &out); err == nil {
		t.Error(`"gmm:0" unmarshalled without error`)
	}
}

// Options{} is the reference fit: every zero field resolves to the value
// DefaultOptions spells out (Clip included: its zero value used to mean no
// clipping, unlike the default 10).
func TestZeroOptionsAreDefaults(t *testing.T) {
	zero, err := Options{}.resolve()
	if err != nil {
		t.Fatal(err)
	}
	def, err := DefaultOptions().resolve()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(zero, def) {
		t.Errorf("Options{} resolves to %+v,\nDefaultOptions() to %+v", zero, def)
	}
	if zero.Clip != 10 || zero.Epochs != 200 || zero.BatchSize != 256 || zero.LR != 1e-3 || zero.MaxIter != 500 {
		t.Errorf("resolved defaults %+v, want clip 10, 200 epochs of 256 at 0.001, 500 iterations", zero)
	}
}

// Settings out of range are errors from every entry point, never replaced
// by a default (Adam used to train a negative Epochs, BatchSize or LR with
// its defaults).
func TestOptionsOutOfRange(t *testing.T) {
	data := simulate(t, "styblinski_tang", 60, 0, 1)
	m := model(t, "param a\npotential V(x) = a*sum(x^4)\n")
	prep, err := Prepare(m, data, Options{}, "x")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		set  func(*Options)
		want string
	}{
		{"epochs", func(o *Options) { o.Epochs = -1 }, "Epochs -1"},
		{"batch", func(o *Options) { o.BatchSize = -5 }, "BatchSize -5"},
		{"lr", func(o *Options) { o.LR = -1e-3 }, "learning rate"},
		{"lr NaN", func(o *Options) { o.LR = math.NaN() }, "learning rate"},
		{"lr Inf", func(o *Options) { o.LR = math.Inf(1) }, "learning rate"},
		{"clip", func(o *Options) { o.Clip = -1 }, "clip"},
		{"clip NaN", func(o *Options) { o.Clip = math.NaN() }, "clip"},
		{"max iter", func(o *Options) { o.MaxIter = -1 }, "MaxIter -1"},
		{"bootstrap", func(o *Options) { o.Bootstrap = -2 }, "Bootstrap -2"},
		{"method", func(o *Options) { o.Method = 9 }, "method"},
		{"couplings", func(o *Options) { o.Couplings = Sinkhorn(0) }, "Sinkhorn"},
		{"density", func(o *Options) { o.Density = GMM(0) }, "0 components"},
		{"ridge", func(o *Options) { o.Ridge = RidgeFixed(-1) }, "ridge"},
		{"eval at", func(o *Options) { o.EvalAt = "z" }, "EvalAt"},
		{"beta from", func(o *Options) { o.BetaFrom = 7 }, "BetaFrom"},
	} {
		o := Options{Method: MethodAdam, Epochs: 2}
		tc.set(&o)
		for name, fit := range map[string]func() error{
			"Fit":      func() error { _, err := Fit(m, data, o); return err },
			"FitAdam":  func() error { _, err := FitAdam(m, prep, o); return err },
			"FitLBFGS": func() error { _, err := FitLBFGS(m, prep, o); return err },
		} {
			if err := fit(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s, %s: err %v, want one naming %q", tc.name, name, err, tc.want)
			}
		}
	}
}

// Clip +Inf turns clipping off: the fit is the one with a clip too large to
// act, and differs from the default clip where the gradient is large.
func TestClipInfinity(t *testing.T) {
	data := simulate(t, "styblinski_tang", 100, 0, 2)
	m := model(t, "param a\npotential V(x) = a*sum(x^4)\n")
	fit := func(clip float64) float64 {
		t.Helper()
		res, err := Fit(m, data, Options{Method: MethodAdam, Epochs: 5, LR: 0.01, Clip: clip})
		if err != nil {
			t.Fatal(err)
		}
		return res.Theta[0]
	}
	off, huge, tight := fit(math.Inf(1)), fit(1e300), fit(1e-6)
	if off != huge {
		t.Errorf("clip +Inf: a = %v, clip 1e300: %v; want equal", off, huge)
	}
	if off == tight {
		t.Errorf("clip +Inf and clip 1e-6 both give a = %v: the clip does not act", off)
	}
}
