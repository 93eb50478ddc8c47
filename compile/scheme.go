package compile

import "fmt"

// Scheme is the time discretisation of the dynamics: how one step of
// length τ advances a particle. It is what a spec's step declaration
// says, what a fit learns the drift for, and how predictions and
// simulations step. The zero value is Explicit.
type Scheme uint8

const (
	// Explicit is Euler's (Euler–Maruyama's) step x + τ·drift(x) (+ noise):
	// the drift is evaluated at the step's start x.
	Explicit Scheme = iota
	// Implicit is the JKO (proximal) step y = x + τ·drift(y) (+ noise):
	// the drift is evaluated at the step's end y.
	Implicit
)

// String is the spec's keyword: "explicit" or "implicit".
func (s Scheme) String() string {
	switch s {
	case Explicit:
		return "explicit"
	case Implicit:
		return "implicit"
	}
	return fmt.Sprintf("Scheme(%d)", int(s))
}

// DriftAt is the point of a step where the scheme evaluates the drift:
// "x" (the start) for Explicit, "y" (the end) for Implicit.
func (s Scheme) DriftAt() string {
	if s == Implicit {
		return "y"
	}
	return "x"
}

// Valid reports whether s is Explicit or Implicit.
func (s Scheme) Valid() bool { return s == Explicit || s == Implicit }

// ParseScheme reads a step declaration's keyword: "explicit" or "implicit".
func ParseScheme(name string) (Scheme, error) {
	switch name {
	case "explicit":
		return Explicit, nil
	case "implicit":
		return Implicit, nil
	}
	return Explicit, fmt.Errorf("step must be explicit or implicit, got %q", name)
}
