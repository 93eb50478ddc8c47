package jkonet

import (
	"math"
	"slices"
	"sync"

	"github.com/jko-org/jko/internal/parallel"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/spatial/kdtree"
)

// calWarm is what the β calibration's simulated steps (kept) carry from
// one trial to the next. Every simulation starts from the same sources,
// seed by seed with the same noise (common random numbers), so what
// changes between trials is small: the drift θ_s and the noise's scale.
//
//   - The couplings: the simulated cloud of a seed moves a little from one
//     trial β to the next, and so do the optimal prices of its points;
//     the exact solver starts from the prices of the seed's coupling whose
//     cloud lies nearest (ot.Options.Prices) and finds the same optimal
//     plan with few augmentations, where a cold start builds its
//     candidate graph twice and augments a third of the rows (1,000
//     points of wavy_plateau + flowers, β = 0.1).
//   - The noise statistics: the coupling of two equal uniform clouds is a
//     permutation, whose pairs start from the sources in order, so the
//     residuals of every simulation sit at the same points, and farStat's
//     and differenceStat's neighbours (k-d tree queries) are the same:
//     they are found once per step.
//
// Neither changes what is computed: the plan is the optimal one either
// way, and the neighbours are those of the same points.
type calWarm struct {
	// done[s][seed] are step s's latest simulations of the seed, coupled,
	// in the order they were made (at most keptCouplings).
	done []map[uint64][]coupledSim
	// data[s] is the data's own coupling of step s (Transition.coupled),
	// where the first simulation of all starts.
	data []*coupledSim
	nb   []stepNeighbours
}

// coupledSim is what a later coupling of the seed starts from: the
// simulated cloud y (NS×d), its column prices v (the plan's V) and each
// point's displacement from the source it is coupled to, y_j − x_i.
type coupledSim struct {
	y, v, disp []float64
	tree       *cloudTree
}

// cloudTree is a k-d tree over a coupled cloud (made on first use) and
// the index of each of its points.
type cloudTree struct {
	once  sync.Once
	t     *kdtree.Tree
	index map[*float64]int
}

// stepNeighbours are the neighbours of one step's sources, found once.
type stepNeighbours struct {
	once sync.Once
	nb   *neighbours
}

// neighbours is what farStat and differenceStat find in a cloud of
// residuals' sources: each point's farNeighbour-th nearest neighbour (−1
// for none), and the disjoint pairs of near neighbours with their squared
// distances (neighbourPairs).
type neighbours struct {
	far   []int
	pairs [][2]int
	h2    []float64
}

// findNeighbours computes the neighbours of the points x (n×d).
func findNeighbours(x []float64, n, d int) *neighbours {
	pairs, h2 := neighbourPairs(x, n, d)
	return &neighbours{far: farNeighbours(x, n, d), pairs: pairs, h2: h2}
}

// warmState returns the calibration's shared state, made for the steps of
// prep on first use (before any simulation runs).
func (rf *refits) warmState(prep *Prepared) *calWarm {
	if rf.warm == nil {
		steps := len(prep.Steps)
		rf.warm = &calWarm{done: make([]map[uint64][]coupledSim, steps), data: make([]*coupledSim, steps), nb: make([]stepNeighbours, steps)}
		for s := range rf.warm.done {
			rf.warm.done[s] = map[uint64][]coupledSim{}
			rf.warm.data[s] = prep.Steps[s].coupled
		}
	}
	return rf.warm
}

// startPrices returns the prices to start step s's coupling of the seed's
// simulated cloud y from, nil for none. They come from the seed's
// coupling whose cloud is nearest y (the least Σ_j ‖y_j − y_j^ref‖²:
// the trial β nearest and the same drift; in the calibration's secant
// the trial before last, not the last, once the steps shrink), moved to
// y to first order: point j of every simulation starts from source j,
// and the price of a point y, v(y) = min_x c(x, y) − u(x), has the
// gradient 2(y − x) for the squared distance c and the x it is coupled
// to, so v_j + 2⟨y_j − y_j^ref, y_j^ref − x⟩ (20,000 points of
// wavy_plateau, β = 0.1005: from β = 0.1 344 augmentations and 0.34
// CPU-s, from β = 0.125 2,428 and 0.42 CPU-s; cold 13,824 and 3.9). A
// seed not coupled yet starts from the lowest seed's last coupling
// (another noise, the same drift and sources), each point from that
// cloud's nearest point (point j there lies a noise's length away: from
// it, the start left 62% of 10,000 rows free, from the nearest 32%, and
// the coupling took 1.0 s against 3.5 s). The first simulation of all
// starts the same way from the data's own coupling (Transition.coupled:
// another noise and drift, the same sources; 20,000 points of
// wavy_plateau, a simulation with β = 0.02 from a cloud with β = 0.1:
// 5,387 augmentations and 0.88 CPU-s, cold 14,063 and 4.2).
func (w *calWarm) startPrices(s int, seed uint64, y []float64, d int) []float64 {
	var ref coupledSim
	own := false
	if list := w.done[s][seed]; len(list) > 0 {
		best := math.Inf(1)
		for _, c := range list {
			if len(c.y) != len(y) {
				continue
			}
			dist := 0.0
			for j, v := range y {
				e := v - c.y[j]
				dist += e * e
			}
			if dist < best {
				ref, best, own = c, dist, true
			}
		}
	}
	if !own {
		ok, bs := false, uint64(0)
		for k, list := range w.done[s] {
			if len(list) > 0 && (!ok || k < bs) {
				ref, bs, ok = list[len(list)-1], k, true
			}
		}
		if !ok && w.data[s] != nil {
			ref, ok = *w.data[s], true
		}
		if !ok {
			return nil
		}
	}
	if len(ref.y) != len(y) {
		return nil
	}
	n := len(y) / d
	var from []int
	if !own {
		from = ref.nearest(y, n, d)
	}
	out := make([]float64, n)
	for j := range out {
		r := j
		if from != nil {
			r = from[j]
		}
		v := ref.v[r]
		for k := 0; k < d; k++ {
			v += 2 * (y[j*d+k] - ref.y[r*d+k]) * ref.disp[r*d+k]
		}
		out[j] = v
	}
	return out
}

