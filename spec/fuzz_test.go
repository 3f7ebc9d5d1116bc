package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse: no input makes the parser or the expansion panic or hang;
// every rejection is a list of errors that each say something, and every
// accepted spec expands to a state whose names are all valid identifiers.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("../examples/*.yaml")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"roles: {a: {access: {s: readonly}}}\nschemas: {s: {}}",
		"roles: {'a\"b': {member_of: [c]}, c: {}}",
		`{"roles": {"x": {"auth": "iam"}}, "extensions": ["pgcrypto"]}`,
		"database_settings: {search_path: [a, '$user']}",
		"roles: {a: {state: absent}}",
		"mode: additive\nprofiles: {p: {tables: [ALL]}}",
		"&a [*a, *a]",
		"roles: !!binary aGVsbG8=",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("rejection is not a list of errors: %T %v", err, err)
			}
			for _, e := range errs {
				if strings.TrimSpace(e.Msg) == "" {
					t.Fatalf("an error with no message: %#v", e)
				}
			}
			return
		}
		db := s.Desired("app")
		for name := range db.Roles {
			if name == "" || len(name) > MaxIdentifierBytes || strings.ContainsRune(name, 0) || !utf8.ValidString(name) {
				t.Fatalf("accepted an invalid role name %q", name)
			}
		}
		for name := range db.Schemas {
			if name == "" || len(name) > MaxIdentifierBytes || strings.ContainsRune(name, 0) {
				t.Fatalf("accepted an invalid schema name %q", name)
			}
		}
	})
}
