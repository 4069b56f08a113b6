package results

import (
	"math"
	"testing"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.6f, want %.6f (±%g)", what, got, want, tol)
	}
}

// Reference values from the Wilson formula worked by hand (and matching
// R's prop.test(correct = FALSE) intervals).
func TestWilsonInterval(t *testing.T) {
	// 43 of 100: centre (0.43 + 1.9208/100)/(1.038415) = 0.432596,
	// half 1.959964/1.038415·sqrt(0.002451 + 0.00009604) = 0.095253.
	lo, hi := Wilson(0.43, 100)
	near(t, "low 43/100", lo, 0.3373, 0.0005)
	near(t, "high 43/100", hi, 0.5279, 0.0005)

	// 0 of 20 stays inside 0..1 and is not a zero-width interval.
	lo, hi = Wilson(0, 20)
	near(t, "low 0/20", lo, 0, 1e-12)
	near(t, "high 0/20", hi, 0.1611, 0.0005)

	// The interval narrows as the base grows.
	lo1, hi1 := Wilson(0.5, 100)
	lo2, hi2 := Wilson(0.5, 2400)
	if hi2-lo2 >= hi1-lo1 {
		t.Errorf("n=2400 interval %.4f not narrower than n=100 %.4f", hi2-lo2, hi1-lo1)
	}
	if lo, hi := Wilson(0.5, 0); lo != 0 || hi != 0 {
		t.Errorf("empty base: %v..%v", lo, hi)
	}
}

func TestKishEffectiveSampleSize(t *testing.T) {
	near(t, "equal weights", Kish(50, 50), 50, 1e-12)
	// Weights 2 and 0.5 on 1 respondent each... sum 2.5, squares 4.25.
	near(t, "unequal", Kish(2.5, 4.25), 2.5*2.5/4.25, 1e-12)
	if Kish(0, 0) != 0 {
		t.Error("no weights must give 0")
	}
}
