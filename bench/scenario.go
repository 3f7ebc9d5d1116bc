package main

import (
	"fmt"
	"math/rand"
	"os"
	"strings"

	"github.com/rolekeeper/rolekeeper/credentials"
)

// scenario is one workload: what exists before (setup, run as the
// superuser), the spec rolekeeper applies, and the floor: hand-written SQL
// that reaches the same end state with one statement per schema and
// privilege set and all grantees in each statement.
type scenario struct {
	name   string
	roles  int // login roles
	schema int // schemas
	tables int // tables per schema
	drift  float64

	setup      string
	spec       string
	peer       string // ldap2pg's configuration for the same layout
	floor      string
	driftSQL   string // revokes, as the superuser
	driftFloor string // the floor's repair
}

func roleName(i int) string   { return fmt.Sprintf("u%04d", i) }
func schemaName(i int) string { return fmt.Sprintf("s%02d", i) }
func tableName(i int) string  { return fmt.Sprintf("t%03d", i) }

// standard is scenario S: the demo spec on a database where the migrator
// role and its schema exist.
func standard() (*scenario, error) {
	spec, err := os.ReadFile("examples/app.yaml")
	if err != nil {
		return nil, err
	}
	pw, err := credentials.GeneratePassword(32)
	if err != nil {
		return nil, err
	}
	verifier, err := credentials.ScramVerifier(pw, nil)
	if err != nil {
		return nil, err
	}
	floor := strings.Join([]string{
		`ALTER ROLE migrator LOGIN`,
		`CREATE ROLE app LOGIN`,
		`CREATE ROLE reporting LOGIN CONNECTION LIMIT 5 PASSWORD '` + verifier + `'`,
		`ALTER ROLE reporting IN DATABASE app SET statement_timeout = '30s'`,
		`GRANT rds_iam TO app, migrator`,
		`GRANT pg_read_all_stats TO reporting`,
		`GRANT CONNECT ON DATABASE app TO app, migrator, reporting`,
		`ALTER DATABASE app SET search_path = 'app'`,
		`GRANT migrator TO postgres`,
		`GRANT USAGE ON SCHEMA app TO app, reporting`,
		`ALTER DEFAULT PRIVILEGES FOR ROLE migrator IN SCHEMA app GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO app`,
		`ALTER DEFAULT PRIVILEGES FOR ROLE migrator IN SCHEMA app GRANT SELECT ON TABLES TO reporting`,
		`ALTER DEFAULT PRIVILEGES FOR ROLE migrator IN SCHEMA app GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO app`,
		`ALTER DEFAULT PRIVILEGES FOR ROLE migrator IN SCHEMA app GRANT SELECT ON SEQUENCES TO reporting`,
		`ALTER DEFAULT PRIVILEGES FOR ROLE migrator IN SCHEMA app GRANT EXECUTE ON FUNCTIONS TO app`,
		`REVOKE CONNECT, TEMPORARY ON DATABASE app FROM PUBLIC`,
		`REVOKE migrator FROM postgres`,
	}, ";\n") + ";\n"
	// The schema and its owner exist (a migrations task's database, and
	// what ldap2pg needs: it does not create schemas).
	setup := "CREATE ROLE migrator;\nCREATE SCHEMA app AUTHORIZATION migrator;\n"
	return &scenario{name: "S", roles: 3, schema: 1, setup: setup, spec: string(spec), floor: floor, peer: ldap2pgStandard()}, nil
}

