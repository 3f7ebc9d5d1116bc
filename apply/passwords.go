package apply

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/plan"
	"github.com/rolekeeper/rolekeeper/state"
)

// Secrets is where apply and rotate keep the passwords of auth: password roles.
type Secrets struct {
	Store credentials.Store
	// Shape fills the RDS-shaped fields (engine, host, port, dbname) of
	// secrets rolekeeper creates.
	Shape credentials.DBSecret
	// DBNames gives, by role, the dbname of its new secret when it is not
	// Shape's: in a multi-database spec, a database the role may connect
	// to (spec.Spec.LoginDatabase).
	DBNames map[string]string
	// Admin names the admin's own secret (its ID, ARN or SSM reference),
	// which no role may use (RefuseAdminSecret).
	Admin []string
}

// passwordStatement returns the statement that sets a role's password
// from its secret, creating the secret with a generated password when it
// does not exist. The secret is written before the server is changed, so
// a crash can leave a secret the server does not use yet (the next apply
// uses it), never a server password no secret holds.
//
// created reports that the secret was created here: if the transaction
// then rolls back, the secret stays (and the next apply uses it).
func passwordStatement(ctx context.Context, s *Secrets, c plan.Change) (sql string, created bool, err error) {
	if s == nil || s.Store == nil {
		return "", false, fmt.Errorf("role %q uses auth: password, and %s", c.Name, noStore)
	}
	v, err := s.Store.Get(ctx, c.Secret, credentials.StageCurrent)
	if errors.Is(err, credentials.ErrNotFound) {
		pw, gerr := credentials.GeneratePassword(32)
		if gerr != nil {
			return "", false, gerr
		}
		sec := s.Shape
		sec.Username, sec.Password = c.Name, pw
		if db := s.DBNames[c.Name]; db != "" {
			sec.DBName = db
		}
		v, err = s.Store.Create(ctx, c.Secret, sec)
		created = err == nil
	}
	if err != nil {
		return "", false, fmt.Errorf("password of %q: %w", c.Name, err)
	}
	sql, err = setPasswordSQL(c.Name, v.Secret.Password)
	return sql, created, err
}

// noStore says what is missing when a password must be set and no secret
// store is configured.
const noStore = "no secret store is configured (AWS Secrets Manager needs an AWS region and credentials; locally, pass --secrets-dir DIR)"

// PasswordProblems are the problems of a plan's passwords: secrets that
// hold another user (SecretProblems) and passwords to set with no store
// (StoreProblems). Plan, saved plans and apply report the same ones.
func PasswordProblems(ctx context.Context, s *Secrets, want *state.Database, p *plan.Plan) []string {
	return append(SecretProblems(ctx, s, want), StoreProblems(s, p)...)
}

// StoreProblems are the plan's password changes that cannot run because
// no secret store is configured: a plan problem, found before anything
// runs, rather than an apply that fails half-way.
//
// A store with rules for names (credentials.NameRules) checks each secret
// name too, so that a name it would refuse (a role's default secret name
// carries the role's name, which may hold spaces or accents) is reported
// here, with the way out.
func StoreProblems(s *Secrets, p *plan.Plan) []string {
	var out []string
	for _, c := range p.Changes {
		if c.Secret == "" {
			continue
		}
		if s == nil || s.Store == nil {
			out = append(out, fmt.Sprintf("role %q uses auth: password and its password must be set from secret %q, but %s", c.Name, c.Secret, noStore))
			continue
		}
		if rules, ok := s.Store.(credentials.NameRules); ok {
			if err := rules.CheckName(c.Secret); err != nil {
				out = append(out, fmt.Sprintf("role %q: its secret's name %q cannot be used: %v; give the role a password_secret that can", c.Name, c.Secret, err))
			}
		}
	}
	return out
}

// setPasswordSQL sets a password as a SCRAM-SHA-256 verifier computed
// here: the plaintext never reaches the server, its logs or
// pg_stat_statements.
func setPasswordSQL(role, password string) (string, error) {
	verifier, err := credentials.ScramVerifier(password, nil)
	if err != nil {
		return "", err
	}
	return "ALTER ROLE " + pgx.Identifier{role}.Sanitize() + " PASSWORD '" + verifier + "'", nil
}
