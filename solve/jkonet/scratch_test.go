package jkonet

import "testing"

func TestScratchBeta(t *testing.T) {
	for seed := uint64(0); seed < 4; seed++ {
		data := simulate(t, "styblinski_tang", 2000, 0.1, seed)
		train, _, _ := data.Split(0.5, seed)
		o := DefaultOptions()
		ent, err := Fit(model(t, stSpec+"param beta >= 0\ninternal H(rho) = beta*rho*log(rho)\n"), train, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seed %d: θ %.4v se %.3v  %s", seed, ent.Theta, ent.StdErr, ent.BetaNote)
	}
}
