package verify

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/state"
)

// ErrNotCurrentUser is a Credential's answer for the role of an
// alternating-users pair whose password the secret does not hold now:
// its check is skipped (the other role's login proves the rights).
var ErrNotCurrentUser = errors.New("not the current user of its secret")

// StoreCredential gives check each login role's password: the secret's for
// auth: password (none when store is nil), an IAM token for auth: iam from
// tokens, and no password when tokens is nil or gives none, for servers that
// trust IAM users as the sandbox does. admin names the endpoint tokens are
// signed for.
func StoreCredential(store credentials.Store, tokens credentials.TokenFunc, admin *pgx.ConnConfig) Credential {
	return func(ctx context.Context, r *state.Role) (string, bool, error) {
		switch r.Auth {
		case state.AuthPassword:
			if store == nil {
				return "", false, fmt.Errorf("no secret store configured to read the password of %q", r.Name)
			}
			v, err := store.Get(ctx, r.PasswordSecret, credentials.StageCurrent)
			if err != nil {
				return "", false, err
			}
			if r.Alternate != "" && v.Secret.Username != "" && v.Secret.Username != r.Name {
				// Alternating rotation: the secret holds the other user's password now.
				return "", false, fmt.Errorf("%w: secret %s holds the password of %q, the other user of the alternating pair, now", ErrNotCurrentUser, r.PasswordSecret, v.Secret.Username)
			}
			return v.Secret.Password, true, nil
		case state.AuthIAM:
			if tokens == nil {
				return "", true, nil
			}
			token, err := tokens(ctx, admin.Host, admin.Port, r.Name)
			return token, err == nil, err
		}
		return "", false, nil
	}
}
