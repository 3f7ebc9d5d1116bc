package plan

import (
	"strings"

	"github.com/jackc/pgx/v5"
)

// ident quotes one identifier.
func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// qualified quotes schema.name.
func qualified(schema, name string) string { return pgx.Identifier{schema, name}.Sanitize() }

// grantee quotes a role name, leaving the PUBLIC keyword as is.
func grantee(name string) string {
	if name == "PUBLIC" {
		return "PUBLIC"
	}
	return ident(name)
}

// identList quotes and joins names.
func identList(names []string, quote func(string) string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quote(n)
	}
	return strings.Join(q, ", ")
}

// literal quotes a string constant. Standard-conforming strings are on in
// every supported version, so only the quote itself needs doubling; NUL is
// refused at validation.
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// settingName quotes a setting name part by part (custom settings are
// "prefix.name").
func settingName(name string) string {
	return pgx.Identifier(strings.Split(name, ".")).Sanitize()
}

// settingValue renders a setting's value: each element of a list setting
// is its own literal, as PostgreSQL stores list settings element by element.
func settingValue(v []string) string {
	q := make([]string, len(v))
	for i, x := range v {
		q[i] = literal(x)
	}
	return strings.Join(q, ", ")
}
