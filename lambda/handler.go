// Package lambda is rolekeeper as an AWS Lambda function (runtime
// provided.al2023): it takes an event {"action", "config"}, runs the same
// engine as the CLI against the database in its VPC, and returns the same
// JSON documents. Failures are returned as function errors, so `aws lambda
// invoke` and Terraform's aws_lambda_invocation fail loudly. It also
// accepts the event and environment contract of the template-infra role
// manager (templateinfra.go).
package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/connect"
	"github.com/rolekeeper/rolekeeper/ops"
	"github.com/rolekeeper/rolekeeper/plan"
	"github.com/rolekeeper/rolekeeper/spec"
	"github.com/rolekeeper/rolekeeper/verify"
)

// Event is what the function is invoked with.
type Event struct {
	// Action is plan, apply, check, inspect or rotate; manage (and check)
	// for the template-infra contract.
	Action string `json:"action"`
	// Config is the spec (YAML's JSON form), or for template-infra
	// {"superuser_extensions": {"name": true|false}}. Optional: the spec
	// may come from ROLEKEEPER_SPEC or a file in the package instead.
	Config json.RawMessage `json:"config,omitempty"`
	// Roles limits rotate to these roles.
	Roles []string `json:"roles,omitempty"`
	// SavePlan asks plan to return the saved plan too ("saved_plan"), for
	// a later apply of exactly that plan (docs/saved-plans.md).
	SavePlan bool `json:"save_plan,omitempty"`
	// Metrics asks plan to write the number of pending changes and
	// problems to the log as CloudWatch metrics (embedded metric format;
	// docs/drift-alarms.md). The module's drift schedule sets it.
	Metrics bool `json:"metrics,omitempty"`
	// Plan is a saved plan for apply: it is applied as is, or refused when
	// the database or the spec changed since.
	Plan json.RawMessage `json:"plan,omitempty"`
	// Databases lists the databases inspect describes, as one spec with
	// databases (default: the connection's database alone).
	Databases []string `json:"databases,omitempty"`
}

// Actions the function accepts.
var Actions = []string{"plan", "apply", "check", "inspect", "rotate", "manage"}

// Handler serves events. Its zero value reads the process environment
// and logs JSON to stdout.
type Handler struct {
	Getenv func(string) string
	Out    io.Writer
	// AWS loads the AWS configuration (default: the standard chain).
	AWS func(ctx context.Context) (aws.Config, error)

	awsOnce sync.Once
	aws     ops.AWSLoader // AWS (or the standard chain), loaded once per execution environment
}

func (h *Handler) getenv(k string) string {
	if h.Getenv != nil {
		return h.Getenv(k)
	}
	return os.Getenv(k)
}

func (h *Handler) logger(ctx context.Context) *slog.Logger {
	out := h.Out
	if out == nil {
		out = os.Stdout
	}
	level := slog.LevelInfo
	if strings.EqualFold(h.getenv("ROLEKEEPER_LOG_LEVEL"), "debug") {
		level = slog.LevelDebug
	}
	l := slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: level}))
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		l = l.With("request_id", lc.AwsRequestID)
	}
	return l
}

func (h *Handler) awsConfig(ctx context.Context) (aws.Config, error) {
	h.awsOnce.Do(func() {
		load := h.AWS
		if load == nil {
			load = func(ctx context.Context) (aws.Config, error) { return config.LoadDefaultConfig(ctx) }
		}
		h.aws = ops.LoadOnce(load)
	})
	return h.aws(ctx)
}

// Invoke implements aws-lambda-go's Handler on the raw payload, so that
// even a payload that is not JSON gets rolekeeper's own clear error.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	res, err := h.Handle(ctx, payload)
	if err != nil {
		return nil, err
	}
	return json.Marshal(res)
}

// Handle serves one event.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	log := h.logger(ctx)
	if rev, ok := rotationEvent(raw); ok {
		ctx, cancel, reserve := withBudget(ctx)
		defer cancel()
		res, err := h.rotationStep(ctx, log, rev)
		if err != nil {
			return nil, outOfTime(ctx, reserve, err)
		}
		return res, nil
	}
	ev, err := decodeEvent(raw)
	if err != nil {
		log.Error("bad event", "error", err.Error())
		return nil, err
	}
	log.Info("event", "action", ev.Action)
	ctx, cancel, reserve := withBudget(ctx)
	defer cancel()
	res, err := h.dispatch(ctx, log, ev)
	err = outOfTime(ctx, reserve, err)
	if ev.Metrics && ev.Action == "plan" {
		h.writeDriftMetrics(res, err)
	}
	if err != nil {
		log.Error("failed", "action", ev.Action, "error", err.Error())
		return nil, err
	}
	return res, nil
}

