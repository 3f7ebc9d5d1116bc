// Package awscall sends signed requests to the few AWS API operations
// rolekeeper calls without a generated service client (Secrets Manager,
// SSM GetParameter, Lambda Invoke), over the AWS SDK's core: the aws.Config's credentials,
// region and HTTP client, the SDK's Signature Version 4 signer and its
// standard retryer. The generated service packages initialise large
// package-level tables (schemas, endpoint rules) in every process that
// links them, whatever command runs (docs/performance.md, "Start-up").
//
// Endpoints: AWS_ENDPOINT_URL_<SERVICE> (unless
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), else the configuration's
// BaseEndpoint (AWS_ENDPOINT_URL, a profile's endpoint_url), else the
// service's regional endpoint. FIPS and dual-stack endpoints are not
// chosen by themselves: give them as an endpoint URL.
package awscall

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Service names an AWS API.
type Service struct {
	// Name is the service's name in messages ("SSM").
	Name string
	// SigningName is the name requests are signed for ("ssm").
	SigningName string
	// EndpointPrefix is the first label of its regional endpoint.
	EndpointPrefix string
	// EnvID is the suffix of its AWS_ENDPOINT_URL_ variable ("SSM").
	EnvID string
}

// The services called through this package.
var (
	SSM            = Service{Name: "SSM", SigningName: "ssm", EndpointPrefix: "ssm", EnvID: "SSM"}
	Lambda         = Service{Name: "Lambda", SigningName: "lambda", EndpointPrefix: "lambda", EnvID: "LAMBDA"}
	SecretsManager = Service{Name: "Secrets Manager", SigningName: "secretsmanager", EndpointPrefix: "secretsmanager", EnvID: "SECRETS_MANAGER"}
)

// maxResponse bounds a response body (a Lambda response is at most 6 MB).
const maxResponse = 16 << 20

// Client calls one service.
type Client struct {
	cfg      aws.Config
	svc      Service
	endpoint string
	retryer  aws.Retryer
	signer   *v4.Signer
	http     aws.HTTPClient
}

// New returns a client of svc configured by cfg.
func New(cfg aws.Config, svc Service) (*Client, error) {
	endpoint, err := endpointOf(cfg, svc)
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, svc: svc, endpoint: strings.TrimRight(endpoint, "/"), signer: v4.NewSigner(), http: cfg.HTTPClient}
	// The retryer is resolved as the generated clients' api_client.go
	// resolves it (resolveAWSRetryerProvider, resolveRetryer,
	// finalizeRetryMaxAttempts): the configuration's Retryer, else one of
	// its RetryMode; RetryMaxAttempts (AWS_MAX_ATTEMPTS) bounds either.
	switch {
	case cfg.Retryer != nil:
		c.retryer = cfg.Retryer()
	case cfg.RetryMode == aws.RetryModeAdaptive:
		c.retryer = retry.NewAdaptiveMode()
	default:
		c.retryer = retry.NewStandard()
	}
	if cfg.RetryMaxAttempts != 0 {
		c.retryer = retry.AddWithMaxAttempts(c.retryer, cfg.RetryMaxAttempts)
	}
	if c.http == nil {
		c.http = awshttp.NewBuildableClient()
	}
	return c, nil
}

func endpointOf(cfg aws.Config, svc Service) (string, error) {
	if !strings.EqualFold(os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		if v := os.Getenv("AWS_ENDPOINT_URL_" + svc.EnvID); v != "" {
			return v, nil
		}
	}
	if cfg.BaseEndpoint != nil && *cfg.BaseEndpoint != "" {
		return *cfg.BaseEndpoint, nil
	}
	if cfg.Region == "" {
		return "", fmt.Errorf("%s: no AWS region is configured: set AWS_REGION (or region in the AWS profile)", svc.Name)
	}
	return "https://" + svc.EndpointPrefix + "." + cfg.Region + "." + dnsSuffix(cfg.Region), nil
}

// dnsSuffix returns the DNS suffix of a region's partition (the SDK's
// internal/endpoints/awsrulesfn/partitions.json).
func dnsSuffix(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "amazonaws.com.cn"
	case strings.HasPrefix(region, "eusc-"):
		return "amazonaws.eu"
	case strings.HasPrefix(region, "us-isob-"):
		return "sc2s.sgov.gov"
	case strings.HasPrefix(region, "us-isof-"):
		return "csp.hci.ic.gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "c2s.ic.gov"
	case strings.HasPrefix(region, "eu-isoe-"):
		return "cloud.adc-e.uk"
	}
	return "amazonaws.com"
}

// Request is one call.
type Request struct {
	// Operation is the API operation's name, for messages.
	Operation string
	// Method and Path (escaped, from the endpoint's root) of the request.
	Method, Path string
	// Header holds the operation's headers.
	Header http.Header
	// Body is the request's payload.
	Body []byte
}

// Response is a successful (2xx) response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// APIError is an error response of the service.
type APIError struct {
	Service, Operation string
	// Code is the error's code ("ParameterNotFound", "ThrottlingException").
	Code    string
	Message string
	// StatusCode is the HTTP status.
	StatusCode int
	RequestID  string
}

var _ smithy.APIError = (*APIError)(nil)

func (e *APIError) Error() string {
	s := fmt.Sprintf("%s %s: %s", e.Service, e.Operation, e.Code)
	if e.Message != "" {
		s += ": " + e.Message
	}
	s += fmt.Sprintf(" (HTTP %d", e.StatusCode)
	if e.RequestID != "" {
		s += ", request id " + e.RequestID
	}
	return s + ")"
}

// ErrorCode implements smithy.APIError (the SDK's retryer reads it: throttling codes are retried).
func (e *APIError) ErrorCode() string { return e.Code }

