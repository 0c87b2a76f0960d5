// Package suggest finds the likely intended word for a typo ("did you mean").
package suggest

import "strings"

// Closest returns the candidate nearest to s (a likely typo of it), or ""
// when none is near enough. Case is ignored and a swap of two neighbouring
// letters counts as one edit.
func Closest(s string, candidates []string) string {
	ls := strings.ToLower(s)
	best, bestD := "", -1
	for _, c := range candidates {
		d := editDistance(ls, strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 || bestD > maxTypoDistance(len([]rune(s))) {
		return ""
	}
	return best
}

func maxTypoDistance(n int) int {
	switch {
	case n < 4:
		return 1
	case n < 10:
		return 2
	default:
		return 3
	}
}

// editDistance is the optimal string alignment distance (Levenshtein plus
// transpositions) between a and b, in runes. Long inputs are cut, so that a
// hostile manifest cannot make it slow.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	const limit = 64
	if len(ra) > limit {
		ra = ra[:limit]
	}
	if len(rb) > limit {
		rb = rb[:limit]
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
