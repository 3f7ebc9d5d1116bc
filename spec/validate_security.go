package spec

import (
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/state"
)

// Validation rules that keep one user's credential or setting from
// standing for another's (docs/security.md). Small functions, called from
// validate, so that the parser can change around them.

// sharedSecrets refuses two auth: password roles that name the same
// secret (by name, ARN or SSM reference): a secret belongs to one user.
func (v *validator) sharedSecrets() {
	owner := map[string]string{} // a name of the secret -> first role using it
	for _, name := range state.SortedKeys(v.s.Roles) {
		r := v.s.Roles[name]
		if r == nil || r.Auth != "password" || r.State == "absent" || r.PasswordSecret == "" {
			continue
		}
		for _, id := range credentials.SecretNames(r.PasswordSecret) {
			if first, ok := owner[id]; ok {
				v.add(p("roles", name, "password_secret"), "secret %q is also the password_secret of role %q; a secret belongs to one user: give each role its own", r.PasswordSecret, first)
				break
			}
		}
		for _, id := range credentials.SecretNames(r.PasswordSecret) {
			if _, ok := owner[id]; !ok {
				owner[id] = name
			}
		}
	}
}

// distinctSettingNames refuses setting names that differ only in case:
// PostgreSQL's setting names are case-insensitive, so both would set the
// same setting.
func (v *validator) distinctSettingNames(path []string, settings map[string]Setting) {
	seen := map[string]string{}
	for _, k := range state.SortedKeys(settings) {
		lower := strings.ToLower(k)
		if other, ok := seen[lower]; ok {
			v.add(append(append([]string{}, path...), k), "%q and %q are the same setting (setting names are case-insensitive); keep one", other, k)
			continue
		}
		seen[lower] = k
	}
}

// connectionLimit refuses a connection_limit outside PostgreSQL's
// [-1, 2147483647] (-1: no limit).
func (v *validator) connectionLimit(path []string, limit *int) {
	if limit != nil && (*limit < -1 || *limit > 2147483647) {
		v.add(path, "must be an integer from -1 (no limit) to 2147483647, not %d", *limit)
	}
}

// isInteger reports an integer kind of Go value.
func isInteger(k reflect.Kind) bool {
	return k >= reflect.Int && k <= reflect.Uint64
}

// integerLiteral reports whether a scalar is an integer written in
// decimal: yaml.v3 would otherwise truncate 2.9 to 2 and read 1e3 as 1000
// or 0x10 as 16. Out-of-range values are refused by the field's own rule.
func integerLiteral(n *yaml.Node) bool {
	v := strings.TrimPrefix(strings.TrimPrefix(n.Value, "-"), "+")
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 || v == "" {
		return false
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
