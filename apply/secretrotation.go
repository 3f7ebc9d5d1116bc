package apply

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/state"
)

// The steps of Secrets Manager's rotation protocol, in the order it calls them.
const (
	StepCreate = "createSecret"
	StepSet    = "setSecret"
	StepTest   = "testSecret"
	StepFinish = "finishSecret"
)

// RotationSteps lists the steps in the order Secrets Manager calls them.
var RotationSteps = []string{StepCreate, StepSet, StepTest, StepFinish}

// RotationEvent is one call of Secrets Manager's rotation protocol.
type RotationEvent struct {
	// SecretID is the secret's ARN (or name).
	SecretID string `json:"SecretId"`
	// Token is the ClientRequestToken: the id of the version this rotation creates.
	Token string `json:"ClientRequestToken"`
	// Step is createSecret, setSecret, testSecret or finishSecret.
	Step string `json:"Step"`
}

// RotationStepResult is what one rotation step did.
type RotationStepResult struct {
	Step   string `json:"step"`
	Role   string `json:"role"`
	Secret string `json:"secret"`
	// User is the login role the pending version is for (the other role
	// of the pair in an alternating rotation).
	User string `json:"user,omitempty"`
	// Outcome says what the step did: "created", "set", "tested",
	// "finished", or "already done" when a retried step found its work done.
	Outcome string `json:"outcome"`
}

// RotationGuard names what a rotation must never touch.
type RotationGuard struct {
	// AdminSecrets are the ids (names or ARNs) of the admin's own secret.
	AdminSecrets []string
	// AdminUser is the user rolekeeper connects as.
	AdminUser string
}

// RotateStep runs one step of Secrets Manager's rotation protocol for the
// secret of an auth: password role of want, as AWS's rotation function
// template does, each step keyed by the event's token so that a retry
// does nothing twice:
//   - createSecret stores a new password as version Token with AWSPENDING
//     (nothing when that version exists);
//   - setSecret gives the pending user the pending password, as a
//     SCRAM-SHA-256 verifier in a transaction under the rolekeeper lock
//     (nothing when the pending password already logs in);
//   - testSecret logs in with the pending password;
//   - finishSecret moves AWSCURRENT to version Token (the old version
//     becomes AWSPREVIOUS) and takes AWSPENDING off it.
//
// With rotation: alternating the pending version names the other role
// of the pair, so the current password keeps working throughout.
// It refuses the admin's secret and any secret that is not the
// password_secret of a role want manages.
func RotateStep(ctx context.Context, conn *pgx.Conn, want *state.Database, store credentials.RotationStore, ev RotationEvent, login LoginFunc, guard RotationGuard, opts Options) (RotationStepResult, error) {
	opts.defaults()
	res := RotationStepResult{Step: ev.Step, Secret: ev.SecretID}
	if store == nil {
		return res, errors.New("rotation: no secret store that can rotate is configured (AWS Secrets Manager needs an AWS region)")
	}
	if ev.SecretID == "" || ev.Token == "" {
		return res, errors.New("rotation event: SecretId and ClientRequestToken are required")
	}
	known := false
	for _, s := range RotationSteps {
		known = known || s == ev.Step
	}
	if !known {
		return res, fmt.Errorf("rotation event: unknown Step %q; Secrets Manager sends createSecret, setSecret, testSecret or finishSecret", ev.Step)
	}
	if isAdminSecret(guard, ev.SecretID) {
		return res, fmt.Errorf("rotation: refusing to rotate %s: it is the admin's own secret, which rolekeeper connects with; rotate it with RDS's managed rotation", ev.SecretID)
	}
	info, err := store.DescribeSecret(ctx, ev.SecretID)
	if err != nil {
		return res, fmt.Errorf("rotation: %w", err)
	}
	if isAdminSecret(guard, info.Name) || isAdminSecret(guard, info.ARN) {
		return res, fmt.Errorf("rotation: refusing to rotate %s: it is the admin's own secret, which rolekeeper connects with; rotate it with RDS's managed rotation", info.Name)
	}
	w := roleOfSecret(want, ev.SecretID, info)
	if w == nil {
		return res, fmt.Errorf("rotation: refusing to rotate %s: it is not the password_secret of any auth: password role this spec manages", info.Name)
	}
	res.Role, res.Secret = w.Name, info.Name
	if !info.RotationEnabled {
		return res, fmt.Errorf("rotation: secret %s is not enabled for rotation", info.Name)
	}
	if _, ok := info.Stages[ev.Token]; !ok {
		return res, fmt.Errorf("rotation: secret %s has no version %s to rotate to; Secrets Manager creates it when a rotation starts", info.Name, ev.Token)
	}
	if info.HasStage(ev.Token, credentials.StageCurrent) {
		res.Outcome = "already done"
		return res, nil
	}
	if !info.HasStage(ev.Token, credentials.StagePending) {
		return res, fmt.Errorf("rotation: version %s of secret %s is not AWSPENDING: another rotation has replaced this one", ev.Token, info.Name)
	}
	r := &rotation{conn: conn, store: store, w: w, id: ev.SecretID, token: ev.Token, login: login, guard: guard, opts: opts, res: res}
	switch ev.Step {
	case StepCreate:
		err = r.create(ctx)
	case StepSet:
		err = r.set(ctx)
	case StepTest:
		err = r.test(ctx)
	case StepFinish:
		err = r.finish(ctx, info)
	}
	if err != nil {
		return r.res, fmt.Errorf("rotation of %s (%s, %s): %w", info.Name, w.Name, ev.Step, err)
	}
	return r.res, nil
}

