package density

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// BandwidthRule selects the kernel bandwidth of a KDE from the data.
type BandwidthRule int

const (
	// Scott's rule: kernel covariance = n_eff^(−2/(d+4)) · data covariance.
	Scott BandwidthRule = iota
	// Silverman's rule: kernel covariance =
	// (n_eff (d+2)/4)^(−2/(d+4)) · data covariance.
	Silverman
)

// KDEOptions configures FitKDE.
type KDEOptions struct {
	// Rule picks the bandwidth from the data covariance (as
	// scipy.stats.gaussian_kde) when Bandwidth is 0.
	Rule BandwidthRule
	// Bandwidth > 0 gives an isotropic kernel with this standard
	// deviation in every coordinate, overriding Rule.
	Bandwidth float64
	// Weights, when non-nil, weights the points (non-negative, one per
	// point, normalised here); n_eff = (Σw)²/Σw².
	Weights []float64
}

// KDE is a Gaussian kernel density estimate
// ρ(x) = Σ_i w_i N(x | x_i, H). Evaluation costs O(n) per point.
type KDE struct {
	d, n int
	z    []float64 // whitened data L⁻¹ x_i, n × d
	logw []float64 // log normalised weights
	chol []float64 // L, with H = L Lᵀ, row-major lower d×d
	logc float64   // −½ d log 2π − log det L
	h    *mat.SymDense
}

