package ot
import ("testing";"time";"math/rand/v2";"fmt")
func TestBF(t *testing.T){
	r := rand.New(rand.NewPCG(8, 9))
	x, y := uniformCloud(r, 1000, 2), uniformCloud(r, 800, 2)
	a, w := randWeights(r, 1000), randWeights(r, 800)
	cost, _ := CostMatrix(x, y, SqEuclidean)
	ro, co := principalOrder(x, y)
 for _, f := range []float64{0.05,0.1,0.2,0.4,1}{ blockFactor=f; for _, o := range [][2][]int{{nil,nil},{ro,co}} { t0:=time.Now(); p,_:=NetworkSimplex(a,w,cost,o[0],o[1]); fmt.Println(f,o[0]!=nil,time.Since(t0),p.Cost)}}
}
