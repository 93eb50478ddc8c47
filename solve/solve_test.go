package solve

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/jko-org/jko/solve/ijkonet"
	"github.com/jko-org/jko/solve/jkonet"
)

// A diverged fit is one error whatever the method: errors.Is relates
// iJKOnet's to JKOnet*'s (they were two sentinels it could not relate).
func TestErrDivergedOneSentinel(t *testing.T) {
	for _, err := range []error{ijkonet.ErrDiverged, fmt.Errorf("ijkonet: epoch 3: %w", ijkonet.ErrDiverged)} {
		if !errors.Is(err, jkonet.ErrDiverged) {
			t.Errorf("%v is not jkonet.ErrDiverged", err)
		}
	}
}

// Methods read back from their text, in flags and JSON; the zero value is
// JKOnet*.
func TestMethodText(t *testing.T) {
	for _, m := range []Method{MethodJKOnet, MethodIJKOnet} {
		got, err := ParseMethod(m.String())
		if err != nil || got != m {
			t.Errorf("ParseMethod(%q) = %v, %v", m.String(), got, err)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var back Method
		if err := json.Unmarshal(b, &back); err != nil || back != m {
			t.Errorf("JSON %s read back as %v, %v", b, back, err)
		}
	}
	if (Options{}).Method != MethodJKOnet || MethodJKOnet.String() != "jkonet" {
		t.Error("the zero Options is not JKOnet*")
	}
	for _, s := range []string{"", "JKOnet", "adam"} {
		if _, err := ParseMethod(s); err == nil {
			t.Errorf("ParseMethod(%q): no error", s)
		}
	}
	if _, err := json.Marshal(Method(7)); err == nil {
		t.Error("Method(7) marshalled")
	}
	if _, err := Fit(nil, nil, Options{Method: 7}); err == nil {
		t.Error("Fit with Method(7): no error")
	}
}
