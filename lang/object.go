package lang

// This file holds the objects names refer to, and name lookup.

// ObjKind says what a name refers to.
type ObjKind int

// The kinds of objects.
const (
	ObjParam   ObjKind = iota // a learnable parameter (Object.Param)
	ObjConst                  // a named constant (Object.Const)
	ObjFn                     // a user function (Object.Fn)
	ObjArg                    // an argument of a term or function (Object.Owner, Object.Index)
	ObjBuiltin                // a built-in function (Object.Builtin)
	ObjDim                    // d, the dimension of x
	ObjPi                     // pi
)

// Object is what an identifier refers to.
type Object struct {
	Kind    ObjKind
	Name    string
	Pos     Pos // where it is declared (zero for built-ins, d and pi)
	Param   *ParamInfo
	Const   *ConstInfo
	Fn      *FnInfo
	Builtin *Builtin
	Owner   Decl // ObjArg: the *Term or *Fn declaring the argument
	Index   int  // ObjArg: position in the argument list
}

// reserved reports why name cannot be declared, or "".
func reserved(name string) string {
	switch {
	case name == "d":
		return "d is the dimension of x"
	case name == "pi":
		return "pi is a constant of the language"
	case builtins[name] != nil:
		return name + " is a built-in function"
	}
	return ""
}

// lookup finds what name refers to in s.
func (c *checker) lookup(s *scope, name string) *Object {
	if o, ok := s.args[name]; ok {
		return o
	}
	if o, ok := c.globals[name]; ok {
		return o
	}
	switch name {
	case "d":
		return dimObj
	case "pi":
		return piObj
	}
	if b := builtins[name]; b != nil {
		return &Object{Kind: ObjBuiltin, Name: name, Builtin: b}
	}
	return nil
}

var (
	dimObj = &Object{Kind: ObjDim, Name: "d"}
	piObj  = &Object{Kind: ObjPi, Name: "pi"}
)
