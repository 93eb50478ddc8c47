package compile

import "testing"

func TestSchemeRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		s       Scheme
		name    string
		driftAt string
	}{{Explicit, "explicit", "x"}, {Implicit, "implicit", "y"}} {
		got, err := ParseScheme(tc.name)
		if err != nil || got != tc.s {
			t.Errorf("ParseScheme(%q) = %v, %v; want %v", tc.name, got, err, tc.s)
		}
		if tc.s.String() != tc.name || tc.s.DriftAt() != tc.driftAt || !tc.s.Valid() {
			t.Errorf("%d: String %q DriftAt %q Valid %v", tc.s, tc.s.String(), tc.s.DriftAt(), tc.s.Valid())
		}
	}
	var zero Scheme
	if zero != Explicit {
		t.Errorf("the zero Scheme is %v, want explicit", zero)
	}
	for _, bad := range []string{"", "x", "Implicit", "euler"} {
		if _, err := ParseScheme(bad); err == nil {
			t.Errorf("ParseScheme(%q) accepted", bad)
		}
	}
	if Scheme(2).Valid() || Scheme(2).String() != "Scheme(2)" {
		t.Errorf("Scheme(2): Valid %v, String %q", Scheme(2).Valid(), Scheme(2).String())
	}
}
