package credentials

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
)

// SecretsManager is a Store backed by AWS Secrets Manager.
type SecretsManager struct {
	Client *secretsmanager.Client
	// KMSKeyID encrypts new secrets (the account's default key when empty).
	KMSKeyID string
	// Tags are set on secrets rolekeeper creates.
	Tags map[string]string
}

// NewSecretsManager returns a Store for the AWS configuration cfg (region,
// credentials chain and endpoint settings such as AWS_ENDPOINT_URL).
func NewSecretsManager(cfg aws.Config) *SecretsManager {
	return &SecretsManager{Client: secretsmanager.NewFromConfig(cfg)}
}

// Describe implements Store.
func (m *SecretsManager) Describe() string { return "AWS Secrets Manager" }

// Get implements Store.
func (m *SecretsManager) Get(ctx context.Context, name, stage string) (Version, error) {
	out, err := m.Client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &name, VersionStage: &stage})
	if err != nil {
		var nf *smtypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			return Version{}, fmt.Errorf("%s %s (%s): %w", m.Describe(), name, stage, ErrNotFound)
		}
		return Version{}, fmt.Errorf("read secret %s: %w", name, err)
	}
	s, err := decodeSecret(name, aws.ToString(out.SecretString))
	if err != nil {
		return Version{}, err
	}
	return Version{ID: aws.ToString(out.VersionId), Secret: s}, nil
}

// Create implements Store.
func (m *SecretsManager) Create(ctx context.Context, name string, s DBSecret) (Version, error) {
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
		return Version{}, fmt.Errorf("create secret %s: %w", name, err)
	}
	return Version{ID: aws.ToString(out.VersionId), Secret: s}, nil
}

// PutPending implements Store.
func (m *SecretsManager) PutPending(ctx context.Context, name string, s DBSecret) (Version, error) {
	raw, _ := json.Marshal(s)
	out, err := m.Client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: &name, SecretString: aws.String(string(raw)), VersionStages: []string{StagePending},
	})
	if err != nil {
		return Version{}, fmt.Errorf("store pending password in secret %s: %w", name, err)
	}
	return Version{ID: aws.ToString(out.VersionId), Secret: s}, nil
}

// Promote implements Store.
func (m *SecretsManager) Promote(ctx context.Context, name, id string) error {
	in := &secretsmanager.UpdateSecretVersionStageInput{SecretId: &name, VersionStage: aws.String(StageCurrent), MoveToVersionId: &id}
	if cur, err := m.Get(ctx, name, StageCurrent); err == nil && cur.ID != id {
		in.RemoveFromVersionId = &cur.ID
	}
	if _, err := m.Client.UpdateSecretVersionStage(ctx, in); err != nil {
		return fmt.Errorf("promote the new password of secret %s: %w", name, err)
	}
	// The new value is current: it is no longer pending.
	_, err := m.Client.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: &name, VersionStage: aws.String(StagePending), RemoveFromVersionId: &id})
	if err != nil {
		return fmt.Errorf("clear the pending stage of secret %s: %w", name, err)
	}
	return nil
}