// manyRoles builds scenarios L and XL: roles login users, each readonly on
// every one of schemas schemas of tables tables owned by one owner role.
func manyRoles(name string, roles, schemas, tables int, drift float64) *scenario {
	sc := &scenario{name: name, roles: roles, schema: schemas, tables: tables, drift: drift}
	var setup, spec, floor strings.Builder
	setup.WriteString("CREATE ROLE owner;\n")
	spec.WriteString("schemas:\n")
	for s := 1; s <= schemas; s++ {
		fmt.Fprintf(&setup, "CREATE SCHEMA %s AUTHORIZATION owner;\n", schemaName(s))
	}
	setup.WriteString("SET ROLE owner;\n")
	for s := 1; s <= schemas; s++ {
		for t := 1; t <= tables; t++ {
			fmt.Fprintf(&setup, "CREATE TABLE %s.%s (id int);\n", schemaName(s), tableName(t))
		}
		fmt.Fprintf(&spec, "  %s: {owner: owner}\n", schemaName(s))
	}
	setup.WriteString("RESET ROLE;\n")
	spec.WriteString("roles:\n  owner: {}\n")
	access := make([]string, schemas)
	for s := 1; s <= schemas; s++ {
		access[s-1] = schemaName(s) + ": readonly"
	}
	accessLine := strings.Join(access, ", ")
	all := make([]string, roles)
	for r := 1; r <= roles; r++ {
		all[r-1] = roleName(r)
		fmt.Fprintf(&spec, "  %s: {login: true, access: {%s}}\n", roleName(r), accessLine)
		fmt.Fprintf(&floor, "CREATE ROLE %s LOGIN;\n", roleName(r))
	}
	grantees := strings.Join(all, ", ")
	floor.WriteString("GRANT owner TO postgres;\n")
	fmt.Fprintf(&floor, "GRANT CONNECT ON DATABASE app TO %s;\n", grantees)
	for s := 1; s <= schemas; s++ {
		n := schemaName(s)
		fmt.Fprintf(&floor, "GRANT USAGE ON SCHEMA %s TO %s;\n", n, grantees)
		fmt.Fprintf(&floor, "GRANT SELECT ON ALL TABLES IN SCHEMA %s TO %s;\n", n, grantees)
		fmt.Fprintf(&floor, "ALTER DEFAULT PRIVILEGES FOR ROLE owner IN SCHEMA %s GRANT SELECT ON TABLES TO %s;\n", n, grantees)
		fmt.Fprintf(&floor, "ALTER DEFAULT PRIVILEGES FOR ROLE owner IN SCHEMA %s GRANT SELECT ON SEQUENCES TO %s;\n", n, grantees)
	}
	floor.WriteString("REVOKE owner FROM postgres;\n")
	sc.setup, sc.spec, sc.floor = setup.String(), spec.String(), floor.String()
	sc.peer = ldap2pgManyRoles(roles, schemas)
	if drift > 0 {
		sc.driftSQL, sc.driftFloor = driftScripts(roles, schemas, tables, drift)
	}
	return sc
}

// driftScripts revokes SELECT from a fixed random share of (role, table)
// pairs, and writes the floor's repair: one GRANT per table with all the
// roles that lost it.
func driftScripts(roles, schemas, tables int, share float64) (revoke, repair string) {
	rng := rand.New(rand.NewSource(42))
	lost := map[string][]string{} // table -> roles
	var order []string
	n := int(float64(roles*schemas*tables) * share)
	seen := map[[3]int]bool{}
	for len(seen) < n {
		k := [3]int{rng.Intn(roles) + 1, rng.Intn(schemas) + 1, rng.Intn(tables) + 1}
		if seen[k] {
			continue
		}
		seen[k] = true
		t := schemaName(k[1]) + "." + tableName(k[2])
		if lost[t] == nil {
			order = append(order, t)
		}
		lost[t] = append(lost[t], roleName(k[0]))
	}
	var r, f strings.Builder
	f.WriteString("GRANT owner TO postgres;\n")
	for _, t := range order {
		fmt.Fprintf(&r, "REVOKE SELECT ON %s FROM %s;\n", t, strings.Join(lost[t], ", "))
		fmt.Fprintf(&f, "GRANT SELECT ON %s TO %s;\n", t, strings.Join(lost[t], ", "))
	}
	f.WriteString("REVOKE owner FROM postgres;\n")
	return r.String(), f.String()
}
