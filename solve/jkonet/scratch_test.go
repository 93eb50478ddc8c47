package jkonet

import "testing"

func TestScratchBeta(t *testing.T) {
	for seed := uint64(0); seed < 4; seed++ {
		data := simulate(t, "styblinski_tang", 2000, 0.1, seed)
		train, _, _ := data.Split(0.5, seed)
		o := DefaultOptions()
		o.Reg, o.RegAuto = 0, false
		ent, err := Fit(model(t, stSpec+"param beta >= 0\ninternal H(rho) = beta*rho*log(rho)\n"), train, o)
		if err != nil {
			t.Fatal(err)
		}
		pot, err := Fit(model(t, stSpec), train, o)
		if err != nil {
			t.Fatal(err)
		}
		bn := pot.Loss / (2 * 0.01 * 2)
		bn2 := ent.Loss / (2 * 0.01 * 2)
		t.Logf("seed %d: β_s %.4f ± %.4f, β_n(pot only) %.4f, β_n(with ent) %.4f, sum %.4f", seed, ent.Theta[3], ent.StdErr[3], bn, bn2, ent.Theta[3]+bn2)
	}
}
