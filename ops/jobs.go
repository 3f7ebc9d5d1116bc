package ops

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/catalog"
	"github.com/rolekeeper/rolekeeper/connect"
	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/plan"
	"github.com/rolekeeper/rolekeeper/spec"
	"github.com/rolekeeper/rolekeeper/verify"
)

// Session is one admin connection and what the jobs need beside it.
type Session struct {
	// Conn is the admin connection; its database is the one worked on.
	Conn *pgx.Conn
	// Store keeps password users' secrets; nil when none is configured.
	Store credentials.Store
	// Tokens signs IAM tokens for check; nil: IAM users log in without one.
	Tokens credentials.TokenFunc
	// AdminSecrets name the admin's own secret (AdminCredential.SecretIDs),
	// which no role's password_secret may name.
	AdminSecrets []string
	// homes are the roles' home databases (spec.Spec.LoginDatabase) while
	// a multi-database spec is applied: the dbname of their new secrets.
	homes map[string]string
}

// Database is the name of the connected database.
func (s Session) Database() string { return s.Conn.Config().Database }

// Secrets is the store with the shape of the secrets it writes (engine,
// host, port, database of this connection); nil without a store.
func (s Session) Secrets() *apply.Secrets {
	if s.Store == nil {
		return nil
	}
	c := s.Conn.Config()
	return &apply.Secrets{Store: s.Store, Admin: s.AdminSecrets, DBNames: s.homes,
		Shape: credentials.DBSecret{Engine: "postgres", Host: c.Host, Port: int(c.Port), DBName: c.Database}}
}

// Plan computes what apply would change, without changing anything.
// A role whose password_secret is the admin's own is refused before
// anything is read; a secret that holds another user's credential is a
// problem of the plan.
func (s Session) Plan(ctx context.Context, sp *spec.Spec) (*plan.Plan, error) {
	return s.plan(ctx, sp, plan.Options{Additive: sp.Additive()})
}

// plan is Plan with the caller's plan options.
func (s Session) plan(ctx context.Context, sp *spec.Spec, opts plan.Options) (*plan.Plan, error) {
	skeleton, want := s.desired(sp)
	if err := apply.RefuseAdminSecret(s.Secrets(), skeleton); err != nil {
		return nil, err
	}
	p, err := apply.PlanWhile(ctx, s.Conn, skeleton, want, opts)
	if err != nil {
		return nil, err
	}
	p.Problems = append(p.Problems, apply.PasswordProblems(ctx, s.Secrets(), want(), p)...)
	return p, nil
}

// Apply converges the database to the spec in one transaction. opts
// carries the caller's timeouts, progress hook and plan options; the mode
// (additive or not) and the secrets come from the spec and the session.
func (s Session) Apply(ctx context.Context, sp *spec.Spec, opts apply.Options) (*apply.Result, error) {
	opts.Plan.Additive = sp.Additive()
	opts.Secrets = s.Secrets()
	skeleton, want := s.desired(sp)
	return apply.ApplyWhile(ctx, s.Conn, skeleton, want, opts)
}

// Check logs in as each login role of the spec and proves its rights.
func (s Session) Check(ctx context.Context, sp *spec.Spec) (*verify.Report, error) {
	want := sp.Desired(s.Database())
	if err := apply.RefuseAdminSecret(s.Secrets(), want); err != nil {
		return nil, err
	}
	return verify.Check(ctx, verify.Options{
		Admin:      s.Conn,
		Want:       want,
		Credential: verify.StoreCredential(s.Store, s.Tokens, s.Conn.Config()),
	})
}

// Rotate gives the listed auth: password roles (all when roles is empty) a
// new password: the secret first, then the server, proven by a login.
func (s Session) Rotate(ctx context.Context, sp *spec.Spec, roles []string) ([]apply.Rotation, error) {
	done, err := apply.Rotate(ctx, s.Conn, sp.Desired(s.Database()), s.Secrets(), roles, s.login(sp), apply.Options{})
	if done == nil {
		done = []apply.Rotation{}
	}
	return done, err
}

