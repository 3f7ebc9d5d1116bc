package catalog

import (
	"fmt"
	"strings"

	"github.com/rolekeeper/rolekeeper/state"
)

// PostgreSQL prints an ACL entry as grantee=privileges/grantor, with an
// empty grantee for PUBLIC, names double-quoted when they hold anything but
// letters, digits and underscores, and each privilege a letter (followed by
// * when held with grant option). Casting aclitem[] to text[] and parsing
// here is about fifteen times faster than aclexplode on the server, which
// matters for tables with a thousand grantees.
//
// The privilege letters and their bits are state.PrivLetters: an entry's
// letters parse straight into a state.PrivSet.
var privBits = func() (b [128]state.PrivSet) {
	for i, l := range state.PrivLetters {
		b[l] = 1 << i
	}
	return b
}()

// aclEntry is one grantee's privileges in an ACL ("" is PUBLIC).
type aclEntry struct {
	grantee string
	privs   state.PrivSet
}

// splitArray splits the text form of a PostgreSQL array ("{a,"b c"}")
// into its elements, undoing the array quoting. Unquoted elements are
// substrings of s (no copy).
func splitArray(s string) ([]string, error) { return splitArrayInto(nil, s) }

// splitArrayInto is splitArray appending to out[:0], so that a reader of
// many arrays reuses one slice.
func splitArrayInto(out []string, s string) ([]string, error) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, fmt.Errorf("not an array: %.40q", s)
	}
	body := s[1 : len(s)-1]
	if body == "" {
		return out[:0], nil
	}
	out = out[:0]
	for i := 0; i < len(body); {
		if body[i] != '"' {
			j := strings.IndexByte(body[i:], ',')
			if j < 0 {
				out = append(out, body[i:])
				break
			}
			out = append(out, body[i:i+j])
			i += j + 1
			continue
		}
		var b strings.Builder
		j := i + 1
		for ; j < len(body) && body[j] != '"'; j++ {
			if body[j] == '\\' && j+1 < len(body) {
				j++
			}
			b.WriteByte(body[j])
		}
		if j >= len(body) {
			return nil, fmt.Errorf("unterminated quote in array %.40q", s)
		}
		out = append(out, b.String())
		i = j + 2 // past the quote and the comma
	}
	return out, nil
}

// parseACL parses the elements of an ACL's text form. Entries for the same
// grantee from several grantors are merged. Unquoted grantee names are
// substrings of the items.
func parseACL(items []string) ([]aclEntry, error) {
	return parseACLInto(make([]aclEntry, 0, len(items)), items)
}

// parseACLInto is parseACL appending to out[:0].
func parseACLInto(out []aclEntry, items []string) ([]aclEntry, error) {
	out = out[:0]
	var firstGrantor string
	oneGrantor := true
	for i, item := range items {
		grantee, rest, err := parseName(item)
		if err != nil || !strings.HasPrefix(rest, "=") {
			return nil, fmt.Errorf("cannot read ACL entry %q", item)
		}
		if rolePUBLIC(grantee) {
			continue
		}
		var bits state.PrivSet
		slash := len(rest)
		for j := 1; j < len(rest); j++ {
			c := rest[j]
			if c == '/' {
				slash = j
				break
			}
			if c < 128 {
				bits |= privBits[c]
			}
		}
		grantor := rest[min(slash+1, len(rest)):] // as written: compared, not read
		if i == 0 {
			firstGrantor = grantor
		} else if grantor != firstGrantor {
			oneGrantor = false
		}
		out = append(out, aclEntry{grantee, bits})
	}
	if oneGrantor {
		// PostgreSQL keeps one entry per grantee and grantor: with one
		// grantor (the usual case: the owner granted them all), the
		// grantees are distinct already.
		return out, nil
	}
	// Entries for the same grantee from several grantors are merged.
	idx := make(map[string]int, len(out))
	merged := out[:0]
	for _, e := range out {
		if i, ok := idx[e.grantee]; ok {
			merged[i].privs |= e.privs
			continue
		}
		idx[e.grantee] = len(merged)
		merged = append(merged, e)
	}
	return merged, nil
}

