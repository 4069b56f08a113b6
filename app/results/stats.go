package results

import "math"

// z95 is the standard normal quantile of a two-sided 95% interval.
const z95 = 1.959963984540054

// Wilson returns the 95% Wilson score interval of the proportion k/n.
// Unlike the textbook p ± 1.96·se it stays within 0..1 and behaves for
// small bases and proportions near 0 or 100%, which survey cuts often have.
// n may be fractional: weighted results pass the effective sample size.
func Wilson(p, n float64) (low, high float64) {
	if n <= 0 {
		return 0, 0
	}
	z2 := z95 * z95
	centre := (p + z2/(2*n)) / (1 + z2/n)
	half := z95 / (1 + z2/n) * math.Sqrt(p*(1-p)/n+z2/(4*n*n))
	return math.Max(0, centre-half), math.Min(1, centre+half)
}

// Kish is Kish's effective sample size of weights whose sum is sum and sum
// of squares is sumSq: (Σw)² / Σw². Equal weights give n; unequal weights
// fewer, and the intervals widen accordingly.
func Kish(sum, sumSq float64) float64 {
	if sumSq <= 0 {
		return 0
	}
	return sum * sum / sumSq
}
