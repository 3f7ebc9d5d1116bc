package awstest_test

// Conformance of rolekeeper's hand-written AWS clients (package awscall,
// used by secretsmanager, ssm and lambdaapi) and of this in-test server
// with the generated AWS SDK clients, which the binary no longer links
// (scripts/check-deps.sh): they are test-only dependencies here.
//
// For each operation rolekeeper calls, the generated client and ours are
// run against awstest servers in the same state, and the requests the
// servers recorded must be equivalent (method, escaped path, query,
// X-Amz-Target, Content-Type, the headers that carry meaning, the JSON
// body compared as parsed JSON, a valid SigV4 signature for the same
// service and region), and both clients must read the same responses to
// the same values, errors included. That the generated clients parse
// every awstest response without error is what makes awstest faithful to
// the SDK's deserialisers.
//
// The shapes mirror the SDK's own model files in the module cache: the
// generated request and response snapshots
// (github.com/aws/aws-sdk-go-v2/service/<service>@<version>/request_snapshot/<Operation>.request.snap,
// response_snapshot/<Operation>.response.snap) and schemas/schemas.go of
// secretsmanager@v1.50.12, ssm@v1.82.1 and lambda@v1.114.4; the error
// code rules mirror smithy-go@v1.28.9
// transport/http/protocol/internal/json/error.go.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	smsdk "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	ssmsdk "github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/rolekeeper/rolekeeper/awscall"
	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/internal/awstest"
	"github.com/rolekeeper/rolekeeper/lambdaapi"
	"github.com/rolekeeper/rolekeeper/secretsmanager"
	"github.com/rolekeeper/rolekeeper/ssm"
)

// meaningfulHeaders are the request headers an operation's input binds
// (lambda Invoke: X-Amz-Invocation-Type, X-Amz-Log-Type,
// X-Amz-Client-Context, X-Amz-Tenant-Id, X-Amz-Durable-Execution-Name, in
// lambda@v1.114.4/request_snapshot/Invoke.request.snap) or that select
// the operation and its protocol. An absent header must be absent in both.
var meaningfulHeaders = []string{"Content-Type", "X-Amz-Target", "X-Amz-Invocation-Type", "X-Amz-Log-Type",
	"X-Amz-Client-Context", "X-Amz-Tenant-Id", "X-Amz-Durable-Execution-Name"}

// uuid4 is the shape of the SDK's own idempotency tokens (its default
// IdempotencyTokenProvider makes random version 4 UUIDs).
var uuid4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// token is an IdempotencyTokenProvider giving the generated client the
// token our client chose, so that both calls are the same request (and
// the second is the idempotent repeat AWS ignores).
type token string

func (t token) GetIdempotencyToken() (string, error) { return string(t), nil }

// since returns the requests srv received after the first n.
func since(srv *awstest.Server, n int) []awstest.Request { return srv.Requests()[n:] }

// credentialScope is the Authorization header's scope without its date:
// key id, region, service.
func credentialScope(t *testing.T, r awstest.Request) string {
	t.Helper()
	auth := r.Header.Get("Authorization")
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		t.Fatalf("%s %s: not signed: %q", r.Method, r.Path, auth)
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		t.Fatalf("bad credential scope %q", cred)
	}
	return parts[0] + "/" + parts[2] + "/" + parts[3]
}

// sameRequests asserts that ours and the SDK's requests are equivalent,
// pairwise and in order, and validly signed.
func sameRequests(t *testing.T, what string, sdk, ours []awstest.Request) {
	t.Helper()
	if len(sdk) != len(ours) || len(sdk) == 0 {
		t.Fatalf("%s: the SDK sent %d requests, ours %d", what, len(sdk), len(ours))
	}
	for i := range sdk {
		a, b := sdk[i], ours[i]
		if a.SignatureError != "" || b.SignatureError != "" {
			t.Errorf("%s #%d: signature refused: SDK %q, ours %q", what, i, a.SignatureError, b.SignatureError)
		}
		if sa, sb := credentialScope(t, a), credentialScope(t, b); sa != sb {
			t.Errorf("%s #%d: signed for %s by the SDK, %s by ours", what, i, sa, sb)
		}
		if a.Method != b.Method || a.Path != b.Path || a.RawQuery != b.RawQuery {
			t.Errorf("%s #%d: SDK %s %s?%s, ours %s %s?%s", what, i, a.Method, a.Path, a.RawQuery, b.Method, b.Path, b.RawQuery)
		}
		for _, h := range meaningfulHeaders {
			if va, vb := a.Header.Values(h), b.Header.Values(h); !slices.Equal(va, vb) {
				t.Errorf("%s #%d: header %s: SDK %q, ours %q", what, i, h, va, vb)
			}
		}
		if strings.HasPrefix(a.Header.Get("Content-Type"), "application/x-amz-json") {
			var ja, jb any
			if err := json.Unmarshal(a.Body, &ja); err != nil {
				t.Fatalf("%s #%d: the SDK's body is not JSON: %v", what, i, err)
			}
			if err := json.Unmarshal(b.Body, &jb); err != nil {
				t.Fatalf("%s #%d: our body is not JSON: %v", what, i, err)
			}
			if !reflect.DeepEqual(ja, jb) {
				t.Errorf("%s #%d: body:\n SDK  %s\n ours %s", what, i, a.Body, b.Body)
			}
		} else if !bytes.Equal(a.Body, b.Body) {
			t.Errorf("%s #%d: payload: SDK %q, ours %q", what, i, a.Body, b.Body)
		}
	}
}

