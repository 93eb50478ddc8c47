package snapshot

import (
	"bytes"
	"testing"
)

// FuzzCSV: any text is read into valid snapshots that write back and read
// again unchanged, or gives an *Error; never a panic.
func FuzzCSV(f *testing.F) {
	f.Add("t,x,y\n0,1,2\n0,3,4\n1,5,6\n1,7,8\n", "")
	f.Add("\ufefftime,a,weight\n0,1,0.5\n0,2,1\n", "weight")
	f.Add("# c\nt,x\n0,1e308\n0,-1e308\n", "")
	f.Add("t,x\n0,\"1\"\n0,2\n", "w")
	f.Fuzz(func(t *testing.T, text, weights string) {
		o := CSVOptions{Weights: weights}
		s, err := o.Read(bytes.NewReader([]byte(text)), "f.csv")
		if err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("read snapshots that do not validate: %v", err)
		}
		var buf bytes.Buffer
		if err := WriteCSV(&buf, s); err != nil {
			t.Fatalf("write: %v", err)
		}
		if s.W != nil {
			o.Weights = "weight"
		}
		back, err := o.Read(&buf, "back.csv")
		if err != nil || !equalSnapshots(s, back) {
			t.Fatalf("round trip: %v", err)
		}
		x, w, err := o.ReadPoints(bytes.NewReader([]byte(text)), "p.csv")
		if err == nil {
			if n, _ := x.Dims(); w != nil && len(w) != n {
				t.Fatalf("%d weights for %d points", len(w), n)
			}
		}
	})
}
