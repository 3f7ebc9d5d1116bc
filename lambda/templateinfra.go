package lambda

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/spec"
)

// The template-infra role manager (navapbc/template-infra,
// infra/modules/database/role_manager) is invoked with
// {"action": "manage" | "check", "config": {"superuser_extensions": {...}}}
// and configured by DB_HOST, DB_PORT, DB_USER, DB_NAME, DB_SCHEMA,
// APP_USER, MIGRATOR_USER and DB_PASSWORD_SECRET_ARN or
// DB_PASSWORD_PARAM_NAME. rolekeeper accepts that contract unchanged; the
// README lists where the result differs (least privilege).

// templateInfraConfig is the config the role manager takes.
type templateInfraConfig struct {
	SuperuserExtensions map[string]bool `json:"superuser_extensions"`
}

// templateInfraMode: the environment is template-infra's and no spec is
// configured, so "check" means the role manager's check.
func (h *Handler) templateInfraMode() bool {
	return h.getenv("APP_USER") != "" && h.getenv("MIGRATOR_USER") != "" && h.getenv("DB_SCHEMA") != "" &&
		h.getenv("ROLEKEEPER_SPEC") == "" && h.getenv("ROLEKEEPER_SPEC_FILE") == ""
}

// templateInfraSpec is what the role manager does, as a spec: IAM users
// app and migrator, the schema owned by migrator, app read/write on it now
// and on migrator's future objects, search_path, PUBLIC locked out of the
// database and of creating in public, and the listed extensions.
func (h *Handler) templateInfraSpec(cfg templateInfraConfig) (*spec.Spec, error) {
	var missing []string
	for _, k := range []string{"APP_USER", "MIGRATOR_USER", "DB_SCHEMA", "DB_NAME"} {
		if h.getenv(k) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("template-infra mode needs the environment variables %s", strings.Join(missing, ", "))
	}
	schema, app, migrator := h.getenv("DB_SCHEMA"), h.getenv("APP_USER"), h.getenv("MIGRATOR_USER")
	doc := map[string]any{
		"database": h.getenv("DB_NAME"),
		"schemas":  map[string]any{schema: map[string]any{"owner": migrator}},
		"roles": map[string]any{
			migrator: map[string]any{"auth": "iam"},
			app:      map[string]any{"auth": "iam", "access": map[string]any{schema: "readwrite"}},
		},
		"public":            map[string]any{"connect": false, "temporary": false, "create_in_public_schema": false},
		"database_settings": map[string]any{"search_path": []string{schema}},
	}
	if len(cfg.SuperuserExtensions) > 0 {
		exts := map[string]any{}
		for name, on := range cfg.SuperuserExtensions {
			st := "absent"
			if on {
				st = "present"
			}
			exts[name] = map[string]any{"state": st, "schema": "pg_catalog"}
		}
		doc["extensions"] = exts
	}
	raw, _ := json.Marshal(doc)
	// Parsed like any spec, so hostile names in the environment are refused.
	return spec.Parse("template-infra environment", raw)
}

func (h *Handler) templateInfra(ctx context.Context, log *slog.Logger, ev Event) (any, error) {
	var cfg templateInfraConfig
	if len(ev.Config) > 0 && string(ev.Config) != "null" {
		dec := json.NewDecoder(strings.NewReader(string(ev.Config)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return nil, fmt.Errorf("template-infra config must be {\"superuser_extensions\": {\"name\": true|false}}: %v", err)
		}
	}
	s, err := h.templateInfraSpec(cfg)
	if err != nil {
		return nil, err
	}
	conn, err := h.connect(ctx, log, s.Database, true)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	sess, err := h.session(ctx, conn)
	if err != nil {
		return nil, err
	}
	if ev.Action == "check" {
		if _, err := h.check(ctx, log, sess, s, "template-infra"); err != nil {
			return nil, err
		}
		return map[string]bool{"success": true}, nil
	}
	if _, err := h.apply(ctx, log, sess, s, "template-infra"); err != nil {
		return nil, err
	}
	return templateInfraReport(ctx, conn)
}

// templateInfraReport is the role manager's manage response: roles, each
// user's groups, and each schema's ACL.
func templateInfraReport(ctx context.Context, conn *pgx.Conn) (map[string]any, error) {
	rows, _ := conn.Query(ctx, `select rolname::text from pg_roles where rolname not like 'pg\_%' and rolname not like 'rds%' order by 1`)
	roles, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	groups := map[string][]string{}
	rows, _ = conn.Query(ctx, `select u.rolname::text, g.rolname::text from pg_roles u join pg_auth_members a on u.oid = a.member join pg_roles g on g.oid = a.roleid`)
	var u, g string
	if _, err := pgx.ForEachRow(rows, []any{&u, &g}, func() error {
		groups[u] = append(groups[u], g)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list role groups: %w", err)
	}
	withGroups := map[string]string{}
	for user, gs := range groups {
		sort.Strings(gs)
		withGroups[user] = strings.Join(gs, ",")
	}
	privs := map[string]*string{}
	rows, _ = conn.Query(ctx, `select nspname::text, nspacl::text from pg_namespace where nspname not like 'pg\_%' and nspname <> 'information_schema'`)
	var name string
	var acl *string
	if _, err := pgx.ForEachRow(rows, []any{&name, &acl}, func() error {
		privs[name] = acl
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list schema privileges: %w", err)
	}
	return map[string]any{"roles": roles, "roles_with_groups": withGroups, "schema_privileges": privs}, nil
}