// ErrorMessage implements smithy.APIError.
func (e *APIError) ErrorMessage() string { return e.Message }

// ErrorFault implements smithy.APIError.
func (e *APIError) ErrorFault() smithy.ErrorFault {
	if e.StatusCode >= 500 {
		return smithy.FaultServer
	}
	return smithy.FaultClient
}

// HTTPStatusCode gives the retryer the status (5xx responses are retried).
func (e *APIError) HTTPStatusCode() int { return e.StatusCode }

// Do sends r, signed, and retries what the retryer says is worth
// retrying (throttling, 5xx, connection failures), with its backoff, as
// the SDK's retry middleware (aws/retry/middleware.go) does: an attempt
// token before each attempt (adaptive mode's rate limit), a retry token
// from the retry quota before each retry (when it runs out, the error is
// returned), both released with the next attempt's outcome.
func (c *Client) Do(ctx context.Context, r Request) (*Response, error) {
	if c.cfg.Credentials == nil {
		return nil, fmt.Errorf("%s %s: no AWS credentials are configured", c.svc.Name, r.Operation)
	}
	releaseRetry := func(error) error { return nil }
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s %s: %w", c.svc.Name, r.Operation, err)
		}
		releaseAttempt, err := c.attemptToken(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s %s: wait for the retryer's send token: %w", c.svc.Name, r.Operation, err)
		}
		resp, err := c.send(ctx, r)
		_ = releaseRetry(err)
		_ = releaseAttempt(err)
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil || !c.retryer.IsErrorRetryable(err) || attempt >= c.retryer.MaxAttempts() {
			return nil, err
		}
		rel, qerr := c.retryer.GetRetryToken(ctx, err)
		if qerr != nil {
			return nil, fmt.Errorf("%w (not retried: %v)", err, qerr)
		}
		releaseRetry = rel
		delay, derr := c.retryer.RetryDelay(attempt, err)
		if derr != nil {
			return nil, err
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil, err
		}
	}
}

// attemptToken is the retryer's token for an attempt (aws.RetryerV2), or
// its initial token for an older retryer, as the SDK's middleware takes it.
func (c *Client) attemptToken(ctx context.Context) (func(error) error, error) {
	if v2, ok := c.retryer.(aws.RetryerV2); ok {
		return v2.GetAttemptToken(ctx)
	}
	return c.retryer.GetInitialToken(), nil
}

func (c *Client) send(ctx context.Context, r Request) (*Response, error) {
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s %s: get AWS credentials: %w", c.svc.Name, r.Operation, err)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, c.endpoint+r.Path, bytes.NewReader(r.Body))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", c.svc.Name, r.Operation, err)
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "rolekeeper aws-sdk-go-v2/"+aws.SDKVersion)
	sum := sha256.Sum256(r.Body)
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), c.svc.SigningName, c.cfg.Region, time.Now().UTC()); err != nil {
		return nil, fmt.Errorf("%s %s: sign the request: %w", c.svc.Name, r.Operation, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", c.svc.Name, r.Operation, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read the response: %w", c.svc.Name, r.Operation, err)
	}
	if len(body) > maxResponse {
		return nil, fmt.Errorf("%s %s: the response is larger than %d bytes", c.svc.Name, r.Operation, maxResponse)
	}
	if resp.StatusCode/100 != 2 {
		return nil, c.apiError(r.Operation, resp, body)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// apiError reads an error response as the SDK's JSON and REST-JSON
// protocols do: the code from the X-Amzn-ErrorType header, else the
// body's __type or code; the message from the body.
func (c *Client) apiError(op string, resp *http.Response, body []byte) error {
	var doc struct {
		Type     string `json:"__type"`
		Code     string `json:"code"`
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	_ = json.Unmarshal(body, &doc)
	code := resp.Header.Get("X-Amzn-ErrorType")
	if code == "" {
		code = doc.Type
	}
	if code == "" {
		code = doc.Code
	}
	if i := strings.IndexByte(code, ':'); i >= 0 {
		code = code[:i]
	}
	if i := strings.IndexByte(code, '#'); i >= 0 { // as smithy-go's SanitizeErrorCode
		code = code[i+1:]
	}
	if code == "" {
		code = http.StatusText(resp.StatusCode)
	}
	msg := doc.Message
	if msg == "" {
		msg = doc.Message2
	}
	return &APIError{Service: c.svc.Name, Operation: op, Code: code, Message: msg, StatusCode: resp.StatusCode,
		RequestID: resp.Header.Get("X-Amzn-RequestId")}
}

// JSON calls an operation of a JSON 1.1 protocol API (SSM, Secrets
// Manager): target is the X-Amz-Target header ("AmazonSSM.GetParameter").
func (c *Client) JSON(ctx context.Context, target string, in, out any) error {
	op := target[strings.LastIndexByte(target, '.')+1:]
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%s %s: %w", c.svc.Name, op, err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("X-Amz-Target", target)
	resp, err := c.Do(ctx, Request{Operation: op, Method: http.MethodPost, Path: "/", Header: h, Body: body})
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return fmt.Errorf("%s %s: the response is not the JSON expected: %w", c.svc.Name, op, err)
	}
	return nil
}

// IdempotencyToken makes a token as the SDKs fill in idempotency tokens
// (ClientRequestToken) by themselves: a random (version 4) UUID.
func IdempotencyToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// IsCode reports whether err is an API error with one of codes.
func IsCode(err error, codes ...string) bool {
	var e *APIError
	if !errors.As(err, &e) {
		return false
	}
	for _, c := range codes {
		if e.Code == c {
			return true
		}
	}
	return false
}