// bodyField returns a string field of a recorded JSON request.
func bodyField(t *testing.T, r awstest.Request, k string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatal(err)
	}
	v, _ := m[k].(string)
	return v
}

// sameAPIError asserts that the SDK's and our error are the same service
// error (code and message), and returns the SDK's.
func sameAPIError(t *testing.T, what string, sdkErr, ourErr error, code string) smithy.APIError {
	t.Helper()
	var se smithy.APIError
	var oe *awscall.APIError
	if !errors.As(sdkErr, &se) || !errors.As(ourErr, &oe) {
		t.Fatalf("%s: not API errors: SDK %v, ours %v", what, sdkErr, ourErr)
	}
	// An unmodelled error without a message gets the message
	// "UnknownError" from the SDK (deserializeError in smithy-go's
	// awsjson.go and restjson1.go), a placeholder ours leaves out.
	sm := se.ErrorMessage()
	if sm == "UnknownError" {
		sm = ""
	}
	if se.ErrorCode() != code || oe.ErrorCode() != code || sm != oe.ErrorMessage() {
		t.Errorf("%s: SDK %s %q, ours %s %q (want %s)", what, se.ErrorCode(), se.ErrorMessage(), oe.ErrorCode(), oe.ErrorMessage(), code)
	}
	// The SDK knows the fault of the errors its model declares only.
	if se.ErrorFault() != smithy.FaultUnknown && se.ErrorFault() != oe.ErrorFault() {
		t.Errorf("%s: fault: SDK %v, ours %v", what, se.ErrorFault(), oe.ErrorFault())
	}
	return se
}

const (
	secretName = "app/reporting"
	firstToken = "11111111-1111-4111-8111-111111111111"
	nextToken  = "22222222-2222-4222-8222-222222222222"
)

var (
	firstSecret = credentials.DBSecret{Engine: "postgres", Host: "db", Port: 5432, Username: "reporting", Password: "first", DBName: "app"}
	nextSecret  = credentials.DBSecret{Engine: "postgres", Host: "db", Port: 5432, Username: "reporting", Password: "second", DBName: "app"}
)

func secretJSON(s credentials.DBSecret) string { b, _ := json.Marshal(s); return string(b) }

// seeded returns a server holding secretName with version firstToken
// current and nextToken pending, made through the generated client with
// fixed tokens, so that two servers seeded so are in the same state.
func seeded(t *testing.T) *awstest.Server {
	t.Helper()
	srv := awstest.New(t)
	ctx := context.Background()
	c := smsdk.NewFromConfig(srv.Config())
	if _, err := c.CreateSecret(ctx, &smsdk.CreateSecretInput{Name: aws.String(secretName), SecretString: aws.String(secretJSON(firstSecret)),
		ClientRequestToken: aws.String(firstToken)}); err != nil {
		t.Fatalf("seed CreateSecret: %v", err)
	}
	if _, err := c.PutSecretValue(ctx, &smsdk.PutSecretValueInput{SecretId: aws.String(secretName), SecretString: aws.String(secretJSON(nextSecret)),
		ClientRequestToken: aws.String(nextToken), VersionStages: []string{credentials.StagePending}}); err != nil {
		t.Fatalf("seed PutSecretValue: %v", err)
	}
	return srv
}

// seededClients returns a seeded server, its configuration and both clients of it.
func seededClients(t *testing.T) (*awstest.Server, aws.Config, *smsdk.Client, *secretsmanager.Store) {
	srv := seeded(t)
	cfg := srv.Config()
	return srv, cfg, smsdk.NewFromConfig(cfg), secretsmanager.New(cfg)
}

