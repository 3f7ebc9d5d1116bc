package main

import (
	"context"
	"flag"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/connect"
	"github.com/rolekeeper/rolekeeper/ops"
	"github.com/rolekeeper/rolekeeper/progress"
)

// connFlags are the flags of every command that connects to a database.
type connFlags struct {
	dsn          string
	adminSecret  string
	adminParam   string
	adminIAM     bool
	secretsDir   string
	connectRetry time.Duration
	quiet        bool // read by startProgress from the arguments
	caBundle     string
	awsLoad      ops.AWSLoader // see aws
}

func (c *connFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.dsn, "dsn", "", "connection string (default: the PG* environment variables)")
	fs.StringVar(&c.adminSecret, "admin-secret", os.Getenv("ROLEKEEPER_ADMIN_SECRET"), "Secrets Manager secret with the admin password, e.g. the RDS-managed master secret (env ROLEKEEPER_ADMIN_SECRET)")
	fs.StringVar(&c.adminParam, "admin-ssm-parameter", os.Getenv("ROLEKEEPER_ADMIN_SSM_PARAMETER"), "SSM parameter with the admin password (env ROLEKEEPER_ADMIN_SSM_PARAMETER)")
	fs.BoolVar(&c.adminIAM, "admin-iam", os.Getenv("ROLEKEEPER_ADMIN_IAM") == "true", "log in as the admin with an RDS IAM token (env ROLEKEEPER_ADMIN_IAM=true)")
	fs.StringVar(&c.secretsDir, "secrets-dir", os.Getenv("ROLEKEEPER_SECRETS_DIR"), "keep password users' secrets in this directory instead of AWS Secrets Manager (local use)")
	fs.DurationVar(&c.connectRetry, "connect-retry", 0, "keep retrying an unreachable or starting server this long")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress line on stderr (it shows only on a terminal, for runs over a second)")
	fs.StringVar(&c.caBundle, "ca-bundle", os.Getenv("ROLEKEEPER_CA_BUNDLE"), "PEM file (or PEM text) of CAs trusted besides the embedded Amazon RDS CAs, for sslmode verify-ca/verify-full (env ROLEKEEPER_CA_BUNDLE)")
}

// awsConfig loads the standard AWS configuration: region, the default
// credentials chain, AWS_ENDPOINT_URL and the per-service endpoint variables.
func awsConfig(ctx context.Context) (aws.Config, error) { return config.LoadDefaultConfig(ctx) }

// aws is the AWS configuration of this command's run, loaded once however
// many sources (the admin's secret, the store, IAM tokens) need it.
func (c *connFlags) aws() ops.AWSLoader {
	if c.awsLoad == nil {
		c.awsLoad = ops.LoadOnce(awsConfig)
	}
	return c.awsLoad
}

// admin says where the admin password comes from.
func (c *connFlags) admin() ops.AdminCredential {
	return ops.AdminCredential{Secret: c.adminSecret, SSMParameter: c.adminParam, IAM: c.adminIAM}
}

func (c *connFlags) options(database string) connect.Options {
	return connect.Options{
		DSN:      c.dsn,
		Database: database,
		Admin:    c.admin().Source(c.aws()),
		RetryFor: c.connectRetry,
	}
}

func (c *connFlags) connect(ctx context.Context, database string) (*pgx.Conn, error) {
	progress.Report(ctx, "connecting")
	opts := c.options(database)
	bundle, err := connect.LoadCABundle(c.caBundle)
	if err != nil {
		return nil, err
	}
	opts.CABundle = bundle
	return connect.Connect(ctx, opts)
}

// session pairs the connection with where password users' secrets live
// (the directory when given, else Secrets Manager when an AWS region is
// configured) and how IAM tokens are signed.
func (c *connFlags) session(ctx context.Context, conn *pgx.Conn) (ops.Session, error) {
	store, err := ops.SecretStore(ctx, c.secretsDir, c.aws())
	return ops.Session{Conn: conn, Store: store, Tokens: ops.Tokens(c.aws()), AdminSecrets: c.admin().SecretIDs()}, err
}
