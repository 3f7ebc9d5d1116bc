// Package ssm reads the admin password from an AWS Systems Manager
// parameter: a SecureString holding a password, or the JSON of a secret
// through a /aws/reference/secretsmanager/ reference (as template-infra's
// DB_PASSWORD_PARAM_NAME does). It implements credentials.AdminSource.
package ssm

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/rolekeeper/rolekeeper/credentials"
)

// AdminParameter is the admin password kept in an SSM parameter.
type AdminParameter struct {
	// Name is the parameter's name.
	Name string
	// AWS gives the AWS configuration, loaded when first needed.
	AWS func(ctx context.Context) (aws.Config, error)
}

var _ credentials.AdminSource = AdminParameter{}

// Fetch implements credentials.AdminSource.
func (a AdminParameter) Fetch(ctx context.Context, _ string, _ uint16, _ string) (credentials.Credential, error) {
	cfg, err := a.AWS(ctx)
	if err != nil {
		return credentials.Credential{}, fmt.Errorf("read the admin parameter %s: load the AWS configuration: %w", a.Name, err)
	}
	out, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: &a.Name, WithDecryption: aws.Bool(true)})
	if err != nil {
		return credentials.Credential{}, fmt.Errorf("read the admin parameter %s: %w", a.Name, err)
	}
	return credentials.ParseCredential("parameter "+a.Name, aws.ToString(out.Parameter.Value))
}

// Refetchable implements credentials.AdminSource: the parameter may
// reference a rotated secret.
func (a AdminParameter) Refetchable() bool { return true }

// RequiresTLS implements credentials.AdminSource.
func (a AdminParameter) RequiresTLS() bool { return false }

// Describe implements credentials.AdminSource.
func (a AdminParameter) Describe() string { return "parameter " + a.Name }
