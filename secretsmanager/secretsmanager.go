// Package secretsmanager is rolekeeper's side of AWS Secrets Manager: the
// store for the passwords of auth: password users (credentials.Store), and
// the admin's own secret (credentials.AdminSource), such as the one RDS
// manages for the master user.
package secretsmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/rolekeeper/rolekeeper/credentials"
)

// Store is a credentials.Store backed by AWS Secrets Manager.
type Store struct {
	Client *secretsmanager.Client
	// KMSKeyID encrypts new secrets (the account's default key when empty).
	KMSKeyID string
	// Tags are set on secrets rolekeeper creates.
	Tags map[string]string
}

// New returns a Store for the AWS configuration cfg (region,
// credentials chain and endpoint settings such as AWS_ENDPOINT_URL).
func New(cfg aws.Config) *Store {
	return &Store{Client: secretsmanager.NewFromConfig(cfg)}
}

// Describe implements credentials.Store.
func (m *Store) Describe() string { return "AWS Secrets Manager" }

// Get implements credentials.Store.
func (m *Store) Get(ctx context.Context, name, stage string) (credentials.Version, error) {
	out, err := m.Client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &name, VersionStage: &stage})
	if err != nil {
		var nf *smtypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			return credentials.Version{}, fmt.Errorf("%s %s (%s): %w", m.Describe(), name, stage, credentials.ErrNotFound)
		}
		return credentials.Version{}, fmt.Errorf("read secret %s: %w", name, err)
	}
	s, err := credentials.DecodeSecret(name, aws.ToString(out.SecretString))
	if err != nil {
		return credentials.Version{}, err
	}
	return credentials.Version{ID: aws.ToString(out.VersionId), Secret: s}, nil
}

// Create implements credentials.Store.
func (m *Store) Create(ctx context.Context, name string, s credentials.DBSecret) (credentials.Version, error) {
	raw, _ := json.Marshal(s)
	in := &secretsmanager.CreateSecretInput{
		Name:         &name,
		SecretString: aws.String(string(raw)),
		Description:  aws.String("PostgreSQL password of " + s.Username + ", managed by rolekeeper"),
	}
	if m.KMSKeyID != "" {
		in.KmsKeyId = &m.KMSKeyID
	}
	for _, k := range slices.Sorted(maps.Keys(m.Tags)) {
		in.Tags = append(in.Tags, smtypes.Tag{Key: aws.String(k), Value: aws.String(m.Tags[k])})
	}
	out, err := m.Client.CreateSecret(ctx, in)
	if err != nil {
		return credentials.Version{}, fmt.Errorf("create secret %s: %w", name, err)
	}
	return credentials.Version{ID: aws.ToString(out.VersionId), Secret: s}, nil
}

// PutPending implements credentials.Store.
func (m *Store) PutPending(ctx context.Context, name string, s credentials.DBSecret) (credentials.Version, error) {
	raw, _ := json.Marshal(s)
	out, err := m.Client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: &name, SecretString: aws.String(string(raw)), VersionStages: []string{credentials.StagePending},
	})
	if err != nil {
		return credentials.Version{}, fmt.Errorf("store pending password in secret %s: %w", name, err)
	}
	return credentials.Version{ID: aws.ToString(out.VersionId), Secret: s}, nil
}

// Promote implements credentials.Store.
func (m *Store) Promote(ctx context.Context, name, id string) error {
	in := &secretsmanager.UpdateSecretVersionStageInput{SecretId: &name, VersionStage: aws.String(credentials.StageCurrent), MoveToVersionId: &id}
	if cur, err := m.Get(ctx, name, credentials.StageCurrent); err == nil && cur.ID != id {
		in.RemoveFromVersionId = &cur.ID
	}
	if _, err := m.Client.UpdateSecretVersionStage(ctx, in); err != nil {
		return fmt.Errorf("promote the new password of secret %s: %w", name, err)
	}
	// The new value is current: it is no longer pending.
	_, err := m.Client.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: &name, VersionStage: aws.String(credentials.StagePending), RemoveFromVersionId: &id})
	if err != nil {
		return fmt.Errorf("clear the pending stage of secret %s: %w", name, err)
	}
	return nil
}

// Store is a credentials.Store.
var _ credentials.Store = (*Store)(nil)

// Loader gives the AWS configuration, loaded when a source first needs it.
type Loader func(ctx context.Context) (aws.Config, error)

// AdminSecret is the admin password kept in a Secrets Manager secret, such
// as the RDS-managed master secret {"username","password"}. It is fetched
// again after an authentication failure, since RDS rotates it.
type AdminSecret struct {
	// ID is the secret's name or ARN.
	ID  string
	AWS Loader
}

