package lambda

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/plan"
	"github.com/rolekeeper/rolekeeper/spec"
	"github.com/rolekeeper/rolekeeper/state"
	"github.com/rolekeeper/rolekeeper/verify"
)

// The template-infra role manager (navapbc/template-infra,
// infra/modules/database/resources/role_manager/*.py) is invoked by
// bin/create-or-update-database-roles and bin/check-database-roles with
// {"action": "manage" | "check", "config": <database_config>}, where the
// config is the app-config's database_config output
// ({"region", "cluster_name", "superuser_extensions"}), and configured by
// DB_HOST, DB_PORT, DB_USER, DB_NAME, DB_SCHEMA, APP_USER, MIGRATOR_USER,
// DB_PASSWORD_PARAM_NAME and DB_PASSWORD_SECRET_ARN (role_manager.tf).
// rolekeeper accepts that contract unchanged and, by default, leaves the
// database as the role manager leaves it (docs/template-infra.md).

// TemplateInfraAccessEnv selects the application user's access in
// template-infra mode: "all" (the default: what the role manager grants)
// or "readwrite" (least privilege: no TRUNCATE, REFERENCES or TRIGGER, and
// the spec is authoritative, so what the role manager or migrations
// granted beyond it is revoked).
const TemplateInfraAccessEnv = "ROLEKEEPER_TEMPLATE_INFRA_ACCESS"

// templateInfraConfig is the config the role manager takes. Only
// superuser_extensions is used; region and cluster_name (and anything a
// project adds) are accepted and logged at debug level.
type templateInfraConfig struct {
	SuperuserExtensions map[string]bool
	Unused              []string
}

func parseTemplateInfraConfig(raw json.RawMessage) (templateInfraConfig, error) {
	var cfg templateInfraConfig
	if len(raw) == 0 || string(raw) == "null" {
		return cfg, nil
	}
	const shape = `template-infra config must be a JSON object such as {"region": "us-east-1", "cluster_name": "app-dev", "superuser_extensions": {"vector": true}}`
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return cfg, fmt.Errorf("%s: %v", shape, err)
	}
	for k, v := range fields {
		if k != "superuser_extensions" {
			cfg.Unused = append(cfg.Unused, k)
			continue
		}
		if string(v) == "null" {
			continue
		}
		if err := json.Unmarshal(v, &cfg.SuperuserExtensions); err != nil {
			return cfg, fmt.Errorf(`%s: superuser_extensions must map extension names to true or false: %v`, shape, err)
		}
	}
	sort.Strings(cfg.Unused)
	return cfg, nil
}

// templateInfraMode: the environment is template-infra's and no spec is
// configured, so "check" means the role manager's check.
func (h *Handler) templateInfraMode() bool {
	return h.getenv("APP_USER") != "" && h.getenv("MIGRATOR_USER") != "" && h.getenv("DB_SCHEMA") != "" &&
		h.getenv("ROLEKEEPER_SPEC") == "" && h.getenv("ROLEKEEPER_SPEC_FILE") == ""
}

// templateInfraProfile is what manage.py's configure_schema and
// configure_default_privileges give the app user: USAGE on the schema and
// ALL on the tables, sequences and routines the migrator creates in it.
const templateInfraProfile = "template_infra_all"

// templateInfraSpec is what the role manager does, as a spec: IAM users
// app and migrator with CONNECT, the schema owned by migrator, app using
// it and everything migrator creates in it, search_path, PUBLIC locked out
// of the database and of creating in public, and the listed extensions in
// pg_catalog (or dropped). The second result is the plan options: by
// default additive, as the role manager never revokes, but dropping
// extensions set to false as it does.
func (h *Handler) templateInfraSpec(cfg templateInfraConfig) (*spec.Spec, plan.Options, error) {
	var missing []string
	for _, k := range []string{"APP_USER", "MIGRATOR_USER", "DB_SCHEMA", "DB_NAME"} {
		if h.getenv(k) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, plan.Options{}, fmt.Errorf("template-infra mode needs the environment variables %s", strings.Join(missing, ", "))
	}
	access := templateInfraProfile
	mode := "additive"
	switch v := strings.ToLower(h.getenv(TemplateInfraAccessEnv)); v {
	case "", "all":
	case "readwrite":
		access, mode = "readwrite", "authoritative"
	default:
		return nil, plan.Options{}, fmt.Errorf("%s=%q: use all (the role manager's grants, the default) or readwrite (least privilege)", TemplateInfraAccessEnv, v)
	}
	schema, app, migrator := h.getenv("DB_SCHEMA"), h.getenv("APP_USER"), h.getenv("MIGRATOR_USER")
	doc := map[string]any{
		"database": h.getenv("DB_NAME"),
		"mode":     mode,
		"profiles": map[string]any{templateInfraProfile: map[string]any{
			"schema": []string{"USAGE"}, "tables": []string{"ALL"}, "sequences": []string{"ALL"}, "functions": []string{"ALL"},
		}},
		"schemas": map[string]any{schema: map[string]any{"owner": migrator}},
		"roles": map[string]any{
			migrator: map[string]any{"auth": "iam"},
			app:      map[string]any{"auth": "iam", "access": map[string]any{schema: access}},
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
	s, err := spec.Parse("template-infra environment", raw)
	if err != nil {
		return nil, plan.Options{}, err
	}
	return s, plan.Options{Additive: s.Additive(), DropAbsentExtensions: true}, nil
}

func (h *Handler) templateInfra(ctx context.Context, log *slog.Logger, ev Event) (any, error) {
	cfg, err := parseTemplateInfraConfig(ev.Config)
	if err != nil {
		return nil, err
	}
	for _, k := range cfg.Unused {
		log.Debug("template-infra config field not used by rolekeeper", "field", k)
	}
	s, opts, err := h.templateInfraSpec(cfg)
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
		exts, err := templateInfraExtensionChecks(ctx, conn, cfg.SuperuserExtensions)
		if err != nil {
			return nil, err
		}
		report, err := h.check(ctx, log, sess, s, "template-infra", exts...)
		if err != nil {
			return nil, err
		}
		return map[string]any{"success": true, "checks": report.Checks, "passed": report.Passed, "failed": report.Failed, "skipped": report.Skipped}, nil
	}
	aopts := applyOptions(ctx, log)
	aopts.Plan = opts
	if _, err := h.applyWith(ctx, log, sess, s, "template-infra", aopts); err != nil {
		return nil, err
	}
	return templateInfraReport(ctx, conn)
}

// templateInfraExtensionChecks is check.py's check_superuser_extensions:
// each extension is installed exactly when it is set to true. A mismatch
// fails the check (the role manager's assert is a function error).
func templateInfraExtensionChecks(ctx context.Context, conn *pgx.Conn, exts map[string]bool) ([]verify.Result, error) {
	var out []verify.Result
	for _, name := range state.SortedKeys(exts) {
		var installed bool
		if err := conn.QueryRow(ctx, "select exists (select 1 from pg_catalog.pg_extension where extname = $1)", name).Scan(&installed); err != nil {
			return nil, fmt.Errorf("check extension %q: %w", name, err)
		}
		want := map[bool]string{true: "enabled", false: "disabled"}
		r := verify.Result{Name: fmt.Sprintf("extension %q is %s", name, want[exts[name]]), Passed: installed == exts[name]}
		if !r.Passed {
			r.Detail = fmt.Sprintf("it is %s; run manage, or fix superuser_extensions in the app-config's database_config", want[installed])
		}
		out = append(out, r)
	}
	return out, nil
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
