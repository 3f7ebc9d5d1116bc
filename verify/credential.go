package verify

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/state"
)

// StoreCredential gives check each login role's password: the secret's for
// auth: password (none when store is nil), a locally signed IAM token for
// auth: iam when the AWS configuration has a region, and otherwise no
// password, for servers that trust IAM users as the sandbox does. admin
// names the endpoint tokens are signed for. The AWS configuration is
// loaded once, when first needed.
func StoreCredential(store credentials.Store, loadAWS func(context.Context) (aws.Config, error), admin *pgx.ConnConfig) Credential {
	var once sync.Once
	var cfg aws.Config
	var cfgErr error
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
			return v.Secret.Password, true, nil
		case state.AuthIAM:
			once.Do(func() { cfg, cfgErr = loadAWS(ctx) })
			if cfgErr != nil || cfg.Region == "" {
				return "", true, nil
			}
			token, err := credentials.IAMToken(ctx, cfg, admin.Host, admin.Port, r.Name)
			return token, err == nil, err
		}
		return "", false, nil
	}
}
