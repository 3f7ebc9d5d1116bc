package apply

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/spec"
	"github.com/rolekeeper/rolekeeper/state"
)

// Rotation is what rotate did for one role.
type Rotation struct {
	Role   string `json:"role"`
	Secret string `json:"secret"`
	// Outcome is "rotated", or "finished" when an interrupted rotation's
	// pending password already worked and was promoted instead.
	Outcome string `json:"outcome"`
}

// LoginFunc tries to log in as user with password.
type LoginFunc func(ctx context.Context, user, password string) error

// Rotate gives each auth: password role (only those in roles, when not
// empty) a new password, in an order that never leaves the secret and the
// server disagreeing after a crash:
//  1. the new password is stored as the secret's PENDING version;
//  2. the server gets its verifier, in a transaction under the rolekeeper lock;
//  3. the PENDING version is promoted to CURRENT.
//
// A crash after 2 leaves the server on the PENDING password; the next
// rotate finds it by logging in with it and promotes it, as it would any
// interrupted rotation. login is how it tries a password.
func Rotate(ctx context.Context, conn *pgx.Conn, want *state.Database, secrets *Secrets, roles []string, login LoginFunc, opts Options) ([]Rotation, error) {
	opts.defaults()
	if secrets == nil || secrets.Store == nil {
		return nil, errors.New("rotate: no secret store is configured (AWS Secrets Manager, or --secrets-dir locally)")
	}
	only := map[string]bool{}
	for _, r := range roles {
		w := want.Roles[r]
		if w == nil || w.Auth != state.AuthPassword || w.Absent {
			return nil, fmt.Errorf("rotate: %q is not a role with auth: password in the spec%s", r, spec.DidYouMean(r, passwordRoles(want)))
		}
		only[r] = true
	}
	if err := RefuseAdminSecret(secrets, want, roles...); err != nil {
		return nil, fmt.Errorf("rotate: %w", err)
	}
	if problems := SecretProblems(ctx, secrets, want, roles...); len(problems) > 0 {
		return nil, fmt.Errorf("rotate: nothing was changed: %w", &ProblemsError{Problems: problems})
	}
	var out []Rotation
	for _, name := range state.SortedKeys(want.Roles) {
		w := want.Roles[name]
		if w.Auth != state.AuthPassword || w.Absent || (len(only) > 0 && !only[name]) {
			continue
		}
		if isClone(w) && !only[name] {
			continue // rotated with its original: they share one secret
		}
		r, err := rotateOne(ctx, conn, secrets.Store, w, login, opts)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

func rotateOne(ctx context.Context, conn *pgx.Conn, store credentials.Store, w *state.Role, login LoginFunc, opts Options) (Rotation, error) {
	r := Rotation{Role: w.Name, Secret: w.PasswordSecret}
	cur, err := store.Get(ctx, w.PasswordSecret, credentials.StageCurrent)
	if err != nil {
		if errors.Is(err, credentials.ErrNotFound) {
			return r, fmt.Errorf("rotate %s: the secret %s does not exist; run apply first", w.Name, w.PasswordSecret)
		}
		return r, fmt.Errorf("rotate %s: %w", w.Name, err)
	}
	// An interrupted rotation: does the server already use the pending password?
	if pending, err := store.Get(ctx, w.PasswordSecret, credentials.StagePending); err == nil && pending.ID != cur.ID && login != nil {
		if u := pending.Secret.Username; (u == w.Name || (u != "" && u == w.Alternate)) && login(ctx, u, pending.Secret.Password) == nil {
			if err := store.Promote(ctx, w.PasswordSecret, pending.ID); err != nil {
				return r, fmt.Errorf("rotate %s: %w", w.Name, err)
			}
			r.Outcome = "finished"
			return r, nil
		}
	}
	pw, err := credentials.GeneratePassword(32)
	if err != nil {
		return r, err
	}
	next := cur.Secret
	next.Username, next.Password = w.Name, pw
	if w.Alternate != "" && cur.Secret.Username == w.Name {
		// Alternating users: the role the secret does not name now gets
		// the new password, so the current one keeps working.
		next.Username = w.Alternate
	}
	pending, err := store.PutPending(ctx, w.PasswordSecret, next)
	if err != nil {
		return r, fmt.Errorf("rotate %s: %w; nothing was changed", w.Name, err)
	}
	sql, err := setPasswordSQL(next.Username, pw)
	if err != nil {
		return r, err
	}
	if err := begin(ctx, conn, opts); err != nil {
		return r, fmt.Errorf("rotate %s: %w", w.Name, err)
	}
	if _, err := conn.Exec(ctx, sql); err != nil {
		rollback(conn)
		return r, fmt.Errorf("rotate %s: set the new password: %w; the server keeps the old one, which the secret still holds as current", w.Name, err)
	}
	if err := commit(ctx, conn); err != nil {
		return r, fmt.Errorf("rotate %s: commit: %w; rerun rotate: it finds which password the server uses", w.Name, err)
	}
	if err := store.Promote(ctx, w.PasswordSecret, pending.ID); err != nil {
		return r, fmt.Errorf("rotate %s: the server uses the new password but %w; rerun rotate to finish", w.Name, err)
	}
	r.Outcome = "rotated"
	return r, nil
}

// isClone reports whether w is the second role of an alternating pair.
func isClone(w *state.Role) bool {
	return w.Alternate != "" && w.Name == w.Alternate+state.CloneSuffix
}

// passwordRoles names the present auth: password roles of want.
func passwordRoles(want *state.Database) []string { return passwordRolesIn(want, nil) }
