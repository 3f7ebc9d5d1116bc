package main

import (
	"fmt"
	"strings"
)

// ldap2pg configurations for the same layouts: the closest open-source
// peer (dalibo/ldap2pg 6), measured on the same server from the same
// starting state. ldap2pg does not create schemas or manage passwords,
// IAM or predefined-role memberships; its configuration covers the rest
// (roles, options, settings, database and schema privileges, default
// privileges for the schema owner). It runs as the superuser: as the RDS
// master it cannot set default privileges for a role it is not a member
// of, and it does not take and give back that membership as rolekeeper
// does.
const ldap2pgHeader = `version: 6
postgres:
  databases_query: [app]
  roles_blacklist_query: [postgres, rdsadmin, "pg_*", "rds_*"]
`

// ldap2pgStandard is scenario S for ldap2pg.
func ldap2pgStandard() string {
	return ldap2pgHeader + `  schemas_query: [app]
privileges:
  login: [__connect__]
  rw: [__connect__, __usage_on_schemas__, __select_on_tables__, __insert_on_tables__, __update_on_tables__, __delete_on_tables__,
       __usage_on_sequences__, __select_on_sequences__, __update_on_sequences__, __execute_on_functions__]
  ro: [__connect__, __usage_on_schemas__, __select_on_tables__, __select_on_sequences__]
rules:
- roles:
  - {name: migrator, options: LOGIN}
  - {name: app, options: LOGIN}
  - {name: reporting, options: {LOGIN: yes, CONNECTION LIMIT: 5}, config: {statement_timeout: 30s}}
  grants:
  - {privilege: login, role: migrator}
  - {privilege: rw, role: app, schema: app, owner: migrator}
  - {privilege: ro, role: reporting, schema: app, owner: migrator}
`
}

// ldap2pgManyRoles is scenarios L and XL for ldap2pg: every user readonly
// on every schema, default privileges for the owner.
func ldap2pgManyRoles(roles, schemas int) string {
	var b strings.Builder
	b.WriteString(ldap2pgHeader)
	all := make([]string, schemas)
	for s := 1; s <= schemas; s++ {
		all[s-1] = schemaName(s)
	}
	fmt.Fprintf(&b, "  schemas_query: [%s]\n", strings.Join(all, ", "))
	b.WriteString("privileges:\n  ro: [__connect__, __usage_on_schemas__, __select_on_tables__, __select_on_sequences__]\n")
	b.WriteString("rules:\n- role: {name: owner, options: NOLOGIN}\n- roles:\n    names:\n")
	users := make([]string, roles)
	for r := 1; r <= roles; r++ {
		users[r-1] = roleName(r)
		fmt.Fprintf(&b, "    - %s\n", roleName(r))
	}
	b.WriteString("    options: LOGIN\n")
	fmt.Fprintf(&b, "  grant:\n    privilege: ro\n    schemas: [%s]\n    owner: owner\n    roles: [%s]\n", strings.Join(all, ", "), strings.Join(users, ", "))
	return b.String()
}