var _ credentials.AdminSource = AdminSecret{}

// Fetch implements credentials.AdminSource.
func (a AdminSecret) Fetch(ctx context.Context, _ string, _ uint16, _ string) (credentials.Credential, error) {
	cfg, err := a.AWS(ctx)
	if err != nil {
		return credentials.Credential{}, fmt.Errorf("read the admin secret %s: load the AWS configuration: %w", a.ID, err)
	}
	out, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &a.ID})
	if err != nil {
		return credentials.Credential{}, fmt.Errorf("read the admin secret %s: %w", a.ID, err)
	}
	return credentials.ParseCredential("secret "+a.ID, aws.ToString(out.SecretString))
}

// Refetchable implements credentials.AdminSource: RDS rotates its secret.
func (a AdminSecret) Refetchable() bool { return true }

// RequiresTLS implements credentials.AdminSource.
func (a AdminSecret) RequiresTLS() bool { return false }

// Describe implements credentials.AdminSource.
func (a AdminSecret) Describe() string { return "secret " + a.ID }

// DescribeSecret implements credentials.RotationStore.
func (m *Store) DescribeSecret(ctx context.Context, id string) (credentials.SecretInfo, error) {
	out, err := m.Client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &id})
	if err != nil {
		var nf *smtypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			return credentials.SecretInfo{}, fmt.Errorf("%s %s: %w", m.Describe(), id, credentials.ErrNotFound)
		}
		return credentials.SecretInfo{}, fmt.Errorf("describe secret %s: %w", id, err)
	}
	return credentials.SecretInfo{
		Name: aws.ToString(out.Name), ARN: aws.ToString(out.ARN),
		RotationEnabled: aws.ToBool(out.RotationEnabled), Stages: out.VersionIdsToStages,
	}, nil
}

// GetVersion implements credentials.RotationStore.
func (m *Store) GetVersion(ctx context.Context, id, versionID, stage string) (credentials.Version, error) {
	in := &secretsmanager.GetSecretValueInput{SecretId: &id, VersionStage: &stage}
	if versionID != "" {
		in.VersionId = &versionID
	}
	out, err := m.Client.GetSecretValue(ctx, in)
	if err != nil {
		var nf *smtypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			return credentials.Version{}, fmt.Errorf("%s %s (version %s, %s): %w", m.Describe(), id, versionID, stage, credentials.ErrNotFound)
		}
		return credentials.Version{}, fmt.Errorf("read secret %s (version %s, %s): %w", id, versionID, stage, err)
	}
	s, err := credentials.DecodeSecret(id, aws.ToString(out.SecretString))
	if err != nil {
		return credentials.Version{}, err
	}
	return credentials.Version{ID: aws.ToString(out.VersionId), Secret: s}, nil
}

// PutVersion implements credentials.RotationStore: PutSecretValue with
// the version id as ClientRequestToken, which Secrets Manager makes
// idempotent.
func (m *Store) PutVersion(ctx context.Context, id, versionID, stage string, s credentials.DBSecret) error {
	raw, _ := json.Marshal(s)
	_, err := m.Client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: &id, ClientRequestToken: &versionID, SecretString: aws.String(string(raw)), VersionStages: []string{stage},
	})
	if err != nil {
		return fmt.Errorf("store version %s of secret %s as %s: %w", versionID, id, stage, err)
	}
	return nil
}

// MakeCurrent implements credentials.RotationStore, as AWS's rotation
// function template finishes: UpdateSecretVersionStage moves AWSCURRENT
// (Secrets Manager gives the old version AWSPREVIOUS), then AWSPENDING is
// taken off the new version.
func (m *Store) MakeCurrent(ctx context.Context, id, versionID, from string) error {
	in := &secretsmanager.UpdateSecretVersionStageInput{SecretId: &id, VersionStage: aws.String(credentials.StageCurrent), MoveToVersionId: &versionID}
	if from != "" {
		in.RemoveFromVersionId = &from
	}
	if _, err := m.Client.UpdateSecretVersionStage(ctx, in); err != nil {
		return fmt.Errorf("make version %s of secret %s current: %w", versionID, id, err)
	}
	_, err := m.Client.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: &id, VersionStage: aws.String(credentials.StagePending), RemoveFromVersionId: &versionID})
	if err != nil {
		return fmt.Errorf("clear the pending stage of version %s of secret %s: %w", versionID, id, err)
	}
	return nil
}

// Store takes part in rotations.
var _ credentials.RotationStore = (*Store)(nil)