func TestConformanceSecretsManagerReads(t *testing.T) {
	ctx := context.Background()
	srv, cfg, sdk, store := seededClients(t)

	// GetSecretValue by stage (Store.Get).
	n := len(srv.Requests())
	got, err := store.Get(ctx, secretName, credentials.StagePending)
	if err != nil {
		t.Fatal(err)
	}
	m := len(srv.Requests())
	out, err := sdk.GetSecretValue(ctx, &smsdk.GetSecretValueInput{SecretId: aws.String(secretName), VersionStage: aws.String(credentials.StagePending)})
	if err != nil {
		t.Fatalf("the SDK cannot read awstest's GetSecretValue: %v", err)
	}
	sameRequests(t, "GetSecretValue by stage", since(srv, m), srv.Requests()[n:m])
	if got.ID != aws.ToString(out.VersionId) || got.ID != nextToken || secretJSON(got.Secret) != aws.ToString(out.SecretString) ||
		!slices.Contains(out.VersionStages, credentials.StagePending) || aws.ToString(out.Name) != secretName {
		t.Errorf("GetSecretValue: ours %+v, SDK %s %q %v", got, aws.ToString(out.VersionId), aws.ToString(out.SecretString), out.VersionStages)
	}

	// GetSecretValue by version and stage (Store.GetVersion).
	n = len(srv.Requests())
	got, err = store.GetVersion(ctx, secretName, firstToken, credentials.StageCurrent)
	if err != nil {
		t.Fatal(err)
	}
	m = len(srv.Requests())
	out, err = sdk.GetSecretValue(ctx, &smsdk.GetSecretValueInput{SecretId: aws.String(secretName), VersionId: aws.String(firstToken),
		VersionStage: aws.String(credentials.StageCurrent)})
	if err != nil {
		t.Fatal(err)
	}
	sameRequests(t, "GetSecretValue by version", since(srv, m), srv.Requests()[n:m])
	if got.ID != aws.ToString(out.VersionId) || secretJSON(got.Secret) != aws.ToString(out.SecretString) {
		t.Errorf("GetSecretValue by version: ours %+v, SDK %s", got, aws.ToString(out.VersionId))
	}

	// GetSecretValue of the current value (the admin secret).
	load := func(context.Context) (aws.Config, error) { return cfg, nil }
	n = len(srv.Requests())
	admin, err := secretsmanager.AdminSecret{ID: secretName, AWS: load}.Fetch(ctx, "db", 5432, "")
	if err != nil {
		t.Fatal(err)
	}
	m = len(srv.Requests())
	out, err = sdk.GetSecretValue(ctx, &smsdk.GetSecretValueInput{SecretId: aws.String(secretName)})
	if err != nil {
		t.Fatal(err)
	}
	sameRequests(t, "GetSecretValue (admin secret)", since(srv, m), srv.Requests()[n:m])
	if !strings.Contains(aws.ToString(out.SecretString), `"password":"`+admin.Password+`"`) || admin.User != firstSecret.Username {
		t.Errorf("admin secret: ours %s/%s, SDK %s", admin.User, admin.Password, aws.ToString(out.SecretString))
	}

	// DescribeSecret.
	n = len(srv.Requests())
	info, err := store.DescribeSecret(ctx, secretName)
	if err != nil {
		t.Fatal(err)
	}
	m = len(srv.Requests())
	desc, err := sdk.DescribeSecret(ctx, &smsdk.DescribeSecretInput{SecretId: aws.String(secretName)})
	if err != nil {
		t.Fatalf("the SDK cannot read awstest's DescribeSecret: %v", err)
	}
	sameRequests(t, "DescribeSecret", since(srv, m), srv.Requests()[n:m])
	if info.Name != aws.ToString(desc.Name) || info.ARN != aws.ToString(desc.ARN) || info.RotationEnabled != aws.ToBool(desc.RotationEnabled) ||
		!reflect.DeepEqual(info.Stages, desc.VersionIdsToStages) || len(info.Stages) != 2 {
		t.Errorf("DescribeSecret: ours %+v, SDK %s %s %v %v", info, aws.ToString(desc.Name), aws.ToString(desc.ARN), aws.ToBool(desc.RotationEnabled), desc.VersionIdsToStages)
	}
}