// FitKDE builds a Gaussian KDE on the rows of x (at least 2 points).
func FitKDE(x *mat.Dense, opt KDEOptions) (*KDE, error) {
	n, d, err := checkData(x, 2)
	if err != nil {
		return nil, err
	}
	w := make([]float64, n)
	if opt.Weights != nil {
		if len(opt.Weights) != n {
			return nil, fmt.Errorf("density: %d weights for %d points", len(opt.Weights), n)
		}
		copy(w, opt.Weights)
	} else {
		for i := range w {
			w[i] = 1
		}
	}
	sum := 0.0
	for i, v := range w {
		if !(v >= 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("density: weight %d is %v, need finite and ≥ 0", i, v)
		}
		sum += v
	}
	if !(sum > 0) {
		return nil, errors.New("density: weights sum to 0")
	}
	sw2 := 0.0
	for i := range w {
		w[i] /= sum
		sw2 += w[i] * w[i]
	}
	h := mat.NewSymDense(d, nil)
	switch {
	case opt.Bandwidth > 0 && !math.IsInf(opt.Bandwidth, 0):
		for j := 0; j < d; j++ {
			h.SetSym(j, j, opt.Bandwidth*opt.Bandwidth)
		}
	case opt.Bandwidth != 0:
		return nil, fmt.Errorf("density: bandwidth %v, need > 0 (or 0 for a rule)", opt.Bandwidth)
	default:
		neff := 1 / sw2
		var f float64
		switch opt.Rule {
		case Scott:
			f = math.Pow(neff, -1/float64(d+4))
		case Silverman:
			f = math.Pow(neff*float64(d+2)/4, -1/float64(d+4))
		default:
			return nil, fmt.Errorf("density: unknown bandwidth rule %d", opt.Rule)
		}
		mean := make([]float64, d)
		for i := 0; i < n; i++ {
			for j, v := range x.RawRowView(i) {
				mean[j] += w[i] * v
			}
		}
		for a := 0; a < d; a++ {
			for b := 0; b <= a; b++ {
				s := 0.0
				for i := 0; i < n; i++ {
					s += w[i] * (x.At(i, a) - mean[a]) * (x.At(i, b) - mean[b])
				}
				h.SetSym(a, b, s/(1-sw2)*f*f)
			}
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(h) {
		return nil, errors.New("density: the data covariance is singular (points on a lower-dimensional set?); give an explicit Bandwidth")
	}
	var L mat.TriDense
	ch.LTo(&L)
	k := &KDE{d: d, n: n, z: make([]float64, n*d), logw: make([]float64, n), chol: make([]float64, d*d), h: h}
	logdet := 0.0
	for a := 0; a < d; a++ {
		for b := 0; b <= a; b++ {
			k.chol[a*d+b] = L.At(a, b)
		}
		logdet += math.Log(L.At(a, a))
	}
	k.logc = -0.5*float64(d)*math.Log(2*math.Pi) - logdet
	for i := 0; i < n; i++ {
		k.logw[i] = math.Log(w[i])
		k.whiten(k.z[i*d:(i+1)*d], x.RawRowView(i))
	}
	return k, nil
}

// whiten writes L⁻¹ v to dst.
func (k *KDE) whiten(dst, v []float64) {
	d := k.d
	for a := 0; a < d; a++ {
		s := v[a]
		for b := 0; b < a; b++ {
			s -= k.chol[a*d+b] * dst[b]
		}
		dst[a] = s / k.chol[a*d+a]
	}
}

// Dim returns the dimension d.
func (k *KDE) Dim() int { return k.d }

// KernelCov returns a copy of the kernel covariance H.
func (k *KDE) KernelCov() *mat.SymDense {
	h := mat.NewSymDense(k.d, nil)
	h.CopySym(k.h)
	return h
}

func (k *KDE) evaluate(x *mat.Dense, logd, dens []float64, grad, score *mat.Dense) {
	n, _ := x.Dims()
	d := k.d
	needS := grad != nil || score != nil
	forChunks(n, func(c, lo, hi int) {
		lp := make([]float64, k.n)
		zq := make([]float64, d)
		s := make([]float64, d)
		t := make([]float64, d)
		for i := lo; i < hi; i++ {
			k.whiten(zq, x.RawRowView(i))
			for p := 0; p < k.n; p++ {
				zp := k.z[p*d : (p+1)*d]
				lp[p] = k.logw[p] + k.logc - 0.5*sqDist(zq, zp)
			}
			lse := logSumExp(lp)
			if logd != nil {
				logd[i] = lse
			}
			if dens != nil {
				dens[i] = math.Exp(lse)
			}
			if !needS {
				continue
			}
			// score = −H⁻¹ Σ_p r_p (x − x_p) = −L⁻ᵀ Σ_p r_p (zq − z_p)
			clear(s)
			for p := 0; p < k.n; p++ {
				r := math.Exp(lp[p] - lse)
				if r == 0 {
					continue
				}
				zp := k.z[p*d : (p+1)*d]
				for j := range s {
					s[j] += r * (zq[j] - zp[j])
				}
			}
			for a := d - 1; a >= 0; a-- {
				v := s[a]
				for b := a + 1; b < d; b++ {
					v -= k.chol[b*d+a] * t[b]
				}
				t[a] = v / k.chol[a*d+a]
			}
			if score != nil {
				row := score.RawRowView(i)
				for j := range row {
					row[j] = -t[j]
				}
			}
			if grad != nil {
				rho := math.Exp(lse)
				row := grad.RawRowView(i)
				for j := range row {
					row[j] = -rho * t[j]
				}
			}
		}
	})
}

// LogDensity writes log ρ(x_i) to dst[i].
func (k *KDE) LogDensity(dst []float64, x *mat.Dense) error {
	if _, err := checkEval(k.d, x, dst); err != nil {
		return err
	}
	k.evaluate(x, dst, nil, nil, nil)
	return nil
}

// Density writes ρ(x_i) to dst[i].
func (k *KDE) Density(dst []float64, x *mat.Dense) error {
	if _, err := checkEval(k.d, x, dst); err != nil {
		return err
	}
	k.evaluate(x, nil, dst, nil, nil)
	return nil
}

// Grad writes ∇ρ(x_i) to row i of dst.
func (k *KDE) Grad(dst *mat.Dense, x *mat.Dense) error {
	if _, err := checkEval(k.d, x, dst); err != nil {
		return err
	}
	k.evaluate(x, nil, nil, dst, nil)
	return nil
}

// Score writes ∇log ρ(x_i) to row i of dst.
func (k *KDE) Score(dst *mat.Dense, x *mat.Dense) error {
	if _, err := checkEval(k.d, x, dst); err != nil {
		return err
	}
	k.evaluate(x, nil, nil, nil, dst)
	return nil
}
