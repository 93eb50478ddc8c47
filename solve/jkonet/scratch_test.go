package jkonet

import "testing"

func TestScratchWell(t *testing.T) {
	data := simulateSrc(t, "param a = 1\nparam b = 2\npotential V(x) = a*sum(x^4) - b*sum(x^2)\n", 1000, 0.25, 0, -2, 2)
	m := model(t, "param a, b\npotential V(x) = a*sum(x^4) - b*sum(x^2)\nparam beta >= 0\ninternal H(rho) = beta*rho*log(rho)\n")
	res, err := Fit(m, data, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("θ %.4v ± %.3v %s", res.Theta, res.StdErr, res.BetaNote)
}