func TestConformanceSecretsManagerWrites(t *testing.T) {
	ctx := context.Background()

	// CreateSecret with a KMS key and tags (Store.Create); the SDK sends
	// the same call again with our token, which AWS ignores.
	srv := awstest.New(t)
	cfg := srv.Config()
	sdk := smsdk.NewFromConfig(cfg)
	store := secretsmanager.New(cfg)
	store.KMSKeyID = "alias/rolekeeper"
	store.Tags = map[string]string{"team": "data", "app": "reporting"}
	created, err := store.Create(ctx, secretName, firstSecret)
	if err != nil {
		t.Fatal(err)
	}
	ours := srv.Requests()
	tok := bodyField(t, ours[0], "ClientRequestToken")
	if !uuid4.MatchString(tok) || created.ID != tok {
		t.Errorf("CreateSecret: our token %q is not a version 4 UUID as the SDK's, or is not the version id %q", tok, created.ID)
	}
	withToken := func(o *smsdk.Options) { o.IdempotencyTokenProvider = token(tok) }
	cout, err := sdk.CreateSecret(ctx, &smsdk.CreateSecretInput{Name: aws.String(secretName), SecretString: aws.String(secretJSON(firstSecret)),
		Description: aws.String("PostgreSQL password of reporting, managed by rolekeeper"), KmsKeyId: aws.String("alias/rolekeeper"),
		Tags: []smtypes.Tag{{Key: aws.String("app"), Value: aws.String("reporting")}, {Key: aws.String("team"), Value: aws.String("data")}}}, withToken)
	if err != nil {
		t.Fatalf("the SDK's CreateSecret: %v", err)
	}
	sameRequests(t, "CreateSecret", since(srv, len(ours)), ours)
	if aws.ToString(cout.VersionId) != created.ID {
		t.Errorf("CreateSecret: version %s (SDK), %s (ours)", aws.ToString(cout.VersionId), created.ID)
	}

	// PutSecretValue staged AWSPENDING with a fresh token (Store.PutPending).
	n := len(srv.Requests())
	pending, err := store.PutPending(ctx, secretName, nextSecret)
	if err != nil {
		t.Fatal(err)
	}
	ours = since(srv, n)
	tok = bodyField(t, ours[0], "ClientRequestToken")
	if !uuid4.MatchString(tok) || pending.ID != tok {
		t.Errorf("PutSecretValue: our token %q is not a version 4 UUID, or not the version id %q", tok, pending.ID)
	}
	m := len(srv.Requests())
	pout, err := sdk.PutSecretValue(ctx, &smsdk.PutSecretValueInput{SecretId: aws.String(secretName), SecretString: aws.String(secretJSON(nextSecret)),
		VersionStages: []string{credentials.StagePending}}, func(o *smsdk.Options) { o.IdempotencyTokenProvider = token(tok) })
	if err != nil {
		t.Fatalf("the SDK's PutSecretValue: %v", err)
	}
	sameRequests(t, "PutSecretValue (pending)", since(srv, m), ours)
	if aws.ToString(pout.VersionId) != pending.ID || !slices.Equal(pout.VersionStages, []string{credentials.StagePending}) {
		t.Errorf("PutSecretValue: SDK %s %v, ours %s", aws.ToString(pout.VersionId), pout.VersionStages, pending.ID)
	}

	// PutSecretValue with a given token (Store.PutVersion, the rotation's createSecret).
	n = len(srv.Requests())
	if err := store.PutVersion(ctx, secretName, nextToken, credentials.StagePending, nextSecret); err != nil {
		t.Fatal(err)
	}
	m = len(srv.Requests())
	if _, err := sdk.PutSecretValue(ctx, &smsdk.PutSecretValueInput{SecretId: aws.String(secretName), ClientRequestToken: aws.String(nextToken),
		SecretString: aws.String(secretJSON(nextSecret)), VersionStages: []string{credentials.StagePending}}); err != nil {
		t.Fatal(err)
	}
	sameRequests(t, "PutSecretValue (version)", since(srv, m), srv.Requests()[n:m])

	// UpdateSecretVersionStage: Store.Promote (GetSecretValue, then
	// AWSCURRENT moved, AWSPENDING taken off) and Store.MakeCurrent, each
	// against a server in the same state as the SDK's.
	a, b := seeded(t), seeded(t)
	n, m = len(a.Requests()), len(b.Requests())
	if err := secretsmanager.New(b.Config()).Promote(ctx, secretName, nextToken); err != nil {
		t.Fatal(err)
	}
	sdkA := smsdk.NewFromConfig(a.Config())
	if _, err := sdkA.GetSecretValue(ctx, &smsdk.GetSecretValueInput{SecretId: aws.String(secretName), VersionStage: aws.String(credentials.StageCurrent)}); err != nil {
		t.Fatal(err)
	}
	if _, err := sdkA.UpdateSecretVersionStage(ctx, &smsdk.UpdateSecretVersionStageInput{SecretId: aws.String(secretName),
		VersionStage: aws.String(credentials.StageCurrent), MoveToVersionId: aws.String(nextToken), RemoveFromVersionId: aws.String(firstToken)}); err != nil {
		t.Fatalf("the SDK cannot read awstest's UpdateSecretVersionStage: %v", err)
	}
	if _, err := sdkA.UpdateSecretVersionStage(ctx, &smsdk.UpdateSecretVersionStageInput{SecretId: aws.String(secretName),
		VersionStage: aws.String(credentials.StagePending), RemoveFromVersionId: aws.String(nextToken)}); err != nil {
		t.Fatal(err)
	}
	sameRequests(t, "Promote", since(a, n), since(b, m))
	if sa, sb := a.Stages(secretName), b.Stages(secretName); !reflect.DeepEqual(sa, sb) || !slices.Equal(sb[nextToken], []string{credentials.StageCurrent}) {
		t.Errorf("Promote: stages %v through the SDK, %v through ours", sa, sb)
	}

	a, b = seeded(t), seeded(t)
	n, m = len(a.Requests()), len(b.Requests())
	if err := secretsmanager.New(b.Config()).MakeCurrent(ctx, secretName, nextToken, firstToken); err != nil {
		t.Fatal(err)
	}
	sdkA = smsdk.NewFromConfig(a.Config())
	for _, in := range []*smsdk.UpdateSecretVersionStageInput{
		{SecretId: aws.String(secretName), VersionStage: aws.String(credentials.StageCurrent), MoveToVersionId: aws.String(nextToken), RemoveFromVersionId: aws.String(firstToken)},
		{SecretId: aws.String(secretName), VersionStage: aws.String(credentials.StagePending), RemoveFromVersionId: aws.String(nextToken)},
	} {
		if _, err := sdkA.UpdateSecretVersionStage(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	sameRequests(t, "MakeCurrent", since(a, n), since(b, m))
	if sa, sb := a.Stages(secretName), b.Stages(secretName); !reflect.DeepEqual(sa, sb) {
		t.Errorf("MakeCurrent: stages %v through the SDK, %v through ours", sa, sb)
	}
}

// fastRetries is a standard retryer of 5 attempts without backoff,
// bounded to 3 by RetryMaxAttempts (AWS_MAX_ATTEMPTS), which the
// generated clients apply over a configured Retryer.
func fastRetries(cfg aws.Config) aws.Config {
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 5
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	}
	cfg.RetryMaxAttempts = 3
	return cfg
}

// sameAttempts asserts that both clients try a call that always fails
// with code as many times, and returns that number.
func sameAttempts(t *testing.T, srv *awstest.Server, code string, sdk, ours func() error) int {
	t.Helper()
	srv.Fail = func(string, map[string]any) string { return code }
	defer func() { srv.Fail = nil }()
	n := len(srv.Requests())
	ourErr := ours()
	m := len(srv.Requests())
	sdkErr := sdk()
	if ourErr == nil || sdkErr == nil {
		t.Fatalf("%s every time: SDK %v, ours %v", code, sdkErr, ourErr)
	}
	if a, b := len(srv.Requests())-m, m-n; a != b {
		t.Errorf("%s every time: the SDK tried %d times, ours %d", code, a, b)
	}
	return m - n
}

// throttleFirst makes the first call of each operation fail with ThrottlingException.
func throttleFirst(srv *awstest.Server) {
	seen := map[string]bool{}
	srv.Fail = func(op string, in map[string]any) string {
		if !seen[op] {
			seen[op] = true
			return "ThrottlingException"
		}
		return ""
	}
}

func TestConformanceSecretsManagerErrors(t *testing.T) {
	ctx := context.Background()
	srv, cfg, sdk, store := seededClients(t)

	// ResourceNotFoundException: a missing secret, and a missing stage.
	// The store reads both as credentials.ErrNotFound (the service's
	// error is compared through the admin secret, which keeps it).
	notFound := func(err error) bool {
		var nf *smtypes.ResourceNotFoundException
		return errors.As(err, &nf)
	}
	for _, c := range []struct{ id, stage string }{{"missing", credentials.StageCurrent}, {secretName, "AWSPREVIOUS"}} {
		n := len(srv.Requests())
		_, ourErr := store.Get(ctx, c.id, c.stage)
		if !errors.Is(ourErr, credentials.ErrNotFound) {
			t.Errorf("Get %s %s: %v, want ErrNotFound", c.id, c.stage, ourErr)
		}
		m := len(srv.Requests())
		_, sdkErr := sdk.GetSecretValue(ctx, &smsdk.GetSecretValueInput{SecretId: aws.String(c.id), VersionStage: aws.String(c.stage)})
		if !notFound(sdkErr) {
			t.Errorf("the SDK reads awstest's not-found as %v, not its ResourceNotFoundException", sdkErr)
		}
		sameRequests(t, "GetSecretValue (not found)", since(srv, m), srv.Requests()[n:m])
	}
	if _, err := store.DescribeSecret(ctx, "missing"); !errors.Is(err, credentials.ErrNotFound) {
		t.Errorf("DescribeSecret missing: %v", err)
	}
	if _, err := sdk.DescribeSecret(ctx, &smsdk.DescribeSecretInput{SecretId: aws.String("missing")}); !notFound(err) {
		t.Errorf("the SDK reads awstest's DescribeSecret not-found as %v", err)
	}
	load := func(context.Context) (aws.Config, error) { return cfg, nil }
	_, ourErr := secretsmanager.AdminSecret{ID: "missing", AWS: load}.Fetch(ctx, "db", 5432, "")
	_, sdkErr := sdk.GetSecretValue(ctx, &smsdk.GetSecretValueInput{SecretId: aws.String("missing")})
	sameAPIError(t, "GetSecretValue missing", sdkErr, ourErr, "ResourceNotFoundException")

	// AccessDeniedException (not modelled by Secrets Manager: a generic API error).
	srv.Fail = func(string, map[string]any) string { return "AccessDeniedException" }
	_, ourErr = secretsmanager.AdminSecret{ID: secretName, AWS: load}.Fetch(ctx, "db", 5432, "")
	_, sdkErr = sdk.GetSecretValue(ctx, &smsdk.GetSecretValueInput{SecretId: aws.String(secretName)})
	sameAPIError(t, "GetSecretValue denied", sdkErr, ourErr, "AccessDeniedException")
	if ourErr == nil || !strings.Contains(ourErr.Error(), "kms:Decrypt") {
		t.Errorf("access denied: %v, want the permission hint", ourErr)
	}

	// ThrottlingException is retried by both, with the same request again.
	cfg = fastRetries(cfg)
	throttleFirst(srv)
	n := len(srv.Requests())
	if _, err := secretsmanager.New(cfg).Get(ctx, secretName, credentials.StageCurrent); err != nil {
		t.Fatalf("ours after throttling: %v", err)
	}
	ours := since(srv, n)
	throttleFirst(srv)
	m := len(srv.Requests())
	if _, err := smsdk.NewFromConfig(cfg).GetSecretValue(ctx, &smsdk.GetSecretValueInput{SecretId: aws.String(secretName),
		VersionStage: aws.String(credentials.StageCurrent)}); err != nil {
		t.Fatalf("the SDK after throttling: %v", err)
	}
	if len(ours) != 2 {
		t.Errorf("ours sent %d requests for one throttled call, want 2", len(ours))
	}
	sameRequests(t, "GetSecretValue throttled", since(srv, m), ours)

	// Throttled every time: RetryMaxAttempts bounds the configured
	// retryer's 5 attempts to 3; an access denial is not retried.
	sdkGet := func() error {
		_, err := smsdk.NewFromConfig(cfg).GetSecretValue(ctx, &smsdk.GetSecretValueInput{SecretId: aws.String(secretName)})
		return err
	}
	ourGet := func() error {
		_, err := secretsmanager.New(cfg).Get(ctx, secretName, credentials.StageCurrent)
		return err
	}
	if n := sameAttempts(t, srv, "ThrottlingException", sdkGet, ourGet); n != 3 {
		t.Errorf("throttled every time: %d attempts, want RetryMaxAttempts (3)", n)
	}
	if n := sameAttempts(t, srv, "AccessDeniedException", sdkGet, ourGet); n != 1 {
		t.Errorf("access denied: %d attempts, want 1", n)
	}
	if n := sameAttempts(t, srv, "InternalServiceError", sdkGet, ourGet); n != 3 {
		t.Errorf("internal error: %d attempts, want 3", n)
	}
	// The retry quota (retry.NewStandard's token bucket of 500, 5 per
	// retry) ends a retryer of 1000 attempts after 100 retries, in both.
	cfg = fastRetries(cfg)
	cfg.RetryMaxAttempts = 0
	zero := retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts, o.Backoff = 1000, zero })
	}
	if n := sameAttempts(t, srv, "ThrottlingException", sdkGet, ourGet); n != 101 {
		t.Errorf("throttled with a retryer of 1000 attempts: %d attempts, want 101 (the retry quota)", n)
	}
}

