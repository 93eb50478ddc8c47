package pipeline

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/lang"
)

// Chunk is up to ChunkRows consecutive rows of one snapshot from one input.
type Chunk struct {
	Input, Offset int     // which input, and the row the chunk starts at
	T             float64 // the snapshot's time
	D             int
	X             []float64 // rows × D
	W             []float64 // one weight per row, or nil
	// Whole marks rows of the whole population the input's split was
	// drawn from (snapshot.Snapshots.Population), not rows of the split.
	Whole bool
}

// Snap is a whole snapshot: its index in time order (once known), its
// time and its rows in input order. Pop holds the rows of the population
// the snapshot is a split of, when the evaluation read them (nil
// otherwise).
type Snap struct {
	Index int
	T     float64
	D     int
	X     []float64
	W     []float64
	Pop   []float64
}

// Unit is one shard of the work: the rows of a mini-batch to couple, or a
// slice of a step's coupled pairs. Its features and normal equations are
// computed on one worker.
type Unit struct {
	ID     int64 // Step<<32 | index within the step: the merge order
	Step   int
	Tx, Ty float64
	D      int
	// Batches > 0: some of the mini-batches of a step; X and Y hold
	// their rows, NX[b] and NY[b] rows of batch b in turn, not yet
	// coupled. 0: pairs.
	Batches int
	NX, NY  []int
	// Mass[b] is batch b's share of the first snapshot's weight; N and M
	// are the two snapshots' sizes (for the threshold on pair masses).
	Mass []float64
	N, M int
	// X and Y hold rows of the two snapshots; for pairs, row i of X and of
	// Y form pair i, with weight PW[i].
	X, Y   []float64
	WX, WY []float64
	PW     []float64
	// Pairs of a coupled mini-batch, indexing X and Y.
	PI, PJ []int
	// Rho and GradRho are the density (and its gradient) at each row of
	// X (DensityAtY false) or Y, when the spec has an internal energy.
	Rho, GradRho []float64
	DensityAtY   bool
	// Cloud is the snapshot the drift's evaluation points come from, when
	// the spec has an interaction term (NC rows).
	Cloud []float64
	NC    int
	// SamplePairs: the unit's pairs also go to the one worker that
	// estimates an entropy's β from the residual noise
	// (jkonet.Result.SetBetaFromPairs); Source is snapshot k, the
	// particles the coupling saw, on the step's first unit.
	SamplePairs bool
	Source      []float64
}

// Part is one unit's contribution to a sum: normal equations (Acc, the
// bytes of a jkonet.Accumulator) or a residual.
type Part struct {
	ID            int64
	D             int
	Acc           []byte
	RSS, TSS, Wsm float64
}

func gobEncode[T any](v T) ([]byte, error) {
	var b bytes.Buffer
	err := gob.NewEncoder(&b).Encode(v)
	return b.Bytes(), err
}

func gobDecode[T any](data []byte) (T, error) {
	var v T
	err := gob.NewDecoder(bytes.NewReader(data)).Decode(&v)
	return v, err
}

// The coders are plain functions, one per type: Beam finds functions by
// name on the workers, and the instances of a generic function share one.
func encChunk(v Chunk) ([]byte, error) { return gobEncode(v) }
func decChunk(b []byte) (Chunk, error) { return gobDecode[Chunk](b) }
func encSnap(v Snap) ([]byte, error)   { return gobEncode(v) }
func decSnap(b []byte) (Snap, error)   { return gobDecode[Snap](b) }
func encUnit(v Unit) ([]byte, error)   { return gobEncode(v) }
func decUnit(b []byte) (Unit, error)   { return gobDecode[Unit](b) }
func encPart(v Part) ([]byte, error)   { return gobEncode(v) }
func decPart(b []byte) (Part, error)   { return gobDecode[Part](b) }

func init() {
	// Float64 slices travel as their bits (gob), exactly.
	beam.RegisterCoder(reflect.TypeOf(Chunk{}), encChunk, decChunk)
	beam.RegisterCoder(reflect.TypeOf(Snap{}), encSnap, decSnap)
	beam.RegisterCoder(reflect.TypeOf(Unit{}), encUnit, decUnit)
	beam.RegisterCoder(reflect.TypeOf(Part{}), encPart, decPart)
}

// Spec is a spec file and everything it imports, as text, so that workers
// without the user's files can compile it.
type Spec struct {
	Name    string
	Sources map[string]string
}

// LoadSpec reads the spec at path (or a standard-library name) with its
// imports, as compile.LoadFile does.
func LoadSpec(path string) (Spec, error) {
	sp, err := compile.LoadFile(path)
	if err != nil {
		return Spec{}, err
	}
	out := Spec{Name: sp.Model.Files[0].Filename, Sources: map[string]string{}}
	for name, src := range sp.Sources {
		out.Sources[name] = string(src)
	}
	return out, nil
}

// Compile parses and checks the spec from its recorded text.
func (s Spec) Compile() (*compile.Spec, error) {
	src, ok := s.Sources[s.Name]
	if !ok {
		return nil, fmt.Errorf("jko-beam: the spec's text (%s) did not travel with the pipeline", s.Name)
	}
	return compile.Load(s.Name, []byte(src), mapImporter{s, filepath.Dir(s.Name)})
}

// has reports whether the spec has a term of one of the kinds (false when
// it does not compile: Check reports that).
func (s Spec) has(kinds ...lang.TermKind) bool {
	sp, err := s.Compile()
	if err != nil {
		return false
	}
	for _, t := range sp.Model.Terms {
		if slices.Contains(kinds, t.Kind) {
			return true
		}
	}
	return false
}

// mapImporter resolves imports from the recorded texts, under the names
// lang.StdImporter gave them when the spec was first read.
type mapImporter struct {
	spec Spec
	dir  string
}

func (m mapImporter) Import(p string) (string, []byte, error) {
	if filepath.Ext(p) != ".jko" {
		return lang.StdImporter("").Import(p)
	}
	name := p
	if !filepath.IsAbs(name) {
		name = filepath.Join(m.dir, p)
	}
	src, ok := m.spec.Sources[name]
	if !ok {
		return "", nil, fmt.Errorf("jko-beam: import %s: its text did not travel with the pipeline", p)
	}
	return name, []byte(src), nil
}
