package compile

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/jko-org/jko/lang"
)

// Format writes the model back as a spec with the parameter values θ
// filled in: every parameter declaration gets its value as the initial
// value (split into one declaration per name where values differ), with
// its standard error as a trailing comment when stderr is given, and every
// neural block gets a weights declaration. m.Scheme, when declared, becomes the
// step declaration at the top (replacing the spec's own). Imports are
// inlined so the result stands alone. header lines become a comment at
// the top. The output parses, checks, and instantiates to the same model.
func (m *Model) Format(theta, stderr []float64, header []string) ([]byte, error) {
	if len(theta) != m.NumParams {
		return nil, fmt.Errorf("compile: %d values for %d parameters", len(theta), m.NumParams)
	}
	// The language has no text for NaN or ±Inf: a fit that produced one
	// is refused here, by name, rather than written as text that does not
	// read back.
	for i, v := range theta {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("compile: parameter %s is %v after the fit, not a finite number: the fitted spec is not written", m.ParamNames()[i], v)
		}
	}
	byName := map[string]*Param{}
	for i := range m.Params {
		byName[m.Params[i].Name] = &m.Params[i]
	}
	files := m.Spec.Model.Files
	order := append([]*lang.File{}, files[1:]...)
	for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
		order[i], order[j] = order[j], order[i]
	}
	order = append(order, files[0])

	out := &lang.File{Filename: files[0].Filename}
	if len(header) > 0 {
		out.Comments = append(out.Comments, lang.NewCommentGroup(header...))
	}
	if m.SchemeDeclared {
		st := &lang.Step{Kind: m.Scheme.String()}
		st.DeclMeta = lang.DeclMeta{Doc: lang.NewCommentGroup(stepComment(m.Scheme))}
		if own := m.Spec.Model.Step; own != nil && own.Kind == st.Kind && (own.Doc != nil || own.Comment != nil) {
			st.DeclMeta = own.DeclMeta // the spec's own comments, when it said the same
			st.BlankBefore = false
		}
		out.Decls = append(out.Decls, st)
	}
	seenWeights := map[string]bool{}
	for fi, f := range order {
		first := true
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *lang.Import, *lang.Step:
				continue
			case *lang.Weights:
				seenWeights[d.Name] = true
				if b := m.block(d.Name); b != nil {
					nd := *d
					nd.Values = lang.VectorLit(m.blockValues(b, theta))
					d = &nd
				}
				out.Decls = append(out.Decls, d)
			case *lang.Param:
				for i, nd := range m.fillParam(d, byName, theta, stderr) {
					if i > 0 {
						nd.Meta().Doc = nil
						nd.Meta().BlankBefore = false
					}
					out.Decls = append(out.Decls, nd)
				}
			default:
				out.Decls = append(out.Decls, shallowCopy(d))
			}
			last := out.Decls[len(out.Decls)-1]
			if first && fi < len(order)-1 {
				meta := *last.Meta()
				doc := []string{"# from " + f.Filename}
				if meta.Doc != nil {
					for _, c := range meta.Doc.List {
						doc = append(doc, c.Text)
					}
				}
				meta.Doc = lang.NewCommentGroup(doc...)
				meta.BlankBefore = len(out.Decls) > 1
				setMeta(last, meta)
			}
			first = false
		}
	}
	for i := range m.blocks {
		b := &m.blocks[i]
		if seenWeights[b.info.Name] {
			continue
		}
		w := &lang.Weights{Name: b.info.Name, Values: lang.VectorLit(m.blockValues(b, theta))}
		w.DeclMeta = lang.DeclMeta{BlankBefore: true,
			Doc: lang.NewCommentGroup(fmt.Sprintf("# fitted weights of %s: %s", b.info.Name, m.blockShape(b)))}
		out.Decls = append(out.Decls, w)
	}
	if m.SchemeDeclared && len(out.Decls) > 1 && out.Decls[1].Meta().Doc != nil {
		// A blank line between the step and the spec's first comment.
		d := shallowCopy(out.Decls[1])
		d.Meta().BlankBefore = true
		out.Decls[1] = d
	}
	var buf bytes.Buffer
	if err := lang.Fprint(&buf, out); err != nil {
		return nil, fmt.Errorf("compile: the fitted spec cannot be printed: %v", err)
	}
	text := buf.Bytes()
	// The output must read back: a printer or model bug must not produce a
	// file that fails later.
	if _, err := lang.ParseFile(out.Filename, text); err != nil {
		return nil, fmt.Errorf("compile: the fitted spec does not parse (a bug): %v", err)
	}
	return text, nil
}

// stepComment explains a step declaration to the reader of a fitted spec.
func stepComment(s Scheme) string {
	if s == Implicit {
		return "# the JKO step y = x + τ·drift(y): predict and simulate with it (jko eval, predict and simulate do)"
	}
	return "# Euler's step x + τ·drift(x): predict and simulate with it"
}

// shallowCopy copies a declaration so its comments can change without
// touching the spec's own tree.
func shallowCopy(d lang.Decl) lang.Decl {
	switch d := d.(type) {
	case *lang.Const:
		c := *d
		return &c
	case *lang.Fn:
		c := *d
		return &c
	case *lang.Term:
		c := *d
		return &c
	case *lang.Param:
		c := *d
		return &c
	case *lang.Weights:
		c := *d
		return &c
	case *lang.Step:
		c := *d
		return &c
	}
	return d
}