func decodeEvent(raw json.RawMessage) (Event, error) {
	var ev Event
	if err := strictKeys(raw); err != nil {
		return ev, err
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		return ev, fmt.Errorf("the event is not a JSON object of the form {\"action\": ..., \"config\": {...}}: %v%s", err, suggestEventField(err))
	}
	for _, a := range Actions {
		if ev.Action == a {
			return ev, nil
		}
	}
	if ev.Action == "" {
		return ev, fmt.Errorf("the event has no action; use one of %s", strings.Join(Actions, ", "))
	}
	return ev, fmt.Errorf("unknown action %q%s; use one of %s", ev.Action, spec.DidYouMean(ev.Action, Actions), strings.Join(Actions, ", "))
}

// Source says where the spec came from.
type Source struct {
	SpecSource string `json:"spec_source"`
}

// planResult is the CLI's plan/apply document and the spec's source.
type planResult struct {
	plan.Document
	Source
}

type checkResult struct {
	*verify.Report
	Source
}

func (h *Handler) dispatch(ctx context.Context, log *slog.Logger, ev Event) (any, error) {
	if ev.Action == "manage" || (ev.Action == "check" && h.templateInfraMode()) {
		return h.templateInfra(ctx, log, ev)
	}
	if ev.Action == "inspect" {
		return h.inspect(ctx, log, ev.Databases)
	}
	if len(ev.Plan) > 0 && string(ev.Plan) != "null" {
		return h.applySaved(ctx, log, ev)
	}
	s, src, err := h.loadSpec(ev.Config)
	if err != nil {
		return nil, err
	}
	conn, err := h.connect(ctx, log, s.Database, false)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	sess, err := h.session(ctx, conn)
	if err != nil {
		return nil, err
	}
	if s.MultiDatabase() && ev.Action != "rotate" {
		return h.databases(ctx, log, sess, s, src, ev)
	}
	switch ev.Action {
	case "plan":
		if ev.SavePlan {
			return h.savePlan(ctx, sess, s, src)
		}
		p, err := sess.Plan(ctx, s)
		if err != nil {
			return nil, err
		}
		return planResult{p.Document(), Source{src}}, nil
	case "apply":
		return h.apply(ctx, log, sess, s, src)
	case "check":
		return h.check(ctx, log, sess, s, src)
	case "rotate":
		done, err := sess.Rotate(ctx, s, ev.Roles)
		for _, r := range done {
			log.Info("password rotated", "role", r.Role, "secret", r.Secret, "outcome", r.Outcome)
		}
		if err != nil {
			return nil, err
		}
		return map[string]any{"rotations": done}, nil
	}
	return nil, fmt.Errorf("unknown action %q", ev.Action)
}

// inspect describes the database (or the databases named) as a spec; it
// needs no spec.
func (h *Handler) inspect(ctx context.Context, log *slog.Logger, databases []string) (any, error) {
	conn, err := h.connect(ctx, log, "", false)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	var in *ops.Inspection
	if len(databases) > 0 {
		in, err = ops.Session{Conn: conn}.InspectDatabases(ctx, databases)
	} else {
		in, err = ops.Session{Conn: conn}.Inspect(ctx)
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"spec": in.Spec, "notes": in.Notes}, nil
}

func (h *Handler) apply(ctx context.Context, log *slog.Logger, sess ops.Session, s *spec.Spec, src string) (any, error) {
	return h.applyWith(ctx, log, sess, s, src, applyOptions(ctx, log))
}

func (h *Handler) applyWith(ctx context.Context, log *slog.Logger, sess ops.Session, s *spec.Spec, src string, opts apply.Options) (*planResult, error) {
	start := time.Now()
	res, err := sess.Apply(ctx, s, opts)
	if err != nil {
		return nil, err
	}
	log.Info("apply done", "committed", res.Committed, "statements", res.Statements, "ms", time.Since(start).Milliseconds())
	doc := res.Plan.Document()
	doc.Applied = &res.Committed
	return &planResult{doc, Source{src}}, nil
}

// check runs the spec's checks and, after them, the extra results the
// caller computed (template-infra's own checks); any failure is a
// function error naming every failed check.
func (h *Handler) check(ctx context.Context, log *slog.Logger, sess ops.Session, s *spec.Spec, src string, extra ...verify.Result) (*checkResult, error) {
	report, err := sess.Check(ctx, s)
	if err != nil {
		return nil, err
	}
	for _, c := range extra {
		report.Checks = append(report.Checks, c)
		switch {
		case c.Skipped:
			report.Skipped++
		case c.Passed:
			report.Passed++
		default:
			report.Failed++
		}
	}
	failed := logChecks(ctx, log, report.Checks)
	if len(failed) > 0 {
		return nil, fmt.Errorf("%d check(s) failed: %s", len(failed), strings.Join(failed, "; "))
	}
	return &checkResult{report, Source{src}}, nil
}

// logChecks logs one line per check (an error for a failed one) and
// returns the failed ones as "name: detail". log carries the database
// when the spec has several.
func logChecks(ctx context.Context, log *slog.Logger, checks []verify.Result) []string {
	var failed []string
	for _, c := range checks {
		level := slog.LevelInfo
		if !c.Passed && !c.Skipped {
			level = slog.LevelError
			failed = append(failed, c.Name+": "+c.Detail)
		}
		log.Log(ctx, level, "check", "name", c.Name, "passed", c.Passed, "skipped", c.Skipped, "detail", c.Detail)
	}
	return failed
}