func TestConformanceSSMGetParameter(t *testing.T) {
	ctx := context.Background()
	srv := awstest.New(t)
	cfg := srv.Config()
	sdk := ssmsdk.NewFromConfig(cfg)
	load := func(context.Context) (aws.Config, error) { return cfg, nil }
	const name = "/app/db-password"
	srv.PutParameter(name, `{"username":"postgres","password":"from-ssm"}`)

	n := len(srv.Requests())
	cred, err := ssm.AdminParameter{Name: name, AWS: load}.Fetch(ctx, "db", 5432, "")
	if err != nil {
		t.Fatal(err)
	}
	m := len(srv.Requests())
	out, err := sdk.GetParameter(ctx, &ssmsdk.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	if err != nil {
		t.Fatalf("the SDK cannot read awstest's GetParameter: %v", err)
	}
	sameRequests(t, "GetParameter", since(srv, m), srv.Requests()[n:m])
	if p := out.Parameter; p == nil || !strings.Contains(aws.ToString(p.Value), `"password":"`+cred.Password+`"`) || cred.User != "postgres" ||
		aws.ToString(p.Name) != name || p.Type != ssmtypes.ParameterTypeSecureString {
		t.Errorf("GetParameter: ours %s/%s, SDK %+v", cred.User, cred.Password, out.Parameter)
	}

	// ParameterNotFound.
	_, ourErr := ssm.AdminParameter{Name: "/app/missing", AWS: load}.Fetch(ctx, "db", 5432, "")
	_, sdkErr := sdk.GetParameter(ctx, &ssmsdk.GetParameterInput{Name: aws.String("/app/missing"), WithDecryption: aws.Bool(true)})
	var pnf *ssmtypes.ParameterNotFound
	if !errors.As(sdkErr, &pnf) {
		t.Errorf("the SDK reads awstest's ParameterNotFound as %v", sdkErr)
	}
	sameAPIError(t, "GetParameter missing", sdkErr, ourErr, "ParameterNotFound")

	// AccessDeniedException.
	srv.Fail = func(string, map[string]any) string { return "AccessDeniedException" }
	_, ourErr = ssm.AdminParameter{Name: name, AWS: load}.Fetch(ctx, "db", 5432, "")
	_, sdkErr = sdk.GetParameter(ctx, &ssmsdk.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	sameAPIError(t, "GetParameter denied", sdkErr, ourErr, "AccessDeniedException")

	// ThrottlingException retried.
	rcfg := fastRetries(cfg)
	throttleFirst(srv)
	n = len(srv.Requests())
	if _, err := (ssm.AdminParameter{Name: name, AWS: func(context.Context) (aws.Config, error) { return rcfg, nil }}).Fetch(ctx, "db", 5432, ""); err != nil {
		t.Fatalf("ours after throttling: %v", err)
	}
	ours := since(srv, n)
	throttleFirst(srv)
	m = len(srv.Requests())
	if _, err := ssmsdk.NewFromConfig(rcfg).GetParameter(ctx, &ssmsdk.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)}); err != nil {
		t.Fatalf("the SDK after throttling: %v", err)
	}
	if len(ours) != 2 {
		t.Errorf("ours sent %d requests for one throttled call, want 2", len(ours))
	}
	sameRequests(t, "GetParameter throttled", since(srv, m), ours)
}

