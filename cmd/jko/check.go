package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/jko-org/jko/compile"
)

type checkCmd struct {
	File  string  `arg:"" help:"Spec file (or a standard-library name)."`
	Dim   int     `help:"Dimension to compile at (the data's dimension)." default:"2"`
	At    string  `help:"Evaluate every term and its gradient at this point x (comma-separated), e.g. --at 1.5,-2 or --at -1,2 (interaction terms at z = x; internal terms at ρ = --rho)." placeholder:"X1,X2,…"`
	Rho   float64 `help:"Density at which internal terms are evaluated with --at." default:"1" placeholder:"RHO"`
	T     float64 `placeholder:"T" help:"Time at which time-dependent potentials are evaluated with --at."`
	Param string  `placeholder:"NAME=VALUE,…" help:"Parameter values for --at: a=1,b=-2,w=[1;2] (default: the spec's initial values)."`
	JSON  bool    `help:"Print JSON."`
}

type checkTerm struct {
	Name     string    `json:"name"`
	Kind     string    `json:"kind"`
	Args     string    `json:"args"`
	Gradient []string  `json:"gradient"`
	Linear   bool      `json:"linear"`
	Features int       `json:"features"`
	Why      string    `json:"nonlinear,omitempty"`
	Value    *float64  `json:"value,omitempty"`
	Grad     []float64 `json:"grad,omitempty"`
	NaNAt    string    `json:"nan_at,omitempty"`
}

type checkParam struct {
	Name      string  `json:"name"`
	Shape     string  `json:"shape"`
	Size      int     `json:"size"`
	Lower     float64 `json:"lower"`
	Upper     float64 `json:"upper"`
	Learnable bool    `json:"learnable"`
	Hidden    bool    `json:"hidden,omitempty"`
}

type checkReport struct {
	File   string       `json:"file"`
	Dim    int          `json:"dim"`
	Terms  []checkTerm  `json:"terms"`
	Params []checkParam `json:"params"`
	Size   int          `json:"num_params"`
}

func (c checkCmd) Run(g *globals) error {
	spec, err := compile.LoadFile(c.File)
	if err != nil {
		return err
	}
	m, err := spec.Instantiate(c.Dim)
	if err != nil {
		return err
	}
	theta := m.InitTheta(0)
	vals, err := parseParams(c.Param)
	if err != nil {
		return err
	}
	if err := applyParams(m, theta, vals); err != nil {
		return err
	}
	var x []float64
	if c.At != "" {
		for _, f := range strings.Split(c.At, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				return fmt.Errorf("--at: %q is not a number", f)
			}
			x = append(x, v)
		}
		if len(x) != c.Dim {
			return fmt.Errorf("--at has %d coordinates; the spec is compiled at d = %d (set --dim)", len(x), c.Dim)
		}
	}
	rep := checkReport{File: c.File, Dim: c.Dim, Size: m.NumParams}
	for i, t := range m.Terms {
		ct := checkTerm{Name: t.Name, Kind: t.Kind.String(), Linear: t.Linear}
		ct.Args = map[compile.TermKind]string{compile.Potential: "x", compile.Interaction: "z", compile.Internal: "rho"}[t.Kind]
		if t.TimeDependent {
			ct.Args = "x, t"
		}
		if ct.Gradient, err = gradientText(m, i); err != nil {
			return err
		}
		for _, i := range t.Params {
			ct.Features += m.Params[i].Size
		}
		if !t.Linear {
			ct.Features = 0
			ct.Why = t.NonlinearAt.Msg + " (" + t.NonlinearAt.Pos.String() + ")"
		}
		if x != nil {
			tv, err := m.EvalTerm(i, theta, compile.TermPoint{X: x, T: c.T, Rho: c.Rho})
			if err != nil {
				return err
			}
			ct.Value, ct.Grad = &tv.Value, tv.Grad
			if n := tv.NonFinite; n != nil {
				ct.NaNAt = fmt.Sprintf("%s: %s is %v", n.Pos, clip(n.Expr, 60), n.Value)
			}
		}
		rep.Terms = append(rep.Terms, ct)
	}
	for _, p := range spec.Model.Params {
		cp := checkParam{Name: p.Name, Shape: p.Shape.String(), Lower: p.Lower, Upper: p.Upper, Learnable: p.Learnable}
		for _, q := range m.Params {
			if q.Name == p.Name {
				cp.Size = q.Size
			}
		}
		rep.Params = append(rep.Params, cp)
	}
	for _, q := range m.Params {
		if q.Hidden {
			rep.Params = append(rep.Params, checkParam{Name: q.Name, Shape: fmt.Sprint(q.Shape), Size: q.Size,
				Lower: math.Inf(-1), Upper: math.Inf(1), Learnable: true, Hidden: true})
		}
	}
	if c.JSON {
		for i := range rep.Params {
			// JSON has no infinities.
			if math.IsInf(rep.Params[i].Lower, -1) {
				rep.Params[i].Lower = -math.MaxFloat64
			}
			if math.IsInf(rep.Params[i].Upper, 1) {
				rep.Params[i].Upper = math.MaxFloat64
			}
		}
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(jsonSafe(rep))
	}
	printCheck(g, rep, m, x, c.Rho)
	return nil
}

