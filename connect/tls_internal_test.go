package connect

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/sandbox"
)

// TestSystemRootsAreTrustedWhenTheRDSCAsAreNot: with no root certificate
// given, a server whose CA is among the system roots (here: the roots
// given by systemRoots are the sandbox's CA) is accepted with verify-full
// and verify-ca; without it, refused naming the issuer; the system roots
// are not loaded for a chain the RDS CAs or the given bundle verify.
func TestSystemRootsAreTrustedWhenTheRDSCAsAreNot(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	sb, err := sandbox.Start(context.Background(), sandbox.Options{BinDir: pgtest.Server.BinDir, TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Stop()
	caPEM, err := os.ReadFile(sb.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	loads := 0
	var roots *x509.CertPool
	defer func(old func() (*x509.CertPool, error)) { systemRoots = old }(systemRoots)
	systemRoots = func() (*x509.CertPool, error) { loads++; return roots, nil }
	ctx := context.Background()
	dsn := strings.Replace(sb.DSN(""), "127.0.0.1", "localhost", 1)
	try := func(mode string, bundle []byte) error {
		conn, err := Connect(ctx, Options{DSN: strings.Replace(dsn, "sslmode=disable", "sslmode="+mode, 1), CABundle: bundle})
		if err == nil {
			conn.Close(ctx)
		}
		return err
	}

	roots = x509.NewCertPool()
	err = try("verify-full", nil)
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) || !strings.Contains(err.Error(), "rolekeeper sandbox CA") {
		t.Fatalf("a CA in neither the RDS bundle nor the system roots: %v", err)
	}
	roots.AppendCertsFromPEM(caPEM)
	for _, mode := range []string{"verify-full", "verify-ca"} {
		if err := try(mode, nil); err != nil {
			t.Fatalf("%s with the CA among the system roots: %v", mode, err)
		}
	}
	loads = 0
	if err := try("verify-full", caPEM); err != nil || loads != 0 {
		t.Fatalf("with the CA given as the bundle: %v (system roots loaded %d times)", err, loads)
	}
	// The name is still checked: the certificate names localhost and
	// 127.0.0.1, not ::1 (dialled to the sandbox all the same).
	wrongName := strings.Replace(strings.Replace(dsn, "sslmode=disable", "sslmode=verify-full", 1), "localhost", "[::1]", 1)
	toSandbox := func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, net.JoinHostPort("127.0.0.1", strconv.Itoa(sb.Port)))
	}
	var host x509.HostnameError
	if _, err := Connect(ctx, Options{DSN: wrongName, CABundle: caPEM, Dial: toSandbox}); !errors.As(err, &host) {
		t.Fatalf("verify-full with a name the certificate lacks: %v", err)
	}
	roots.AppendCertsFromPEM(caPEM)
	if _, err := Connect(ctx, Options{DSN: wrongName, Dial: toSandbox}); !errors.As(err, &host) {
		t.Fatalf("verify-full through the system roots with a name the certificate lacks: %v", err)
	}
}
