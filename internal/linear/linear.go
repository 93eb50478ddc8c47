package linear

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// Normal holds the sums that define a weighted least-squares problem in P
// unknowns: AᵀWA, AᵀWb, bᵀWb, the total weight and the number of rows. The
// zero value is not usable; call NewNormal.
//
// Normal is the streaming path, for rows that are not kept (shards of a
// distributed fit summed where they are made, jkonet.Accumulator): P² + 2P
// + 5 numbers whatever the number of rows, mergeable in any grouping. Its
// price is the normal equations' precision: solving from AᵀWA squares the
// condition number, so a problem with condition κ loses about twice the
// log10(κ) digits a QR of the rows would. Where the rows are in memory, use
// QR instead.
type Normal struct {
	P   int
	AtA []float64 // P×P, row-major, symmetric (only the upper triangle is accumulated)
	Atb []float64 // P
	Btb float64
	// Bsum and W accumulate Σ w b and Σ w, for R² about the mean of b;
	// Asum is Σ w a (P): kept in the binary form (version 1), which
	// encoded sums travel in; the solve no longer needs it.
	Bsum, W float64
	Asum    []float64
	Rows    int
}

// NewNormal returns empty sums for p unknowns.
func NewNormal(p int) *Normal {
	if p <= 0 {
		panic("linear: NewNormal needs p > 0")
	}
	return &Normal{P: p, AtA: make([]float64, p*p), Atb: make([]float64, p), Asum: make([]float64, p)}
}

// AddRows adds m rows at once: a is m×P row-major, b and w have m
// entries. It uses a symmetric rank-k update (BLAS syrk), much faster than
// m calls of AddRow for wide problems.
func (n *Normal) AddRows(a, b, w []float64) {
	p := n.P
	m := len(b)
	if len(a) != m*p || len(w) != m {
		panic(fmt.Sprintf("linear: AddRows with %d entries, %d targets, %d weights for %d unknowns", len(a), m, len(w), p))
	}
	if m == 0 {
		return
	}
	sa := make([]float64, m*p)
	for r := 0; r < m; r++ {
		sw := math.Sqrt(w[r])
		row := a[r*p : (r+1)*p]
		for j, v := range row {
			sa[r*p+j] = sw * v
			n.Asum[j] += w[r] * v
			n.Atb[j] += w[r] * v * b[r]
		}
		n.Btb += w[r] * b[r] * b[r]
		n.Bsum += w[r] * b[r]
		n.W += w[r]
	}
	n.Rows += m
	blas64.Syrk(blas.Trans, 1, blas64.General{Rows: m, Cols: p, Stride: p, Data: sa},
		1, blas64.Symmetric{Uplo: blas.Upper, N: p, Stride: p, Data: n.AtA})
}

// AddRow adds the row a (length P) with right-hand side b and weight w.
func (n *Normal) AddRow(a []float64, b, w float64) {
	if len(a) != n.P {
		panic(fmt.Sprintf("linear: row has %d entries, want %d", len(a), n.P))
	}
	p := n.P
	for i, ai := range a {
		if ai == 0 {
			continue
		}
		wai := w * ai
		row := n.AtA[i*p : (i+1)*p]
		for j := i; j < p; j++ {
			row[j] += wai * a[j]
		}
		n.Atb[i] += wai * b
		n.Asum[i] += wai
	}
	n.Btb += w * b * b
	n.Bsum += w * b
	n.W += w
	n.Rows++
}

// Merge adds the sums of o to n.
func (n *Normal) Merge(o *Normal) {
	if o.P != n.P {
		panic("linear: Merge of sums with different sizes")
	}
	for i := range n.AtA {
		n.AtA[i] += o.AtA[i]
	}
	for i := range n.Atb {
		n.Atb[i] += o.Atb[i]
		n.Asum[i] += o.Asum[i]
	}
	n.Btb += o.Btb
	n.Bsum += o.Bsum
	n.W += o.W
	n.Rows += o.Rows
}

// Settings configure Solve and SolveBox.
type Settings struct {
	// Ridge is r ≥ 0, relative to the diagonal of AᵀWA: the penalty is
	// Σ_i λ_i θ_i² with λ_i = r·(AᵀWA)_ii (Marquardt's scaling; for a
	// feature that is zero on the data, the largest diagonal entry). The
	// penalty is then the same whatever the units of the data, of the
	// features and of the parameters: rescaling feature i by c rescales
	// (AᵀWA)_ii by c² and θ_i by 1/c, leaving λ_i θ_i² unchanged. It is
	// also what makes one factorisation serve every ridge: in the unknowns
	// scaled to unit diagonal the penalty is r‖u‖².
	Ridge float64
	// Names label the unknowns in reports; nil gives θ0, θ1, ….
	Names []string
	// RankTol is the relative eigenvalue threshold below which a direction
	// counts as not identified (default 1e-10): an eigenvalue of the
	// scaled AᵀWA, a squared singular value of the scaled design.
	RankTol float64
}

func (s Settings) rankTol() float64 {
	if s.RankTol == 0 {
		return 1e-10
	}
	return s.RankTol
}

