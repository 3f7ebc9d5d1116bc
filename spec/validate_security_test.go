package spec_test

import (
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/spec"
)

// TestStrictNumbersSettingsAndSecrets: numbers are whole decimal integers
// in range, setting names differing only in case are one setting, and a
// secret belongs to one role, each refused with file:line.
func TestStrictNumbersSettingsAndSecrets(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"roles:\n  a:\n    connection_limit: 2.9\n", `bad.yaml:3: must be a whole number written in decimal, not "2.9"`},
		{"roles:\n  a:\n    connection_limit: 1e3\n", `bad.yaml:3: must be a whole number written in decimal, not "1e3"`},
		{"roles:\n  a:\n    connection_limit: 2147483648\n", "bad.yaml:3: roles.a.connection_limit: must be an integer from -1 (no limit) to 2147483647, not 2147483648"},
		{"roles:\n  a:\n    connection_limit: -2\n", "bad.yaml:3: roles.a.connection_limit: must be an integer from -1 (no limit) to 2147483647, not -2"},
		{`{"roles": {"a": {"connection_limit": 2.5}}}`, `bad.yaml:1: must be a whole number written in decimal, not "2.5"`},
		{"database_settings:\n  search_path: app\n  Search_Path: public\n", `bad.yaml:2: database_settings.search_path: "Search_Path" and "search_path" are the same setting (setting names are case-insensitive); keep one`},
		{"roles:\n  a:\n    settings:\n      work_mem: 4MB\n      WORK_MEM: 8MB\n", `bad.yaml:4: roles.a.settings.work_mem: "WORK_MEM" and "work_mem" are the same setting`},
		{"roles:\n  a: {auth: password, password_secret: app/shared}\n  b: {auth: password, password_secret: app/shared}\n", `bad.yaml:3: roles.b.password_secret: secret "app/shared" is also the password_secret of role "a"; a secret belongs to one user`},
		{"roles:\n  a: {auth: password, password_secret: app/x}\n  b: {auth: password, password_secret: \"arn:aws:secretsmanager:us-east-1:1:secret:app/x-AbCdEf\"}\n", `bad.yaml:3: roles.b.password_secret: secret "arn:aws:secretsmanager:us-east-1:1:secret:app/x-AbCdEf" is also the password_secret of role "a"`},
	} {
		_, err := spec.Parse("bad.yaml", []byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q:\n got %v\nwant %s", c.yaml, err, c.want)
		}
	}
	if _, err := spec.Parse("ok.yaml", []byte("roles:\n  a: {connection_limit: 2147483647}\n  b: {connection_limit: -1}\n")); err != nil {
		t.Errorf("the bounds themselves are valid: %v", err)
	}
}
