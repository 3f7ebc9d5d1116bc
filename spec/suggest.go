package spec

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/rolekeeper/rolekeeper/state"
)

// DidYouMean returns ` (did you mean "x"?)` when one of known is close to
// got (a typo: a few letters added, dropped, changed or swapped, or another
// case), "" otherwise. Error messages about unknown fields, profiles,
// roles, schemas, commands and actions append it.
func DidYouMean(got string, known []string) string {
	if best := Closest(got, known); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

// Closest returns the name in known nearest to got by edit distance
// (insertions, deletions, substitutions and swaps of neighbours, ignoring
// case), or "" when none is near enough to be a typo: at most one edit per
// three letters, and never got itself. Ties go to the first in sort order.
func Closest(got string, known []string) string {
	if got == "" {
		return ""
	}
	limit := max(1, min(3, len([]rune(got))/3))
	lower := strings.ToLower(got)
	best, bestDist := "", limit+1
	sorted := append([]string(nil), known...)
	sort.Strings(sorted)
	for _, k := range sorted {
		if k == got {
			return ""
		}
		if d := editDistance(lower, strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// Levenshtein's, where swapping two neighbouring letters is one edit.
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	prev2 := make([]int, len(y)+1)
	prev := make([]int, len(y)+1)
	cur := make([]int, len(y)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(x); i++ {
		cur[0] = i
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(y)]
}

// fieldNames returns the keys a spec type accepts, by the type's name as
// the decoder reports it ("spec.Role"); nil for a type it does not know.
func fieldNames(typeName string) []string {
	types := map[string]any{"Spec": Spec{}, "Schema": Schema{}, "Role": Role{}, "Privileges": Privileges{},
		"Grant": Grant{}, "Public": Public{}, "Extension": Extension{},
		"DatabaseSpec": DatabaseSpec{}, "DatabaseRole": DatabaseRole{}}
	v, ok := types[strings.TrimPrefix(strings.TrimPrefix(typeName, "*"), "spec.")]
	if !ok {
		return nil
	}
	t := reflect.TypeOf(v)
	var names []string
	for i := range t.NumField() {
		if tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]; tag != "" && tag != "-" {
			names = append(names, tag)
		}
	}
	return names
}

// roleNames returns the declared roles, sorted.
func (s *Spec) roleNames() []string { return state.SortedKeys(s.Roles) }

// schemaNames returns the declared schemas, sorted.
func (s *Spec) schemaNames() []string { return state.SortedKeys(s.Schemas) }