func TestConformanceLambdaInvoke(t *testing.T) {
	ctx := context.Background()
	srv := awstest.New(t)
	cfg := srv.Config()
	sdk := lambdasdk.NewFromConfig(cfg)
	tail := base64.StdEncoding.EncodeToString([]byte("START\nEND RequestId: 1\n"))
	srv.Lambda = func(fn string, payload []byte, logType string) (int, string, string, []byte) {
		if strings.Contains(string(payload), "fail") {
			return 200, "Unhandled", tail, []byte(`{"errorMessage":"boom","errorType":"wrapError"}`)
		}
		return 200, "", tail, []byte(`{"changed":false}`)
	}
	// A name, and a qualified ARN (the qualifier in the name: its colons
	// are escaped in the path, and no Qualifier query is sent).
	for _, fn := range []string{"rolekeeper-app", "arn:aws:lambda:us-east-1:123456789012:function:rolekeeper-app:live"} {
		for _, payload := range []string{`{"action":"plan"}`, `{"action":"fail"}`} {
			n := len(srv.Requests())
			r, err := lambdaapi.Invoke(ctx, cfg, fn, []byte(payload))
			if err != nil {
				t.Fatal(err)
			}
			m := len(srv.Requests())
			out, err := sdk.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String(fn), Payload: []byte(payload),
				InvocationType: lambdatypes.InvocationTypeRequestResponse, LogType: lambdatypes.LogTypeTail})
			if err != nil {
				t.Fatalf("the SDK cannot read awstest's Invoke: %v", err)
			}
			sameRequests(t, "Invoke "+fn, since(srv, m), srv.Requests()[n:m])
			sdkTail, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
			if err != nil || string(sdkTail) != string(r.LogTail) || string(r.LogTail) != "START\nEND RequestId: 1\n" {
				t.Errorf("Invoke log: SDK %q (%v), ours %q", sdkTail, err, r.LogTail)
			}
			if int(out.StatusCode) != r.StatusCode || aws.ToString(out.FunctionError) != r.FunctionError ||
				!bytes.Equal(out.Payload, r.Payload) || aws.ToString(out.ExecutedVersion) != r.ExecutedVersion || r.ExecutedVersion == "" {
				t.Errorf("Invoke: SDK %d %q %q %q, ours %+v", out.StatusCode, aws.ToString(out.FunctionError), out.Payload, aws.ToString(out.ExecutedVersion), r)
			}
			if want := map[bool]string{true: "Unhandled", false: ""}[strings.Contains(payload, "fail")]; r.FunctionError != want {
				t.Errorf("Invoke %s: function error %q, want %q", payload, r.FunctionError, want)
			}
		}
	}

	// ResourceNotFoundException (no function).
	srv.Lambda = nil
	n := len(srv.Requests())
	_, ourErr := lambdaapi.Invoke(ctx, cfg, "nope", []byte(`{}`))
	m := len(srv.Requests())
	_, sdkErr := sdk.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("nope"), Payload: []byte(`{}`),
		InvocationType: lambdatypes.InvocationTypeRequestResponse, LogType: lambdatypes.LogTypeTail})
	var nf *lambdatypes.ResourceNotFoundException
	if !errors.As(sdkErr, &nf) {
		t.Errorf("the SDK reads awstest's missing function as %v", sdkErr)
	}
	sameRequests(t, "Invoke missing", since(srv, m), srv.Requests()[n:m])
	sameAPIError(t, "Invoke missing", sdkErr, ourErr, "ResourceNotFoundException")
}