type rotation struct {
	conn  *pgx.Conn
	store credentials.RotationStore
	w     *state.Role
	id    string
	token string
	login LoginFunc
	guard RotationGuard
	opts  Options
	res   RotationStepResult
}

func (r *rotation) create(ctx context.Context) error {
	cur, err := r.store.GetVersion(ctx, r.id, "", credentials.StageCurrent)
	if err != nil {
		return fmt.Errorf("read the current version: %w", err)
	}
	if p, err := r.store.GetVersion(ctx, r.id, r.token, credentials.StagePending); err == nil {
		r.res.User, r.res.Outcome = p.Secret.Username, "already done"
		return nil
	} else if !errors.Is(err, credentials.ErrNotFound) {
		return err
	}
	user, err := r.nextUser(cur.Secret.Username)
	if err != nil {
		return err
	}
	pw, err := credentials.GeneratePassword(32)
	if err != nil {
		return err
	}
	next := cur.Secret
	next.Username, next.Password = user, pw
	if err := r.store.PutVersion(ctx, r.id, r.token, credentials.StagePending, next); err != nil {
		return err
	}
	r.res.User, r.res.Outcome = user, "created"
	return nil
}

// nextUser is the user of the pending version: the role itself, or in an
// alternating rotation the role of the pair that is not current.
func (r *rotation) nextUser(current string) (string, error) {
	if r.w.Alternate == "" {
		return r.w.Name, nil
	}
	switch current {
	case r.w.Name:
		return r.w.Alternate, nil
	case r.w.Alternate:
		return r.w.Name, nil
	}
	return "", fmt.Errorf("the current version names user %q, neither %q nor %q of the alternating pair; run rolekeeper apply, or fix the secret's username", current, r.w.Name, r.w.Alternate)
}

// pending reads the pending version and checks it names a user of the role.
func (r *rotation) pending(ctx context.Context) (credentials.Version, error) {
	p, err := r.store.GetVersion(ctx, r.id, r.token, credentials.StagePending)
	if err != nil {
		if errors.Is(err, credentials.ErrNotFound) {
			return p, fmt.Errorf("the pending version has no value: run createSecret first: %w", err)
		}
		return p, err
	}
	u := p.Secret.Username
	if u == "" || (u != r.w.Name && u != r.w.Alternate) {
		return p, fmt.Errorf("the pending version names user %q, not a user of role %q", u, r.w.Name)
	}
	if u == r.guard.AdminUser {
		return p, fmt.Errorf("the pending version names %q, the user rolekeeper connects as; refusing", u)
	}
	r.res.User = u
	return p, nil
}

func (r *rotation) set(ctx context.Context) error {
	p, err := r.pending(ctx)
	if err != nil {
		return err
	}
	if r.login != nil && r.login(ctx, p.Secret.Username, p.Secret.Password) == nil {
		r.res.Outcome = "already done"
		return nil
	}
	sql, err := setPasswordSQL(p.Secret.Username, p.Secret.Password)
	if err != nil {
		return err
	}
	if err := begin(ctx, r.conn, r.opts); err != nil {
		return err
	}
	var exists bool
	if err := r.conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)", p.Secret.Username).Scan(&exists); err != nil {
		rollback(r.conn)
		return fmt.Errorf("look up role %q: %w", p.Secret.Username, err)
	}
	if !exists {
		rollback(r.conn)
		return fmt.Errorf("role %q does not exist; run rolekeeper apply first (it creates the roles of the spec)", p.Secret.Username)
	}
	if _, err := r.conn.Exec(ctx, sql); err != nil {
		rollback(r.conn)
		return fmt.Errorf("set the pending password of %q: %w; the server keeps the old one", p.Secret.Username, err)
	}
	if err := commit(ctx, r.conn); err != nil {
		return fmt.Errorf("commit the password of %q: %w; Secrets Manager retries the step", p.Secret.Username, err)
	}
	r.res.Outcome = "set"
	return nil
}

func (r *rotation) test(ctx context.Context) error {
	p, err := r.pending(ctx)
	if err != nil {
		return err
	}
	if r.login == nil {
		return errors.New("no way to log in is configured")
	}
	if err := r.login(ctx, p.Secret.Username, p.Secret.Password); err != nil {
		return fmt.Errorf("log in as %q with the pending password: %w", p.Secret.Username, err)
	}
	r.res.Outcome = "tested"
	return nil
}

func (r *rotation) finish(ctx context.Context, info credentials.SecretInfo) error {
	cur := info.VersionAt(credentials.StageCurrent)
	if err := r.store.MakeCurrent(ctx, r.id, r.token, cur); err != nil {
		return err
	}
	r.res.Outcome = "finished"
	return nil
}

func isAdminSecret(g RotationGuard, id string) bool {
	for _, a := range g.AdminSecrets {
		if credentials.SameSecret(a, id) {
			return true
		}
	}
	return false
}

// roleOfSecret finds the present auth: password role whose secret is the
// event's (by the name or ARN the event or DescribeSecret gives).
func roleOfSecret(want *state.Database, id string, info credentials.SecretInfo) *state.Role {
	for _, name := range state.SortedKeys(want.Roles) {
		w := want.Roles[name]
		if w.Absent || w.Auth != state.AuthPassword {
			continue
		}
		if s := w.PasswordSecret; s == id || s == info.Name || s == info.ARN {
			if w.Alternate != "" && name == w.Alternate+state.CloneSuffix {
				return want.Roles[w.Alternate] // the clone shares its original's secret
			}
			return w
		}
	}
	return nil
}
