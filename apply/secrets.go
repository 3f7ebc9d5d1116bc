package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/state"
)

// AdminSecretError refuses a spec whose auth: password role would keep its
// password in the admin's own secret: apply would overwrite the master
// password with a user's, and check would log in with the master's.
type AdminSecretError struct{ Problems []string }

func (e *AdminSecretError) Error() string {
	return "refused before any secret was read or written: " + strings.Join(e.Problems, "; ")
}

// RefuseAdminSecret returns an *AdminSecretError when a password_secret
// of want (the roles in only, all when empty) names one of the admin's
// own secrets (s.Admin), by name, ARN or SSM reference. It reads nothing.
func RefuseAdminSecret(s *Secrets, want *state.Database, only ...string) error {
	if s == nil || len(s.Admin) == 0 {
		return nil
	}
	var problems []string
	for _, name := range passwordRolesIn(want, only) {
		w := want.Roles[name]
		for _, admin := range s.Admin {
			if credentials.SameSecret(w.PasswordSecret, admin) {
				problems = append(problems, fmt.Sprintf("role %q: password_secret %q is the admin's own secret (%s); give the role a secret of its own", name, w.PasswordSecret, admin))
				break
			}
		}
	}
	if len(problems) > 0 {
		return &AdminSecretError{Problems: problems}
	}
	return nil
}

// SecretProblems returns, for the auth: password roles of want (those in
// only, all when empty), each existing secret that holds another user's
// credential: rolekeeper never overwrites it, nor sets a role's password
// from it. Reading a secret fails: that is a problem too.
func SecretProblems(ctx context.Context, s *Secrets, want *state.Database, only ...string) []string {
	if s == nil || s.Store == nil {
		return nil
	}
	var problems []string
	for _, name := range passwordRolesIn(want, only) {
		w := want.Roles[name]
		v, err := s.Store.Get(ctx, w.PasswordSecret, credentials.StageCurrent)
		switch {
		case errors.Is(err, credentials.ErrNotFound):
		case err != nil:
			problems = append(problems, fmt.Sprintf("role %q: cannot read secret %q to see whose it is: %v", name, w.PasswordSecret, err))
		case v.Secret.Username != "" && v.Secret.Username != name && v.Secret.Username != w.Alternate:
			// (the two roles of an alternating rotation share one secret)
			problems = append(problems, fmt.Sprintf("role %q: secret %q holds the credential of user %q, not %q; rolekeeper never overwrites another user's secret: give %q a password_secret of its own",
				name, w.PasswordSecret, v.Secret.Username, name, name))
		}
	}
	return problems
}

// passwordRolesIn names, sorted, the present auth: password roles of want
// that are in only (all when only is empty).
func passwordRolesIn(want *state.Database, only []string) []string {
	in := map[string]bool{}
	for _, r := range only {
		in[r] = true
	}
	var out []string
	for _, name := range state.SortedKeys(want.Roles) {
		w := want.Roles[name]
		if w.Auth == state.AuthPassword && !w.Absent && (len(in) == 0 || in[name]) {
			out = append(out, name)
		}
	}
	return out
}
