// Package ssm reads the admin password from an AWS Systems Manager
// parameter: a SecureString holding a password, or the JSON of a secret
// through a /aws/reference/secretsmanager/ reference (as template-infra's
// DB_PASSWORD_PARAM_NAME does). It implements credentials.AdminSource.
package ssm

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rolekeeper/rolekeeper/awscall"
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
	c, err := awscall.New(cfg, awscall.SSM)
	if err != nil {
		return credentials.Credential{}, fmt.Errorf("read the admin parameter %s: %w", a.Name, err)
	}
	var out struct {
		Parameter struct {
			Value *string
		}
	}
	in := map[string]any{"Name": a.Name, "WithDecryption": true}
	if err := c.JSON(ctx, "AmazonSSM.GetParameter", in, &out); err != nil {
		return credentials.Credential{}, fmt.Errorf("read the admin parameter %s: %w%s", a.Name, err, hint(err))
	}
	if out.Parameter.Value == nil {
		return credentials.Credential{}, fmt.Errorf("read the admin parameter %s: SSM returned no value", a.Name)
	}
	return credentials.ParseCredential("parameter "+a.Name, *out.Parameter.Value)
}

// hint says what to do for the errors a user can fix.
func hint(err error) string {
	switch {
	case awscall.IsCode(err, "ParameterNotFound", "ParameterVersionNotFound"):
		return " (check the parameter's name and the region; a secret is read through /aws/reference/secretsmanager/NAME)"
	case awscall.IsCode(err, "AccessDeniedException", "AccessDenied"):
		return " (the caller needs ssm:GetParameter on the parameter, and kms:Decrypt on its key for a SecureString)"
	}
	return ""
}

// Refetchable implements credentials.AdminSource: the parameter may
// reference a rotated secret.
func (a AdminParameter) Refetchable() bool { return true }

// RequiresTLS implements credentials.AdminSource.
func (a AdminParameter) RequiresTLS() bool { return false }

// Describe implements credentials.AdminSource.
func (a AdminParameter) Describe() string { return "parameter " + a.Name }