// TestConformanceErrorForms: the forms of AWS's JSON error responses that
// the SDK's protocols read (smithy-go@v1.28.9
// transport/http/protocol/internal/json/error.go: the code from
// X-Amzn-ErrorType, else the body's __type, else its code; a namespace
// before '#' and a suffix after ':' dropped; the message from the body's
// message in any case), sent as they are, read to the same code and
// message by the generated clients and ours, for each protocol
// (awsJson1_1: Secrets Manager, SSM; restJson1: Lambda).
func TestConformanceErrorForms(t *testing.T) {
	ctx := context.Background()
	srv := awstest.New(t)
	cfg := srv.Config()
	load := func(context.Context) (aws.Config, error) { return cfg, nil }
	forms := []struct {
		name, header, body, code, message string
	}{
		{"header and __type", "ResourceNotFoundException", `{"__type":"ResourceNotFoundException","message":"m1"}`, "ResourceNotFoundException", "m1"},
		{"__type with its namespace", "", `{"__type":"com.amazonaws.secretsmanager#ResourceNotFoundException","Message":"m2"}`, "ResourceNotFoundException", "m2"},
		{"header with a URI suffix", "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/", `{"Message":"m3"}`, "AccessDeniedException", "m3"},
		{"code in the body", "", `{"code":"AccessDeniedException","message":"m4"}`, "AccessDeniedException", "m4"},
		{"the header wins over the body", "AccessDeniedException", `{"__type":"ResourceNotFoundException","message":"m5"}`, "AccessDeniedException", "m5"},
		{"Lambda's form", "ResourceNotFoundException", `{"Type":"User","Message":"Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"}`,
			"ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"},
		{"ParameterNotFound without a message", "", `{"__type":"ParameterNotFound"}`, "ParameterNotFound", ""},
	}
	ops := []struct {
		name, contentType string
		sdk, ours         func() error
	}{
		{"GetSecretValue", "application/x-amz-json-1.1", func() error {
			_, err := smsdk.NewFromConfig(cfg).GetSecretValue(ctx, &smsdk.GetSecretValueInput{SecretId: aws.String(secretName)})
			return err
		}, func() error {
			_, err := secretsmanager.AdminSecret{ID: secretName, AWS: load}.Fetch(ctx, "db", 5432, "")
			return err
		}},
		{"GetParameter", "application/x-amz-json-1.1", func() error {
			_, err := ssmsdk.NewFromConfig(cfg).GetParameter(ctx, &ssmsdk.GetParameterInput{Name: aws.String("/p"), WithDecryption: aws.Bool(true)})
			return err
		}, func() error {
			_, err := ssm.AdminParameter{Name: "/p", AWS: load}.Fetch(ctx, "db", 5432, "")
			return err
		}},
		{"Invoke", "application/json", func() error {
			_, err := lambdasdk.NewFromConfig(cfg).Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("nope"), Payload: []byte(`{}`),
				InvocationType: lambdatypes.InvocationTypeRequestResponse, LogType: lambdatypes.LogTypeTail})
			return err
		}, func() error {
			_, err := lambdaapi.Invoke(ctx, cfg, "nope", []byte(`{}`))
			return err
		}},
	}
	for _, op := range ops {
		for _, f := range forms {
			srv.Reply = func(string) *awstest.Reply {
				h := http.Header{"Content-Type": {op.contentType}}
				if f.header != "" {
					h.Set("X-Amzn-ErrorType", f.header)
				}
				return &awstest.Reply{Status: 400, Header: h, Body: f.body}
			}
			se := sameAPIError(t, op.name+": "+f.name, op.sdk(), op.ours(), f.code)
			if sm := se.ErrorMessage(); sm != f.message && !(f.message == "" && sm == "UnknownError") {
				t.Errorf("%s: %s: message %q, want %q", op.name, f.name, sm, f.message)
			}
		}
	}
}