// jsonSafe replaces NaN and Inf values (which JSON cannot carry) by null.
func jsonSafe(rep checkReport) any {
	out := map[string]any{"file": rep.File, "dim": rep.Dim, "num_params": rep.Size, "params": rep.Params}
	var terms []map[string]any
	for _, t := range rep.Terms {
		m := map[string]any{"name": t.Name, "kind": t.Kind, "args": t.Args, "gradient": t.Gradient, "linear": t.Linear, "features": t.Features}
		if t.Why != "" {
			m["nonlinear"] = t.Why
		}
		if t.Value != nil {
			m["value"] = finiteOrNil(*t.Value)
			g := make([]any, len(t.Grad))
			for i, v := range t.Grad {
				g[i] = finiteOrNil(v)
			}
			m["grad"] = g
		}
		if t.NaNAt != "" {
			m["nan_at"] = t.NaNAt
		}
		terms = append(terms, m)
	}
	out["terms"] = terms
	return out
}

func finiteOrNil(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

func clip(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func gradientText(m *compile.Model, i int) ([]string, error) {
	grad, deriv, err := m.TermText(i)
	if err != nil {
		return nil, err
	}
	t := m.Terms[i]
	if t.Kind == compile.Internal {
		return []string{"f'(rho) = " + clip(deriv, 200), "f''(rho) = " + clip(grad, 200)}, nil
	}
	v := "x"
	if t.Kind == compile.Interaction {
		v = "z"
	}
	return []string{fmt.Sprintf("∇%s(%s) = %s", t.Name, v, clip(grad, 240))}, nil
}

// plural writes "1 feature", "2 features".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func printCheck(g *globals, rep checkReport, m *compile.Model, x []float64, rho float64) {
	w := g.stdout
	fmt.Fprintf(w, "%s: ok (compiled at d = %d, %d learnable value%s)\n", rep.File, rep.Dim, rep.Size, map[bool]string{true: "", false: "s"}[rep.Size == 1])
	for _, t := range rep.Terms {
		fmt.Fprintf(w, "\n%s %s(%s)\n", t.Kind, t.Name, t.Args)
		for _, gl := range t.Gradient {
			fmt.Fprintf(w, "  %s\n", gl)
		}
		if t.Linear && t.Features == 0 {
			fmt.Fprintf(w, "  no learnable parameters\n")
		} else if t.Linear {
			fmt.Fprintf(w, "  linear in its parameters: %s\n", plural(t.Features, "feature"))
		} else {
			fmt.Fprintf(w, "  not linear: %s\n", t.Why)
		}
		if t.Value != nil {
			switch t.Kind {
			case "internal":
				fmt.Fprintf(w, "  at ρ = %s (--rho): f = %s, f″ = %s\n", fmtNum(rho), fmtNum(*t.Value), fmtNum(t.Grad[0]))
			case "interaction":
				fmt.Fprintf(w, "  at z = x − y = %s: U = %s, ∇U = %s\n", fmtVec(x), fmtNum(*t.Value), fmtVec(t.Grad))
			default:
				fmt.Fprintf(w, "  at x = %s: V = %s, ∇V = %s\n", fmtVec(x), fmtNum(*t.Value), fmtVec(t.Grad))
			}
			if t.NaNAt != "" {
				fmt.Fprintf(w, "  not finite: first at %s\n", t.NaNAt)
			}
		}
	}
	fmt.Fprintln(w, "\nparameters:")
	for _, p := range rep.Params {
		bounds := ""
		if !math.IsInf(p.Lower, -1) || !math.IsInf(p.Upper, 1) {
			bounds = fmt.Sprintf(" in [%g, %g]", p.Lower, p.Upper)
		}
		kind := "learnable"
		if !p.Learnable {
			kind = "fixed"
		}
		if p.Hidden {
			kind = "hidden weights"
		}
		size := fmt.Sprintf("%d values at d = %d", p.Size, rep.Dim)
		if p.Size == 1 {
			size = "1 value"
		}
		fmt.Fprintf(w, "  %s: %s (%s)%s, %s\n", p.Name, p.Shape, size, bounds, kind)
	}
}
