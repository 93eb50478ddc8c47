package ot
import ("testing";"math/rand/v2")
func TestStatTmp(t *testing.T){
	r := rand.New(rand.NewPCG(8, 9))
	x, y := uniformCloud(r, 1000, 2), uniformCloud(r, 800, 2)
	a, w := randWeights(r, 1000), randWeights(r, 800)
	cost, _ := CostMatrix(x, y, SqEuclidean)
	statPiv, statSub, statScan = 0,0,0
	NetworkSimplex(a, w, cost, nil, nil)
	t.Logf("piv %d sub %d scan %d", statPiv, statSub, statScan)
}
