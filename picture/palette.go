package picture

// The colours VisionFlow gives to classes of nodes (communities,
// components, metadata values) and to measures, shared by the window's
// lens and the pictures and files the server exports, so a graph looks the
// same in each.

import (
	"cmp"
	"slices"
)

// Classes colours classes: the Okabe–Ito colours (told apart with every
// common colour-vision deficiency; their blue lightened for the dark
// background), then lighter tones from Paul Tol's schemes. Classes past it
// share Other.
var Classes = [][3]uint8{
	{0xe6, 0x9f, 0x00}, {0x56, 0xb4, 0xe9}, {0x00, 0x9e, 0x73}, {0xf0, 0xe4, 0x42}, {0x3d, 0x8f, 0xd1}, {0xd5, 0x5e, 0x00},
	{0xcc, 0x79, 0xa7}, {0x44, 0xbb, 0x99}, {0xff, 0xaa, 0xbb}, {0xaa, 0xaa, 0x00}, {0x99, 0xdd, 0xff}, {0xee, 0x88, 0x66},
}

// Other is the colour of the classes past Classes.
var Other = [3]uint8{0x8a, 0x8f, 0x98}

// Ramp colours a measure from low to high: viridis from its blue to its
// yellow (its darkest purple is lost on the dark background); readable in
// grey and with colour-vision deficiencies.
var Ramp = [][3]uint8{{0x3b, 0x52, 0x8b}, {0x2c, 0x72, 0x8e}, {0x21, 0x91, 0x8c}, {0x28, 0xae, 0x80}, {0x5e, 0xc9, 0x62}, {0xad, 0xdc, 0x30}, {0xfd, 0xe7, 0x25}}

// NumBins is how many bins a measure is coloured in.
const NumBins = 5

// BinColour is the ramp colour of bin b of NumBins.
func BinColour(b int) [3]uint8 { return Ramp[(len(Ramp)-1)*b/(NumBins-1)] }

// Bins cuts sorted values into NumBins runs of about equal counts, by
// rank, so a skewed measure (a few hubs, a long tail) still spreads over
// the colours; equal values stay in one run. Each run is [start, end).
func Bins(sorted []float64) [][2]int {
	var out [][2]int
	start := 0
	for b := range NumBins {
		end := len(sorted) * (b + 1) / NumBins
		if end <= start {
			continue
		}
		for end < len(sorted) && sorted[end] == sorted[end-1] {
			end++
		}
		out = append(out, [2]int{start, end})
		start = end
		if start >= len(sorted) {
			break
		}
	}
	return out
}

// ByClass colours each node by its class label: the largest class takes
// the first colour, and classes past the palette take Other.
func ByClass(labels []int32) [][3]uint8 {
	counts := map[int32]int{}
	for _, l := range labels {
		counts[l]++
	}
	order := make([]int32, 0, len(counts))
	for l := range counts {
		order = append(order, l)
	}
	slices.SortFunc(order, func(a, b int32) int { return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(a, b)) })
	colour := make(map[int32][3]uint8, len(order))
	for i, l := range order {
		colour[l] = Other
		if i < len(Classes) {
			colour[l] = Classes[i]
		}
	}
	out := make([][3]uint8, len(labels))
	for i, l := range labels {
		out[i] = colour[l]
	}
	return out
}

// ByRank colours each node by the bin of its value (see Bins).
func ByRank(values []float64) [][3]uint8 {
	order := make([]int, len(values))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(values[a], values[b]) })
	sorted := make([]float64, len(order))
	for k, i := range order {
		sorted[k] = values[i]
	}
	out := make([][3]uint8, len(values))
	for b, run := range Bins(sorted) {
		for _, i := range order[run[0]:run[1]] {
			out[i] = BinColour(b)
		}
	}
	return out
}
