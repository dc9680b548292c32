package srs

import "math"

// dual is a value with its gradient with respect to the 21 FSRS weights
// (forward-mode automatic differentiation): the optimizer runs the FSRS-6
// model once per card on duals and gets the loss and its gradient
// together, with no hand-written derivative to keep in step with the
// model.
type dual struct {
	v float64
	d [len(Params{})]float64
}

// constant is a value that does not depend on the weights.
func constant(v float64) dual { return dual{v: v} }

// weightsDual returns the weights as duals, each its own unit direction.
func weightsDual(p *Params) (w [len(Params{})]dual) {
	for i := range w {
		w[i].v = p[i]
		w[i].d[i] = 1
	}
	return w
}

func (a dual) add(b dual) dual {
	a.v += b.v
	for i := range a.d {
		a.d[i] += b.d[i]
	}
	return a
}

func (a dual) sub(b dual) dual {
	a.v -= b.v
	for i := range a.d {
		a.d[i] -= b.d[i]
	}
	return a
}

func (a dual) addc(c float64) dual { a.v += c; return a }

func (a dual) scale(c float64) dual {
	a.v *= c
	for i := range a.d {
		a.d[i] *= c
	}
	return a
}

func (a dual) mul(b dual) dual {
	out := dual{v: a.v * b.v}
	for i := range out.d {
		out.d[i] = a.d[i]*b.v + a.v*b.d[i]
	}
	return out
}

func (a dual) div(b dual) dual {
	out := dual{v: a.v / b.v}
	inv := 1 / (b.v * b.v)
	for i := range out.d {
		out.d[i] = (a.d[i]*b.v - a.v*b.d[i]) * inv
	}
	return out
}

// chain returns f(a) given f(a.v) and f'(a.v).
func (a dual) chain(f, df float64) dual {
	a.v = f
	for i := range a.d {
		a.d[i] *= df
	}
	return a
}

func (a dual) exp() dual { e := math.Exp(a.v); return a.chain(e, e) }

func (a dual) log() dual { return a.chain(math.Log(a.v), 1/a.v) }

// pow is a raised to the power b, a > 0.
func (a dual) pow(b dual) dual {
	return b.mul(a.log()).exp()
}

// clamp keeps a within [lo, hi]; outside, it is the bound, a constant.
func (a dual) clamp(lo, hi float64) dual {
	switch {
	case a.v < lo:
		return constant(lo)
	case a.v > hi:
		return constant(hi)
	}
	return a
}

func minDual(a, b dual) dual {
	if b.v < a.v {
		return b
	}
	return a
}

func maxDual(a, b dual) dual {
	if b.v > a.v {
		return b
	}
	return a
}
