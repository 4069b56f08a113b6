package results

import (
	"math"
	"testing"
)

// weightOf finds the weight of the cell with the given categories.
func weightOf(t *testing.T, cells []Cell, r RakeResult, cats ...string) float64 {
	t.Helper()
	for i, c := range cells {
		if len(c.Cats) == len(cats) {
			same := true
			for j := range cats {
				same = same && c.Cats[j] == cats[j]
			}
			if same {
				return r.Weights[i]
			}
		}
	}
	t.Fatalf("no cell %v", cats)
	return 0
}

// The worked example, by hand. 100 respondents; gender and age are
// independent in the sample:
//
//	           young  old   | gender
//	man          10    30   |  40 (40%)
//	woman        15    45   |  60 (60%)
//	age          25    75   | 100
//
// Population: men 50%, women 50%; young 40%, old 60%.
// Step 1, gender: men ×50/40 = 1.25, women ×50/60 = 0.8333.
// Cells become 12.5, 37.5 / 12.5, 37.5; age totals 25 and 75.
// Step 2, age: young ×40/25 = 1.6, old ×60/75 = 0.8.
// Cells become 20, 30 / 20, 30: men 50 and women 50 still hold, so raking
// has converged after one round. Weights:
//
//	man young 1.25·1.6 = 2      man old 1.25·0.8 = 1
//	woman young 0.8333·1.6 = 1.3333   woman old 0.8333·0.8 = 0.6667
//
// Kish: Σw = 100; Σw² = 10·4 + 30·1 + 15·1.7778 + 45·0.4444 = 116.667;
// effective n = 100²/116.667 = 85.71.
func TestRakingMatchesTheWorkedExample(t *testing.T) {
	cells := []Cell{
		{Cats: []string{"man", "young"}, N: 10},
		{Cats: []string{"man", "old"}, N: 30},
		{Cats: []string{"woman", "young"}, N: 15},
		{Cats: []string{"woman", "old"}, N: 45},
	}
	targets := []Target{{"man": 50, "woman": 50}, {"young": 40, "old": 60}}
	r := Rake(cells, targets, 0)
	if !r.Converged || r.Iterations > 2 {
		t.Fatalf("converged %v after %d iterations", r.Converged, r.Iterations)
	}
	near(t, "man young", weightOf(t, cells, r, "man", "young"), 2, 1e-9)
	near(t, "man old", weightOf(t, cells, r, "man", "old"), 1, 1e-9)
	near(t, "woman young", weightOf(t, cells, r, "woman", "young"), 4.0/3, 1e-9)
	near(t, "woman old", weightOf(t, cells, r, "woman", "old"), 2.0/3, 1e-9)

	var sum, sq float64
	for i, c := range cells {
		sum += c.N * r.Weights[i]
		sq += c.N * r.Weights[i] * r.Weights[i]
	}
	near(t, "sum of weights", sum, 100, 1e-9)
	near(t, "effective n", Kish(sum, sq), 85.714, 0.001)
}

// margins returns the weighted share of each category of variable j.
func margins(cells []Cell, w []float64, j int) map[string]float64 {
	out := map[string]float64{}
	var total float64
	for i, c := range cells {
		out[c.Cats[j]] += c.N * w[i]
		total += c.N * w[i]
	}
	for k := range out {
		out[k] /= total
	}
	return out
}

