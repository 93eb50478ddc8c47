package ijkonet

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// Invalid settings are errors naming the setting; before, Fit replaced
// every setting ≤ 0 by its default, so a negative count or rate ran the
// defaults silently.
func TestOptionsCheck(t *testing.T) {
	s := data(t, 40, true)
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Epochs: -5}, "Epochs -5"},
		{Options{MapSteps: -1}, "MapSteps -1"},
		{Options{LR: -0.01}, "LR -0.01"},
		{Options{LR: math.NaN()}, "LR NaN"},
		{Options{LR: math.Inf(1)}, "LR +Inf"},
		{Options{FinalLR: -1e-4}, "FinalLR -0.0001"},
		{Options{MapLR: -0.005}, "MapLR -0.005"},
		{Options{Widths: []int{8, 0}}, "Widths[1] = 0"},
		{Options{Batch: -2}, "Batch -2"},
		{Options{Map: MapKind(7)}, "Map 7"},
		{Options{Map: MapKind(-1)}, "Map -1"},
		{Options{Holdout: 0.7}, "Holdout 0.7"},
		{Options{Holdout: -0.2}, "Holdout -0.2"},
		{Options{Holdout: math.NaN()}, "Holdout NaN"},
		{Options{SelectEvery: -3}, "SelectEvery -3"},
	} {
		if err := c.o.Check(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: Check = %v, want an error naming %q", c.o, err, c.want)
		}
		m := model(t, "param a = 0.3\npotential V(x) = a*norm2(x)\n")
		if _, err := Fit(m, s, c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: Fit error %v, want one naming %q", c.o, err, c.want)
		}
	}
	for _, o := range []Options{{}, {Batch: AllParticles}, {Batch: 10, Epochs: 2, LR: 0.1, FinalLR: 0.1, MapLR: 1, Widths: []int{1}, Map: Residual}} {
		if err := o.Check(); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
}

// The zero value selects the defaults: a fit with Options{} equals one
// with every default spelled out, and WithDefaults fills exactly the zero
// settings.
func TestOptionsZeroIsDefault(t *testing.T) {
	m := model(t, "param a = 0.3\npotential V(x) = a*norm2(x)\n")
	want := Options{Epochs: 1000, MapSteps: 1, LR: 0.05, FinalLR: 0.0005, MapLR: 0.005, Widths: []int{32, 32}, Map: Particles, Batch: AllParticles, SelectEvery: 10}
	if got := (Options{}).WithDefaults(m); !reflect.DeepEqual(got, want) {
		t.Errorf("defaults %+v, want %+v", got, want)
	}
	mlp := model(t, "potential V(x) = mlp(x, 16, 16)\n")
	wantMLP := Options{Epochs: 300, MapSteps: 1, LR: 0.01, FinalLR: 0.0001, MapLR: 0.005, Widths: []int{32, 32}, Map: Particles, Batch: NeuralBatch, SelectEvery: 10}
	if got := (Options{}).WithDefaults(mlp); !reflect.DeepEqual(got, wantMLP) {
		t.Errorf("neural defaults %+v, want %+v", got, wantMLP)
	}
	ent := model(t, "param beta = 0.1\npotential V(x) = norm2(x)\ninternal f(rho) = beta*rho*log(rho)\n")
	if got := (Options{}).WithDefaults(ent); got.Map != Gradient || got.MapSteps != 5 {
		t.Errorf("with entropy: map %v, %d map steps; want gradient maps, 5 steps", got.Map, got.MapSteps)
	}
	set := Options{Epochs: 3, MapSteps: 2, LR: 0.2, FinalLR: 0.1, MapLR: 0.01, Widths: []int{4}, Map: Residual, Batch: 7, Holdout: 0.3, SelectEvery: 2}
	if got := set.WithDefaults(m); !reflect.DeepEqual(got, set) {
		t.Errorf("settings given: %+v, want them unchanged", got)
	}

	s := data(t, 60, true)
	a, err := Fit(model(t, "param a = 0.3\npotential V(x) = a*norm2(x)\n"), s, Options{Epochs: 5})
	if err != nil {
		t.Fatal(err)
	}
	spelled := want
	spelled.Epochs = 5
	spelled.FinalLR = 0.0005
	b, err := Fit(model(t, "param a = 0.3\npotential V(x) = a*norm2(x)\n"), s, spelled)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Theta, b.Theta) || !reflect.DeepEqual(a.LossCurve, b.LossCurve) {
		t.Errorf("zero options θ = %v, the defaults spelled out θ = %v", a.Theta, b.Theta)
	}
}

// A diverging run's error names the options to lower, not the command's
// flags, and wraps ErrDiverged.
func TestDivergedNamesOptions(t *testing.T) {
	s := data(t, 60, true)
	m := model(t, "param a = 0.3\npotential V(x) = a*norm2(x)\n")
	_, err := Fit(m, s, Options{Epochs: 50, LR: 1e6, FinalLR: 1e6, MapLR: 1e6, Map: Residual, Widths: []int{4}})
	if !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), "Options.LR") || strings.Contains(err.Error(), "--") {
		t.Fatalf("err = %v, want ErrDiverged naming Options.LR and no flag", err)
	}
}