// RoleList splits a comma-separated list of role names (the CLI's
// --roles), trimming spaces and dropping empty entries, so that both front
// doors mean the same by a list.
func RoleList(s string) []string {
	var out []string
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// Inspection is the database described as a spec.
type Inspection struct {
	// Spec describes the managed-looking roles, schemas and settings.
	Spec *spec.Spec
	// Notes say what the spec cannot express, or left out.
	Notes []string
	// Database and ServerVersion say where it was read; Databases, for
	// several databases (InspectDatabases).
	Database      string
	Databases     []string
	ServerVersion string
}

// Inspect reads the database and describes it as a spec. System roles,
// superusers and the connected user are left out.
func (s Session) Inspect(ctx context.Context) (*Inspection, error) {
	snap, err := catalog.Inspect(ctx, s.Conn, catalog.Scope{})
	if err != nil {
		return nil, err
	}
	out, notes := spec.FromState(snap.DB, func(role string) bool { return plan.IsSystemRole(role, snap) })
	if notes == nil {
		notes = []string{}
	}
	return &Inspection{Spec: out, Notes: notes, Database: snap.Server.Database, ServerVersion: snap.Server.Version}, nil
}

// commentBreaks escapes what YAML reads as a line break (names in notes
// may hold any: a column, table or role name), so that a note stays one
// comment line and cannot write spec lines.
var commentBreaks = strings.NewReplacer("\r", `\r`, "\n", `\n`, "\u0085", `\u0085`, "\u2028", `\u2028`, "\u2029", `\u2029`)

// YAML renders the inspection as a commented spec file.
func (i *Inspection) YAML() ([]byte, error) {
	body, err := spec.Marshal(i.Spec)
	if err != nil {
		return nil, fmt.Errorf("write the inspected spec: %w", err)
	}
	var out bytes.Buffer
	if len(i.Databases) > 0 {
		fmt.Fprintf(&out, "# Written by rolekeeper inspect from databases %s on PostgreSQL %s.\n", quotedNames(i.Databases), i.ServerVersion)
	} else {
		fmt.Fprintf(&out, "# Written by rolekeeper inspect from database %q on PostgreSQL %s.\n", i.Database, i.ServerVersion)
	}
	fmt.Fprintln(&out, "# Roles not listed (system roles, superusers, the connected user) are left alone.")
	for _, n := range i.Notes {
		fmt.Fprintf(&out, "# Note: %s.\n", commentBreaks.Replace(n))
	}
	out.Write(body)
	return out.Bytes(), nil
}

// RotationStep runs one step of Secrets Manager's rotation protocol for
// the secret of one of the spec's auth: password roles (docs/rotation.md).
// The admin's own secret (s.AdminSecrets) is never rotated here.
func (s Session) RotationStep(ctx context.Context, sp *spec.Spec, ev apply.RotationEvent) (apply.RotationStepResult, error) {
	store, _ := s.Store.(credentials.RotationStore)
	guard := apply.RotationGuard{AdminSecrets: s.AdminSecrets, AdminUser: s.Conn.Config().User}
	return apply.RotateStep(ctx, s.Conn, sp.Desired(s.Database()), store, ev, s.login(sp), guard, apply.Options{})
}

// quotedNames writes names as Go-quoted strings, comma-separated.
func quotedNames(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// login proves a role's password by logging in: to the connected
// database, or for a spec with databases to the first database that lists
// the role (where it has CONNECT).
func (s Session) login(sp *spec.Spec) func(ctx context.Context, user, password string) error {
	return func(ctx context.Context, user, password string) error {
		cfg := s.Conn.Config()
		if db := sp.LoginDatabase(user); db != "" {
			cfg.Database = db
		}
		return connect.Login(ctx, cfg, user, password)
	}
}