// Degeneracy is a direction of parameter space that the data does not
// determine: moving the parameters along Coef changes the fit by (almost)
// nothing.
type Degeneracy struct {
	Params []string  // the parameters involved, largest loading first
	Coef   []float64 // their loadings in the null direction (unit norm over all)
	// Eigenvalue is the relative size of the direction (λ/λ_max).
	Eigenvalue float64
	Reason     string
	index      []int
}

// Result is a solved least-squares problem.
type Result struct {
	Theta []float64
	// StdErr is the standard error per unknown (NaN when not
	// estimable): the square root of the diagonal of σ̂²·M⁻¹AᵀWA·M⁻¹ (M =
	// AᵀWA + Λ, σ̂² = RSS/(rows − rank)). It is approximate: without a
	// ridge it is the textbook (AᵀWA)⁻¹ form for independent rows of
	// equal variance; under a ridge it is the sandwich form, the spread
	// of the ridge estimate about its own, biased, mean (RidgeShift
	// measures the bias, which it leaves out), and σ̂² counts the
	// unknowns, not the ridge's effective degrees of freedom.
	StdErr []float64
	Rank   int
	// Cond is the 2-norm condition number of the ridged normal matrix
	// AᵀWA + Λ with the unknowns scaled to unit diagonal: (σ_max² +
	// r)/(σ_min² + r) for the scaled design's singular values σ. Without
	// a ridge it is the square of the design's condition number: the
	// factor by which the normal equations amplify rounding, where a QR
	// of the rows amplifies it by the square root (when the residual is
	// small; a large residual makes the problem itself that sensitive).
	Cond float64
	// RSS is the weighted residual sum of squares, R2 the coefficient of
	// determination about the weighted mean of b.
	RSS, R2 float64
	// Unidentified lists the directions the data does not determine.
	Unidentified []Degeneracy
	// RidgeShift is θ minus the solution without the ridge (nil when there
	// is no ridge, or when the problem without it is singular): the bias
	// the ridge adds, to compare with StdErr.
	RidgeShift []float64

	// invDiag is the diagonal of (AᵀWA + Λ)⁻¹ AᵀWA (AᵀWA + Λ)⁻¹ in θ
	// units (the covariance of the ridge estimate over σ²; (AᵀWA)⁻¹ without
	// a ridge); rows and w are the row count and total weight, for SetRSS.
	invDiag []float64
	rows    int
	w       float64
}

// SetRSS replaces the residual sum of squares computed from the sums (which
// loses precision when the fit is nearly exact: it is a difference of large
// numbers) by one computed directly from the rows, and updates R² and the
// standard errors. tss is the total sum of squares about the weighted mean
// (NaN to leave R² alone).
func (r *Result) SetRSS(rss, tss float64) {
	r.RSS = rss
	if !math.IsNaN(tss) && tss > 0 {
		r.R2 = 1 - rss/tss
	}
	r.stderr()
}

func (r *Result) stderr() {
	p := len(r.Theta)
	r.StdErr = make([]float64, p)
	if r.invDiag == nil || r.rows <= r.Rank {
		for i := range r.StdErr {
			r.StdErr[i] = math.NaN()
		}
		return
	}
	// Cov(θ) = σ² M⁻¹AᵀWA M⁻¹ (M = AᵀWA + Λ) with σ² = RSS/(rows − rank):
	// with the weights rescaled to mean 1 the factors of the mean weight
	// cancel. Under a ridge this is the spread of the estimate about its
	// biased mean; the bias is RidgeShift's business.
	sigma2 := r.RSS / float64(r.rows-r.Rank)
	for i := 0; i < p; i++ {
		r.StdErr[i] = math.Sqrt(sigma2 * r.invDiag[i])
	}
	for _, d := range r.Unidentified {
		for _, j := range d.index {
			r.StdErr[j] = math.NaN()
		}
	}
}

// ErrSingular is wrapped by Solve's error when the system cannot be solved.
var ErrSingular = errors.New("singular system")

func (n *Normal) symmetric() []float64 {
	p := n.P
	a := make([]float64, p*p)
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			a[i*p+j] = n.AtA[i*p+j]
			a[j*p+i] = n.AtA[i*p+j]
		}
	}
	return a
}

func (s Settings) name(i int) string {
	if i < len(s.Names) {
		return s.Names[i]
	}
	return fmt.Sprintf("θ%d", i)
}

func (d Degeneracy) describe() string {
	if len(d.Params) == 1 {
		return fmt.Sprintf("%s is not identifiable: %s", d.Params[0], d.Reason)
	}
	var terms []string
	for i, name := range d.Params {
		if i == 6 {
			terms = append(terms, fmt.Sprintf("… (%d more)", len(d.Params)-6))
			break
		}
		terms = append(terms, fmt.Sprintf("%+.3g·%s", d.Coef[i], name))
	}
	return fmt.Sprintf("%s are not identifiable: %s (%s ≈ 0)", strings.Join(d.Params[:min(len(d.Params), 6)], ", "), d.Reason, strings.Join(terms, " "))
}

// String describes the degeneracy in one sentence.
func (d Degeneracy) String() string { return d.describe() }
