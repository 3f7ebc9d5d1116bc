// Package rdsauth signs RDS IAM database authentication tokens locally
// (no AWS call): for the admin connection (credentials.AdminSource) and for
// check's logins as auth: iam users (credentials.TokenFunc).
package rdsauth

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"

	"github.com/rolekeeper/rolekeeper/credentials"
)

// Token signs an RDS IAM authentication token for user at host:port.
func Token(ctx context.Context, cfg aws.Config, host string, port uint16, user string) (string, error) {
	if cfg.Region == "" {
		return "", errors.New("IAM authentication needs an AWS region (AWS_REGION)")
	}
	token, err := auth.BuildAuthToken(ctx, fmt.Sprintf("%s:%d", host, port), cfg.Region, user, cfg.Credentials)
	if err != nil {
		return "", fmt.Errorf("sign an IAM authentication token for %s: %w", user, err)
	}
	return token, nil
}

// Admin is the admin connection authenticated with an IAM token.
type Admin struct {
	// AWS gives the AWS configuration, loaded when first needed.
	AWS func(ctx context.Context) (aws.Config, error)
}

var _ credentials.AdminSource = Admin{}

// Fetch implements credentials.AdminSource.
func (a Admin) Fetch(ctx context.Context, host string, port uint16, user string) (credentials.Credential, error) {
	cfg, err := a.AWS(ctx)
	if err != nil {
		return credentials.Credential{}, fmt.Errorf("sign the admin's IAM token: load the AWS configuration: %w", err)
	}
	token, err := Token(ctx, cfg, host, port, user)
	if err != nil {
		return credentials.Credential{}, err
	}
	return credentials.Credential{Password: token}, nil
}

// Refetchable implements credentials.AdminSource: a token is signed anew
// for each connection anyway.
func (a Admin) Refetchable() bool { return false }

// RequiresTLS implements credentials.AdminSource: RDS accepts IAM tokens
// only over TLS.
func (a Admin) RequiresTLS() bool { return true }

// Describe implements credentials.AdminSource.
func (a Admin) Describe() string { return "an IAM token" }

// Tokens returns the TokenFunc check uses for auth: iam users. With no AWS
// region configured it gives no token (servers that trust IAM users
// without one, as the sandbox does); a configuration that cannot be loaded
// is an error. The configuration is loaded once, when first needed.
func Tokens(load func(ctx context.Context) (aws.Config, error)) credentials.TokenFunc {
	var once sync.Once
	var cfg aws.Config
	var cfgErr error
	return func(ctx context.Context, host string, port uint16, user string) (string, error) {
		once.Do(func() { cfg, cfgErr = load(ctx) })
		if cfgErr != nil {
			return "", fmt.Errorf("sign an IAM token for %s: load the AWS configuration: %w", user, cfgErr)
		}
		if cfg.Region == "" {
			return "", nil
		}
		return Token(ctx, cfg, host, port, user)
	}
}