// permutationCoupling returns the coupling of the sources x (n×d) to the
// cloud y (n×d) by pairs with column prices v as a coupledSim, when it is
// a permutation (one pair per source and per point of y) with a price
// for each point; nil otherwise.
func permutationCoupling(x, y []float64, pairs []Pair, v []float64, d int) *coupledSim {
	n := len(y) / d
	if len(x) != len(y) || len(v) != n || len(pairs) != n {
		return nil
	}
	disp := make([]float64, len(y))
	seen := make([]bool, n)
	for _, pr := range pairs {
		if pr.I < 0 || pr.I >= n || pr.J < 0 || pr.J >= n || seen[pr.J] {
			return nil
		}
		seen[pr.J] = true
		for k := 0; k < d; k++ {
			disp[pr.J*d+k] = y[pr.J*d+k] - x[pr.I*d+k]
		}
	}
	return &coupledSim{y: y, v: v, disp: disp, tree: &cloudTree{}}
}

// nearest returns, for each point of y (n×d), the index of its nearest
// point in the coupled cloud c.y (whose k-d tree is built on first use).
func (c coupledSim) nearest(y []float64, n, d int) []int {
	t := c.tree
	t.once.Do(func() {
		pts := make(kdtree.Points, len(c.y)/d)
		t.index = make(map[*float64]int, len(pts))
		for i := range pts {
			pts[i] = kdtree.Point(c.y[i*d : (i+1)*d : (i+1)*d])
			t.index[&c.y[i*d]] = i
		}
		t.t = kdtree.New(pts, false)
	})
	out := make([]int, n)
	parallel.For(n, func(j int) {
		p, _ := t.t.Nearest(kdtree.Point(y[j*d : (j+1)*d]))
		out[j] = t.index[&p.(kdtree.Point)[0]]
	})
	return out
}

// sourceNeighbours returns the neighbours of step s's sources for
// residuals whose pairs start from the sources in order (one pair per
// source, pair p from source p), else nil (the statistics then find
// them).
func (w *calWarm) sourceNeighbours(prep *Prepared, s int, pairs []Pair, d int) *neighbours {
	st := &prep.Steps[s]
	if len(pairs) != st.NS {
		return nil
	}
	for p, pr := range pairs {
		if pr.I != p {
			return nil
		}
	}
	return w.ofSources(prep, s, d)
}

// ofSources returns the neighbours of step s's sources, found on first
// use.
func (w *calWarm) ofSources(prep *Prepared, s, d int) *neighbours {
	st := &prep.Steps[s]
	sn := &w.nb[s]
	sn.once.Do(func() { sn.nb = findNeighbours(st.Source, st.NS, d) })
	return sn.nb
}

// dataNeighbours sets the neighbours of the data's residuals (res, from
// dataResiduals) to the sources', where a step's pairs start from the
// sources in order (x the sources, bit for bit: the exact coupling of
// two equal clouds), so that the data's statistics and the
// calibration's find them once; the steps' neighbours are found at once,
// on the cores.
func (w *calWarm) dataNeighbours(prep *Prepared, res []residuals, d int) {
	same := make([]bool, len(res))
	for s := range res {
		st := &prep.Steps[s]
		same[s] = res[s].n == st.NS && len(res[s].x) == len(st.Source) && slices.Equal(res[s].x, st.Source)
	}
	parallel.For(len(res), func(s int) {
		if same[s] {
			res[s].nb = w.ofSources(prep, s, d)
		}
	})
}

// coupleSim couples step s's sources to the simulated cloud y of the
// seed, exactly, starting from startPrices; the new prices are returned
// for setPrices (not stored here, so that simulations coupled at the
// same time read the same start whatever their order).
func (w *calWarm) coupleSim(prep *Prepared, s int, seed uint64, y []float64, d int, c Couplings) ([]Pair, []float64, error) {
	st := &prep.Steps[s]
	n := st.NS
	return coupleFrom(mat.NewDense(n, d, st.Source), mat.NewDense(n, d, y), nil, nil, c, w.startPrices(s, seed, y, d))
}

// keptCouplings is how many of a seed's latest couplings per step are
// kept to start from (20,000 points: 0.8 MB each): the secant's trial
// nearest the next is the last or the one before (β, 1.25·β, then β̂ ≈ β).
const keptCouplings = 2

// setPrices records step s's coupling of the seed, sm with the column
// prices v (nil: an inexact coupling, nothing to record).
func (w *calWarm) setPrices(prep *Prepared, s int, seed uint64, sm simPairs, v []float64, d int) {
	c := permutationCoupling(prep.Steps[s].Source, sm.y, sm.pairs, v, d)
	if c == nil {
		return
	}
	list := append(w.done[s][seed], *c)
	if len(list) > keptCouplings {
		list = append(list[:0:0], list[len(list)-keptCouplings:]...)
	}
	w.done[s][seed] = list
}