// loadSpec reads the spec from the event, ROLEKEEPER_SPEC (inline YAML or
// JSON), or a file: ROLEKEEPER_SPEC_FILE, else rolekeeper.yaml in the
// deployment package ($LAMBDA_TASK_ROOT).
func (h *Handler) loadSpec(cfg json.RawMessage) (*spec.Spec, string, error) {
	if len(cfg) > 0 && string(cfg) != "null" {
		s, err := spec.Parse("event.config", cfg)
		return s, "event", err
	}
	if inline := h.getenv("ROLEKEEPER_SPEC"); inline != "" {
		s, err := spec.Parse("ROLEKEEPER_SPEC", []byte(inline))
		return s, "env:ROLEKEEPER_SPEC", err
	}
	path := h.getenv("ROLEKEEPER_SPEC_FILE")
	if path == "" {
		root := h.getenv("LAMBDA_TASK_ROOT")
		if root == "" {
			root = "."
		}
		path = root + "/rolekeeper.yaml"
	}
	if _, err := os.Stat(path); err != nil {
		return nil, "", errors.New("no spec: give it as the event's config, in ROLEKEEPER_SPEC, or as rolekeeper.yaml in the deployment package (ROLEKEEPER_SPEC_FILE)")
	}
	s, err := spec.Load(path)
	return s, "file:" + path, err
}

// connect opens the admin connection from the PG* variables (or the
// template-infra DB_* ones) and the admin credential variables, retrying
// long enough for an Aurora Serverless cluster to resume.
func (h *Handler) connect(ctx context.Context, log *slog.Logger, database string, templateInfra bool) (*pgx.Conn, error) {
	var configured time.Duration
	v := h.getenv("ROLEKEEPER_CONNECT_RETRY")
	if v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, fmt.Errorf("ROLEKEEPER_CONNECT_RETRY=%q is not a duration such as 30s", v)
		}
		configured = d
	}
	retry := connectRetry(ctx, configured, v != "")
	bundle, err := connect.LoadCABundle(h.getenv("ROLEKEEPER_CA_BUNDLE"))
	if err != nil {
		return nil, fmt.Errorf("ROLEKEEPER_CA_BUNDLE: %w", err)
	}
	opts := connect.Options{
		CABundle: bundle,
		DSN:      h.dsn(templateInfra),
		Database: database,
		Admin:    h.admin().Source(h.awsConfig),
		RetryFor: retry,
		Log:      log,
	}
	if left, ok := remaining(ctx); ok {
		opts.ConnectTimeout = min(10*time.Second, max(left, time.Second))
	}
	start := time.Now()
	conn, err := connect.Connect(ctx, opts)
	if err != nil {
		return nil, err
	}
	log.Info("connected", "host", conn.Config().Host, "database", conn.Config().Database, "user", conn.Config().User, "ms", time.Since(start).Milliseconds())
	return conn, nil
}

// dsn builds a keyword/value connection string from the template-infra
// variables where the PG* ones are not set. Values are quoted; no
// password is ever put in it.
func (h *Handler) dsn(templateInfra bool) string {
	var parts []string
	add := func(key, pgVar, dbVar, def string) {
		if h.getenv(pgVar) != "" {
			return // pgx reads it from the environment
		}
		v := h.getenv(dbVar)
		if v == "" {
			v = def
		}
		if v != "" {
			parts = append(parts, key+"='"+strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v)+"'")
		}
	}
	add("host", "PGHOST", "DB_HOST", "")
	add("port", "PGPORT", "DB_PORT", "")
	add("user", "PGUSER", "DB_USER", "")
	add("dbname", "PGDATABASE", "DB_NAME", "")
	sslDefault := ""
	if templateInfra {
		sslDefault = "verify-full" // as the Python role manager: TLS, verified
	}
	add("sslmode", "PGSSLMODE", "DB_SSLMODE", sslDefault)
	return strings.Join(parts, " ")
}

// session pairs the connection with Secrets Manager (when an AWS region
// is configured) and IAM token signing.
func (h *Handler) session(ctx context.Context, conn *pgx.Conn) (ops.Session, error) {
	store, err := ops.SecretStore(ctx, "", h.awsConfig)
	return ops.Session{Conn: conn, Store: store, Tokens: ops.Tokens(h.awsConfig), AdminSecrets: h.admin().SecretIDs()}, err
}

// admin says where the admin password comes from: rolekeeper's variables,
// else template-infra's.
func (h *Handler) admin() ops.AdminCredential {
	return ops.AdminCredential{
		Secret:       first(h.getenv("ROLEKEEPER_ADMIN_SECRET"), h.getenv("DB_PASSWORD_SECRET_ARN")),
		SSMParameter: first(h.getenv("ROLEKEEPER_ADMIN_SSM_PARAMETER"), h.getenv("DB_PASSWORD_PARAM_NAME")),
		IAM:          h.getenv("ROLEKEEPER_ADMIN_IAM") == "true",
	}
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
