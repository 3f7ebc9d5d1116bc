package plan

import "strings"

// quoted quotes an identifier, each part in double quotes with quotes
// doubled and NUL bytes removed (as pgx.Identifier.Sanitize does; the plan
// stays free of the driver), parts joined by dots.
//
// A name with a control or bidirectional-formatting character (which others
// may give the roles and tables a plan shows) is written in the Unicode
// escape form U&"..." instead, so that the plan shown on a terminal or in a
// log cannot move the cursor, fake lines or reorder text, while the SQL
// still names exactly that object (admin sessions pin
// standard_conforming_strings, which U& needs).
func quoted(parts ...string) string {
	q := make([]string, len(parts))
	for i, p := range parts {
		p = strings.ReplaceAll(p, "\x00", "")
		if strings.IndexFunc(p, unsafeToShow) >= 0 {
			q[i] = unicodeEscaped(p)
			continue
		}
		q[i] = `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
	}
	return strings.Join(q, ".")
}

// ident quotes one identifier.
func ident(name string) string { return quoted(name) }

// qualified quotes schema.name.
func qualified(schema, name string) string { return quoted(schema, name) }

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
	return quoted(strings.Split(name, ".")...)
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
