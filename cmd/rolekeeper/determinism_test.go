package main

import (
	"testing"

	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// manyMaps is a spec whose every part is a map that Go iterates in random
// order: roles, schemas, settings, profiles, access, extensions.
const manyMaps = `database: app
profiles:
  audit: {schema: [USAGE], tables: [SELECT], sequences: [SELECT]}
  writer: {schema: [USAGE], tables: [SELECT, INSERT, UPDATE]}
schemas:
  app: {owner: migrator}
  billing: {owner: migrator}
  events: {owner: owner2}
roles:
  migrator: {auth: iam}
  owner2: {login: true}
  app: {auth: iam, access: {app: readwrite, billing: writer, events: readonly}}
  auditor: {login: true, access: {app: audit, billing: audit, events: audit}, settings: {statement_timeout: 5s, work_mem: 8MB, search_path: [app, billing]}}
  reporting: {login: true, connection_limit: 5, access: {app: readonly, billing: readonly}, member_of: [pg_read_all_stats, pg_monitor]}
  z1: {member_of: [auditor, reporting]}
  a1: {member_of: [z1, app]}
public: {connect: false, temporary: false, create_in_public_schema: false}
database_settings: {search_path: [app, billing], statement_timeout: 1min, lock_timeout: 10s, DateStyle: "ISO, DMY"}
`

// TestPlanIsByteIdenticalRunAfterRun: 20 plans of the same spec and
// state, as text and as JSON, are the same bytes.
func TestPlanIsByteIdenticalRunAfterRun(t *testing.T) {
	db := pgtest.Fresh(t)
	file := writeSpec(t, manyMaps)
	for _, format := range []string{"text", "json"} {
		var first string
		for i := 0; i < 20; i++ {
			code, out, errOut := rk(t, "plan", "-f", file, "--dsn", db.DSN, "--format", format)
			if code != 2 {
				t.Fatalf("plan: exit %d: %s", code, errOut)
			}
			if i == 0 {
				first = out
			} else if out != first {
				t.Fatalf("%s plan %d differs from the first:\n%s\n---\n%s", format, i+1, first, out)
			}
		}
	}
}
