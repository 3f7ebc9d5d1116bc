// Package ops is rolekeeper's use-case layer: the one place where both
// front doors (the CLI in cmd/rolekeeper and the Lambda handler in lambda)
// get the jobs they serve wired from the engine packages and the outside
// systems. Front doors parse their input and render their output; what a
// job does, and with which credentials, is decided here once.
package ops

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/dirstore"
	"github.com/rolekeeper/rolekeeper/rdsauth"
	"github.com/rolekeeper/rolekeeper/secretsmanager"
	"github.com/rolekeeper/rolekeeper/ssm"
)

// AWSLoader gives the AWS configuration (region, credentials chain,
// endpoint variables). Sources call it only when they first need AWS.
type AWSLoader func(ctx context.Context) (aws.Config, error)

// AdminCredential says where the admin password comes from: the first of a
// Secrets Manager secret, an SSM parameter, or an IAM token. All empty:
// the DSN or PGPASSWORD (nil source).
type AdminCredential struct {
	Secret       string
	SSMParameter string
	IAM          bool
}

// SecretIDs names the admin's own secret as given (a Secrets Manager ID or
// ARN, an SSM parameter, which may reference a secret): no user's
// password_secret may be one of them.
func (a AdminCredential) SecretIDs() []string {
	var ids []string
	for _, id := range []string{a.Secret, a.SSMParameter} {
		if id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// Source returns the admin password's source, nil for the DSN.
func (a AdminCredential) Source(load AWSLoader) credentials.AdminSource {
	switch {
	case a.Secret != "":
		return secretsmanager.AdminSecret{ID: a.Secret, AWS: secretsmanager.Loader(load)}
	case a.SSMParameter != "":
		return ssm.AdminParameter{Name: a.SSMParameter, AWS: load}
	case a.IAM:
		return rdsauth.Admin{AWS: load}
	}
	return nil
}

// SecretStore returns where password users' secrets live: the directory
// when dir is given, else Secrets Manager when an AWS region is
// configured, else nil (password roles then are a plan problem). An AWS
// configuration that cannot be loaded is an error, never taken for "no
// AWS".
func SecretStore(ctx context.Context, dir string, load AWSLoader) (credentials.Store, error) {
	if dir != "" {
		return dirstore.Store{Dir: dir}, nil
	}
	cfg, err := load(ctx)
	if err != nil {
		return nil, fmt.Errorf("load the AWS configuration (Secrets Manager keeps password users' secrets): %w; fix it, or keep secrets in a directory with --secrets-dir", err)
	}
	if cfg.Region == "" {
		return nil, nil
	}
	return secretsmanager.New(cfg), nil
}

// Tokens returns how check signs IAM tokens for auth: iam users.
func Tokens(load AWSLoader) credentials.TokenFunc { return rdsauth.Tokens(load) }

// LoadOnce returns a loader that loads the AWS configuration once and
// then gives the same configuration (its credentials cache refreshes
// itself): the admin's secret, the secret store and IAM tokens of one run
// or one Lambda execution environment share it. A failed load is not
// kept, so the next caller tries again.
func LoadOnce(load AWSLoader) AWSLoader {
	var mu sync.Mutex
	var cfg *aws.Config
	return func(ctx context.Context) (aws.Config, error) {
		mu.Lock()
		defer mu.Unlock()
		if cfg != nil {
			return *cfg, nil
		}
		c, err := load(ctx)
		if err != nil {
			return aws.Config{}, err
		}
		cfg = &c
		return c, nil
	}
}