// parseName reads a possibly double-quoted name at the start of s.
func parseName(s string) (name, rest string, err error) {
	if !strings.HasPrefix(s, `"`) {
		i := strings.IndexByte(s, '=')
		if i < 0 {
			return "", "", fmt.Errorf("no = in %q", s)
		}
		return s[:i], s[i:], nil
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] == '"' {
			if i+1 < len(s) && s[i+1] == '"' {
				b.WriteByte('"')
				i++
				continue
			}
			return b.String(), s[i+1:], nil
		}
		b.WriteByte(s[i])
	}
	return "", "", fmt.Errorf("unterminated quote in %q", s)
}

// aclItem is one ACL entry read whole: grantee ("" for PUBLIC), grantor,
// privileges and those held with grant option.
type aclItem struct {
	grantee, grantor string
	privs, options   state.PrivSet
}

// parseItem reads grantee=privileges/grantor, each privilege a letter
// followed by * when held with grant option, the names as PostgreSQL
// writes them (double-quoted when they hold anything but letters, digits
// and underscores). parseACL, which reads every object's ACL, reads less
// (no grantor, no options); grant options and column privileges are rare
// and read with this.
func parseItem(item string) (aclItem, error) {
	grantee, rest, err := parseName(item)
	if err != nil || !strings.HasPrefix(rest, "=") {
		return aclItem{}, errACLEntry(item)
	}
	// The privilege letters hold no slash: the first one ends them (the
	// grantor's name may hold slashes of its own).
	slash := strings.IndexByte(rest, '/')
	if slash < 0 {
		return aclItem{}, errACLEntry(item)
	}
	grantor, tail, err := parseName(rest[slash+1:] + "=")
	if err != nil || tail != "=" {
		return aclItem{}, errACLEntry(item)
	}
	e := aclItem{grantee: grantee, grantor: grantor}
	letters := rest[1:slash]
	for i := 0; i < len(letters); i++ {
		c := letters[i]
		if c >= 128 {
			continue
		}
		e.privs |= privBits[c] // '*' and letters unknown here have no bit
		if i+1 < len(letters) && letters[i+1] == '*' {
			e.options |= privBits[c]
		}
	}
	return e, nil
}

type errACLEntry string

func (e errACLEntry) Error() string { return "cannot read ACL entry " + string(e) }

// rolePUBLICPrivs returns the privileges an ACL's text gives a role named
// "PUBLIC" (left out of what parseACL returns). PostgreSQL writes that
// name unquoted.
func rolePUBLICPrivs(acl string) (state.PrivSet, error) {
	if !strings.Contains(acl, "PUBLIC=") {
		return 0, nil
	}
	items, err := splitArray(acl)
	if err != nil {
		return 0, err
	}
	var privs state.PrivSet
	for _, item := range items {
		e, err := parseItem(item)
		if err != nil {
			return 0, err
		}
		if rolePUBLIC(e.grantee) {
			privs |= e.privs
		}
	}
	return privs, nil
}

// addRolePUBLICOptions notes grant options a role named "PUBLIC" holds on
// a table's column ("" for the whole table).
func addRolePUBLICOptions(sc *state.Schema, table, column string, options state.PrivSet) {
	if options == 0 {
		return
	}
	if sc.RolePUBLICOptions == nil {
		sc.RolePUBLICOptions = map[string]map[string]state.PrivSet{}
	}
	if sc.RolePUBLICOptions[table] == nil {
		sc.RolePUBLICOptions[table] = map[string]state.PrivSet{}
	}
	sc.RolePUBLICOptions[table][column] |= options
}

// rolePUBLIC reports whether an ACL's grantee is a role named "PUBLIC"
// (PostgreSQL reserves only "public"; PUBLIC itself is written with an
// empty name). Its privileges are left out: rolekeeper names PUBLIC so, a
// spec cannot declare such a role, and read as PUBLIC's they would be
// revoked from PUBLIC at every run and never converge.
func rolePUBLIC(grantee string) bool { return grantee == "PUBLIC" }

func publicName(grantee string) string {
	if grantee == "" {
		return "PUBLIC"
	}
	return grantee
}