// setMeta replaces the comments and layout of a declaration (on a copy, so
// the spec's own tree is not modified).
func setMeta(d lang.Decl, meta lang.DeclMeta) {
	*d.Meta() = meta
}

func (m *Model) block(name string) *mlpBlock {
	for i := range m.blocks {
		if m.blocks[i].info.Name == name {
			return &m.blocks[i]
		}
	}
	return nil
}

func (m *Model) blockValues(b *mlpBlock, theta []float64) []float64 {
	var vals []float64
	for i := 0; i < b.count; i++ {
		p := m.Params[b.first+i]
		vals = append(vals, theta[p.Offset:p.Offset+p.Size]...)
	}
	return vals
}

func (m *Model) blockShape(b *mlpBlock) string {
	var parts []string
	for i := 0; i < b.count; i++ {
		p := m.Params[b.first+i]
		dims := make([]string, len(p.Shape))
		for j, s := range p.Shape {
			dims[j] = strconv.Itoa(s)
		}
		name := strings.TrimPrefix(p.Name, b.info.Name+".")
		if len(dims) == 0 {
			parts = append(parts, name)
		} else {
			parts = append(parts, name+"["+strings.Join(dims, "×")+"]")
		}
	}
	return strings.Join(parts, ", ") + " in this order, row-major"
}

// fillParam returns the declarations replacing d with values filled in.
func (m *Model) fillParam(d *lang.Param, byName map[string]*Param, theta, stderr []float64) []lang.Decl {
	type filled struct {
		name  *lang.Ident
		value lang.Expr
		note  string
	}
	var fs []filled
	for _, id := range d.Names {
		p := byName[id.Name]
		if p == nil {
			fs = append(fs, filled{id, d.Init, ""})
			continue
		}
		vals := theta[p.Offset : p.Offset+p.Size]
		var value lang.Expr
		if len(p.Shape) == 0 {
			value = lang.NumberLit(vals[0])
		} else {
			value = lang.VectorLit(vals)
		}
		note := ""
		if stderr != nil {
			note = seNote(stderr[p.Offset : p.Offset+p.Size])
		}
		fs = append(fs, filled{id, value, note})
	}
	own := paramComments(d)
	var out []lang.Decl
	for i, f := range fs {
		nd := *d
		nd.Names = []*lang.Ident{f.name}
		nd.Init = f.value
		nd.Interior = nil
		nd.Comment = nil
		if len(own[i].above) > 0 {
			nd.Doc = lang.NewCommentGroup(own[i].above...)
		}
		text := strings.Join(own[i].after, " ")
		if f.note != "" {
			if text != "" {
				text += "; "
			}
			text += f.note
		}
		if text != "" {
			nd.Comment = &lang.Comment{Text: "# " + text}
		}
		out = append(out, &nd)
	}
	return out
}

// oldNote matches the standard-error note a previous fit appended to a
// parameter's comment, so a refit replaces it rather than adding another.
var oldNote = regexp.MustCompile(`(^|; )(± \S+( \(not estimable\))?|standard errors up to \S+( \(\d+ not estimable\))?)$`)

// nameComments are the spec's own comments for one name of a parameter
// declaration: comment lines above it and the text after it on its line.
type nameComments struct {
	above []string
	after []string
}

// paramComments gives each name of a parameter declaration the comments
// the spec wrote for it: the trailing comment of the line where the name
// stands (every name of a one-line declaration shares it), and comments
// alone on their line go above the name that follows them. A previous
// fit's standard-error note is dropped.
func paramComments(d *lang.Param) []nameComments {
	out := make([]nameComments, len(d.Names))
	all := slices.Clone(d.Interior)
	if d.Comment != nil {
		all = append(all, d.Comment)
	}
	for _, c := range all {
		text := strings.TrimSpace(strings.TrimPrefix(c.Text, "#"))
		text = oldNote.ReplaceAllString(text, "")
		if text == "" {
			continue
		}
		if c.OwnLine {
			// Above the first name after it (or the last name).
			k := len(d.Names) - 1
			for i, id := range d.Names {
				if id.At.Line > c.At.Line {
					k = i
					break
				}
			}
			out[k].above = append(out[k].above, "# "+text)
			continue
		}
		// After every name on its line; else after the last name before it.
		matched, last := false, 0
		for i, id := range d.Names {
			if !id.At.IsValid() || id.At.Line == c.At.Line {
				out[i].after = append(out[i].after, text)
				matched = true
			}
			if id.At.Line <= c.At.Line {
				last = i
			}
		}
		if !matched {
			out[last].after = append(out[last].after, text)
		}
	}
	return out
}

// seNote formats standard errors for a trailing comment.
func seNote(se []float64) string {
	if len(se) == 1 {
		if math.IsNaN(se[0]) {
			return "± ? (not estimable)"
		}
		return "± " + strconv.FormatFloat(se[0], 'g', 3, 64)
	}
	worst, nan := 0.0, 0
	for _, v := range se {
		if math.IsNaN(v) {
			nan++
			continue
		}
		worst = math.Max(worst, v)
	}
	s := "standard errors up to " + strconv.FormatFloat(worst, 'g', 3, 64)
	if nan > 0 {
		s += fmt.Sprintf(" (%d not estimable)", nan)
	}
	return s
}