// When the sample's variables are associated, one round is not enough;
// raking must still meet every margin. Three variables, skewed sample.
func TestRakingConvergesOnSeveralMargins(t *testing.T) {
	ages := []string{"18-29", "30-49", "50-64", "65+"}
	districts := []string{"north", "south", "centre"}
	genders := []string{"man", "woman"}
	var cells []Cell
	for a, age := range ages {
		for d, district := range districts {
			for g, gender := range genders {
				// Older, central women answer most, like a real panel.
				n := float64(5 + 10*a + 7*d*(a+1) + 12*g*a)
				cells = append(cells, Cell{Cats: []string{age, district, gender}, N: n})
			}
		}
	}
	targets := []Target{
		{"18-29": 22, "30-49": 35, "50-64": 24, "65+": 19},
		{"north": 30, "south": 45, "centre": 25},
		{"man": 49, "woman": 51},
	}
	r := Rake(cells, targets, 0)
	if !r.Converged {
		t.Fatalf("not converged after %d iterations, gap %.2g", r.Iterations, r.MaxGap)
	}
	if r.Iterations < 2 {
		t.Errorf("associated variables converged in %d round; the test data is too easy", r.Iterations)
	}
	for j, target := range targets {
		got := margins(cells, r.Weights, j)
		var sum float64
		for _, s := range target {
			sum += s
		}
		for k, s := range target {
			near(t, k, got[k], s/sum, 1e-6)
		}
	}
}

func TestRakingCapsExtremeWeights(t *testing.T) {
	// Only 2 young respondents for a 40% young population: uncapped their
	// weight would be 0.4·100/2 = 20.
	cells := []Cell{{Cats: []string{"young"}, N: 2}, {Cats: []string{"old"}, N: 98}}
	targets := []Target{{"young": 40, "old": 60}}
	free := Rake(cells, targets, 0)
	near(t, "uncapped young weight", weightOf(t, cells, free, "young"), 20, 1e-9)

	r := Rake(cells, targets, 5)
	if w := weightOf(t, cells, r, "young"); w > 5+1e-9 {
		t.Errorf("young weight %.3f above the cap 5", w)
	}
	if r.Converged {
		t.Error("a cap that makes the margin unreachable must be reported as not converged")
	}
	if r.MaxGap < 0.2 {
		t.Errorf("gap %.3f: the capped young share is 2·5/(2·5+98·w) ≈ 10%%, far from 40%%", r.MaxGap)
	}
	if r.Capped != 2 {
		t.Errorf("capped respondents = %v, want 2", r.Capped)
	}
}

func TestRakingReportsEmptyAndMissingCategories(t *testing.T) {
	cells := []Cell{
		{Cats: []string{"north"}, N: 30},
		{Cats: []string{"south"}, N: 50},
		{Cats: []string{""}, N: 10},         // did not answer
		{Cats: []string{"no_answer"}, N: 5}, // a category without a target
	}
	targets := []Target{{"north": 30, "south": 50, "centre": 20}}
	r := Rake(cells, targets, 0)
	if len(r.Empty) != 1 || r.Empty[0].Category != "centre" {
		t.Errorf("empty categories = %v, want centre", r.Empty)
	}
	if r.Missing[0] != 15 {
		t.Errorf("missing = %v, want 15", r.Missing[0])
	}
	// Centre's share is spread over north and south (30:50), so they keep
	// their sample proportion 30:50 and weight 1; the rest keep weight 1.
	for i := range cells {
		near(t, "weight "+cells[i].Cats[0], r.Weights[i], 1, 1e-9)
	}
	if !r.Converged {
		t.Error("not converged")
	}
	if math.IsNaN(r.MaxGap) {
		t.Error("gap is NaN")
	}
}

// A share of 0 is no target: its respondents keep their weight on that
// variable, as if they had no value, and the others meet the margin.
func TestRakingZeroShareIsNoTarget(t *testing.T) {
	cells := []Cell{{Cats: []string{"resident"}, N: 90}, {Cats: []string{"visitor"}, N: 10}}
	r := Rake(cells, []Target{{"resident": 100, "visitor": 0}}, 5)
	if !r.Converged || r.Capped != 0 || r.Missing[0] != 10 {
		t.Fatalf("converged %v, capped %v, missing %v", r.Converged, r.Capped, r.Missing)
	}
	for i := range cells {
		near(t, cells[i].Cats[0], r.Weights[i], 1, 1e-9)
	}
}
