package picture

import (
	"slices"
	"testing"
)

func TestBinsKeepEqualValuesTogether(t *testing.T) {
	got := Bins([]float64{1, 1, 1, 1, 1, 1, 2, 3, 4, 5})
	want := [][2]int{{0, 6}, {6, 8}, {8, 10}}
	if !slices.Equal(got, want) {
		t.Fatalf("bins %v, want %v", got, want)
	}
	if got := Bins(nil); len(got) != 0 {
		t.Fatalf("no values, bins %v", got)
	}
}

func TestByClassGivesTheLargestClassTheFirstColour(t *testing.T) {
	labels := []int32{7, 3, 3, 3, 7, 9}
	c := ByClass(labels)
	if c[1] != Classes[0] || c[0] != Classes[1] || c[5] != Classes[2] || c[0] != c[4] {
		t.Fatalf("colours %v", c)
	}
	many := make([]int32, len(Classes)+3)
	for i := range many {
		many[i] = int32(i)
	}
	c = ByClass(many)
	if c[len(many)-1] != Other || c[0] != Classes[0] {
		t.Fatalf("past the palette: %v", c)
	}
}

func TestByRankRisesWithTheValue(t *testing.T) {
	v := []float64{5, 1, 4, 2, 3, 10, 0, 7, 8, 9}
	c := ByRank(v)
	if c[6] != BinColour(0) || c[5] != BinColour(NumBins-1) {
		t.Fatalf("lowest %v highest %v", c[6], c[5])
	}
}
