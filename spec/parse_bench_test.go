package spec

import (
	"fmt"
	"strings"
	"testing"
)

// inspectStyleSpec writes a spec in the shape `rolekeeper inspect` wrote
// before it grouped access (block style, one inline privilege set per
// role and schema): the L layout (1,000 roles x 20 schemas) is 1.6 MB.
func inspectStyleSpec(roles, schemas int) []byte {
	var b strings.Builder
	b.WriteString("database: app\nschemas:\n")
	for s := 1; s <= schemas; s++ {
		fmt.Fprintf(&b, "  s%02d:\n    owner: owner\n", s)
	}
	b.WriteString("roles:\n  owner: {}\n")
	for r := 1; r <= roles; r++ {
		fmt.Fprintf(&b, "  u%06d:\n    login: true\n    access:\n", r)
		for s := 1; s <= schemas; s++ {
			fmt.Fprintf(&b, "      s%02d:\n        schema:\n          - USAGE\n        tables:\n          - SELECT\n", s)
		}
	}
	return []byte(b.String())
}

// manyRolesSpec writes roles roles of one line each (a profile on one
// schema, 37 bytes): 60,000 roles are 2.1 MB.
func manyRolesSpec(roles int) []byte {
	var b strings.Builder
	b.WriteString("schemas:\n  app: {owner: owner}\nroles:\n  owner: {}\n")
	for r := 1; r <= roles; r++ {
		fmt.Fprintf(&b, "  u%06d: {access: {app: readonly}}\n", r)
	}
	return []byte(b.String())
}

// BenchmarkParse parses and validates generated specs of growing size.
// Parsing is linear when ns/op grows with the size (MB/s stays level):
//
//	go test -run '^$' -bench Parse -benchmem ./spec
func BenchmarkParse(b *testing.B) {
	cases := []struct {
		name string
		data []byte
	}{
		{"inspect-L/4", inspectStyleSpec(500, 10)},
		{"inspect-L", inspectStyleSpec(1000, 20)},
		{"roles-15k", manyRolesSpec(15000)},
		{"roles-60k", manyRolesSpec(60000)},
		{"roles-150k", manyRolesSpec(150000)},
		{"roles-270k", manyRolesSpec(270000)}, // MaxFileSize is 10 MiB
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("%s-%.1fMB", c.name, float64(len(c.data))/(1<<20)), func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			for i := 0; i < b.N; i++ {
				if _, err := Parse("bench.yaml", c.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
