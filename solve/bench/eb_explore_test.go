package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/snapshot"
)

func TestEBExplore(t *testing.T) {
	if os.Getenv("JKO_EXPLORE") == "" {
		t.Skip()
	}
	data, err := snapshot.ReadDir("../../examples/eb/data", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	train, _, err := data.Split(0.4, 0)
	if err != nil {
		t.Fatal(err)
	}
	var models []EBModel
	for _, line := range strings.Split(os.Getenv("JKO_EXPLORE"), ";") {
		f := strings.SplitN(line, "|", 6)
		reg := 0.01
		if len(f) > 3 {
			reg, _ = strconv.ParseFloat(f[3], 64)
		}
		ep, lr := 200, 1e-3
		if len(f) > 5 {
			ep, _ = strconv.Atoi(f[4])
			lr, _ = strconv.ParseFloat(f[5], 64)
		}
		models = append(models, EBModel{Name: f[0] + " reg " + fmt.Sprint(reg) + " at " + f[2] + fmt.Sprint(" ep ", ep, " lr ", lr), Spec: f[0], Method: f[1], EvalAt: f[2], JK: func(o *jkonet.Options) { o.Reg, o.Epochs, o.LR = reg, ep, lr }})
	}
	o := EBOptions{Seeds: 1, TestFraction: 0.25, OneStep: models, Progress: func(s string) { fmt.Println(s) }}
	if os.Getenv("JKO_LEAVE") != "" {
		o = EBOptions{Seeds: 1, TestFraction: 0.25, OneStep: models, Progress: func(s string) { fmt.Println(s) }}
		// validation for the leave-out protocol: the kept snapshots only
		train, _ = train.Without([]int{1, 3})
	}
	rows := RunEB(train, o)
	for _, r := range rows {
		if !r.Published {
			fmt.Printf("%-70s %s %.4f ± %.3f  %.1fs %s\n", r.Model, r.Step, r.Mean, r.StepStd, r.Seconds, r.Err)
		}
	}
}
