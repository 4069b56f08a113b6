package results

import (
	"math"
	"sort"
)

// Raking limits.
const (
	rakeMaxIterations = 200
	rakeTolerance     = 1e-7 // largest gap between a weighted share and its target
)

// Target is one weighting variable's population shares: category -> share
// (any positive scale; shares are normalised over the categories present).
type Target map[string]float64

// Cell is a group of respondents who fall in the same category on every
// weighting variable (Cats[j] for variable j; "" when they have no value
// on it), and how many there are.
type Cell struct {
	Cats []string
	N    float64
}

// RakeResult is the outcome of raking: a weight per cell (for each of its
// respondents), and what staff need to judge it.
type RakeResult struct {
	Weights    []float64
	Iterations int
	Converged  bool
	// MaxGap is the largest remaining distance, in share points (0..1),
	// between a weighted sample share and its population target.
	MaxGap float64
	// Empty lists categories with a population share but no respondents:
	// nobody can stand in for them, so their share is spread over the rest.
	Empty []EmptyCategory
	// Missing counts, per variable, respondents without a value or in a
	// category without a population share (say "prefer not to say"); they
	// keep their weight on that variable.
	Missing []float64
	// Capped counts respondents whose weight hit the cap or its inverse.
	Capped float64
}

// EmptyCategory is a category with a target but no respondents.
type EmptyCategory struct {
	Variable int
	Category string
}

// Rake computes weights by iterative proportional fitting: variable by
// variable, each category's weighted count is scaled to its population
// share, until all margins hold at once. Respondents without a value on a
// variable keep their weight there (the targets then apply to those with a
// value). Weights are kept within [1/cap, cap] of the mean weight 1; when
// the cap makes the margins unreachable, the result says it did not
// converge and how far off it is.
func Rake(cells []Cell, targets []Target, capAt float64) RakeResult {
	res := RakeResult{Weights: make([]float64, len(cells)), Missing: make([]float64, len(targets))}
	var total float64
	for i, c := range cells {
		res.Weights[i] = 1
		total += c.N
	}
	if total == 0 {
		res.Converged = true
		return res
	}
	// Normalise each target over the categories that have respondents.
	shares := make([]map[string]float64, len(targets))
	for j, t := range targets {
		present := map[string]bool{}
		for _, c := range cells {
			if c.N > 0 && c.Cats[j] != "" {
				present[c.Cats[j]] = true
			}
		}
		var sum float64
		for k, s := range t {
			if s > 0 && present[k] {
				sum += s
			}
		}
		shares[j] = map[string]float64{}
		for _, k := range sortedKeys(t) {
			switch {
			case t[k] <= 0:
				// No share (0 or left out): its respondents keep their
				// weight on this variable, like those without a value.
			case !present[k]:
				res.Empty = append(res.Empty, EmptyCategory{Variable: j, Category: k})
			case sum > 0:
				shares[j][k] = t[k] / sum
			}
		}
		for _, c := range cells {
			if _, ok := shares[j][c.Cats[j]]; !ok {
				res.Missing[j] += c.N
			}
		}
	}
	for res.Iterations = 1; res.Iterations <= rakeMaxIterations; res.Iterations++ {
		for j := range targets {
			rakeVariable(cells, res.Weights, j, shares[j])
		}
		if capAt > 1 {
			trim(cells, res.Weights, total, capAt)
		}
		res.MaxGap = maxGap(cells, res.Weights, shares)
		if res.MaxGap < rakeTolerance {
			res.Converged = true
			break
		}
	}
	res.Iterations = min(res.Iterations, rakeMaxIterations)
	if capAt > 1 {
		for i, c := range cells {
			if w := res.Weights[i]; w >= capAt*(1-1e-9) || w <= 1/capAt*(1+1e-9) {
				res.Capped += c.N
			}
		}
	}
	return res
}

// rakeVariable scales the weights of variable j's categories to their
// shares of the weighted count of respondents who have a value on j.
func rakeVariable(cells []Cell, w []float64, j int, share map[string]float64) {
	sums := map[string]float64{}
	var known float64
	for i, c := range cells {
		if c.Cats[j] != "" {
			sums[c.Cats[j]] += c.N * w[i]
			if _, targeted := share[c.Cats[j]]; targeted {
				known += c.N * w[i]
			}
		}
	}
	for i, c := range cells {
		if s, ok := share[c.Cats[j]]; ok && sums[c.Cats[j]] > 0 {
			w[i] *= known * s / sums[c.Cats[j]]
		}
	}
}

// trim rescales the weights to mean 1 and keeps them within [1/cap, cap].
func trim(cells []Cell, w []float64, total, capAt float64) {
	var sum float64
	for i, c := range cells {
		sum += c.N * w[i]
	}
	for i := range w {
		w[i] = math.Min(capAt, math.Max(1/capAt, w[i]*total/sum))
	}
}

// maxGap is the largest distance between a weighted share and its target.
func maxGap(cells []Cell, w []float64, shares []map[string]float64) float64 {
	var gap float64
	for j, share := range shares {
		sums := map[string]float64{}
		var known float64
		for i, c := range cells {
			if _, ok := share[c.Cats[j]]; ok {
				sums[c.Cats[j]] += c.N * w[i]
				known += c.N * w[i]
			}
		}
		for k, s := range share {
			if known > 0 {
				gap = math.Max(gap, math.Abs(sums[k]/known-s))
			}
		}
	}
	return gap
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
