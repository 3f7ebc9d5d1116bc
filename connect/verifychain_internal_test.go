package connect

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"testing"
	"time"
)

// testCert makes a certificate signed by parent (nil: self-signed) with
// its own key, valid from notBefore to notAfter.
type testCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func makeCert(t *testing.T, cn string, ca bool, parent *testCert, notBefore, notAfter time.Time, eku []x509.ExtKeyUsage, names ...string) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		BasicConstraintsValid: true,
		IsCA:                  ca,
		ExtKeyUsage:           eku,
	}
	if ca {
		tmpl.KeyUsage = x509.KeyUsageCertSign
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	signer, signKey := tmpl, key
	if parent != nil {
		signer, signKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{cert: c, key: key}
}

// TestVerifyChainOnEveryPath: whether a chain ends at a root of the pool
// given (the RDS CAs and the bundle) or at a system root, verify-full
// refuses a certificate for another name, and both modes refuse an
// expired leaf or intermediate, a certificate not for servers, and a
// chain ending at neither; verify-ca ("" as the name) accepts any name.
// A failure on the system roots' path reports that failure, not the
// unknown issuer of the first try.
func TestVerifyChainOnEveryPath(t *testing.T) {
	now := time.Now()
	from, to := now.Add(-time.Hour), now.Add(time.Hour)
	server := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	root := makeCert(t, "test root", true, nil, from, to, nil)
	inter := makeCert(t, "test intermediate", true, root, from, to, nil)
	oldInter := makeCert(t, "expired intermediate", true, root, now.Add(-2*time.Hour), now.Add(-time.Minute), nil)
	leaf := makeCert(t, "db", false, inter, from, to, server, "db.example.com", "10.0.0.1")
	expired := makeCert(t, "db", false, inter, now.Add(-2*time.Hour), now.Add(-time.Minute), server, "db.example.com")
	underOld := makeCert(t, "db", false, oldInter, from, to, server, "db.example.com")
	clientOnly := makeCert(t, "db", false, inter, from, to, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, "db.example.com")
	strangerRoot := makeCert(t, "stranger root", true, nil, from, to, nil)
	stranger := makeCert(t, "db", false, strangerRoot, from, to, server, "db.example.com")

	pool := func(cs ...*testCert) *x509.CertPool {
		p := x509.NewCertPool()
		for _, c := range cs {
			p.AddCert(c.cert)
		}
		return p
	}
	defer func(old func() (*x509.CertPool, error)) { systemRoots = old }(systemRoots)
	for _, path := range []string{"given pool", "system roots"} {
		given, sys := pool(root), pool()
		if path == "system roots" {
			given, sys = pool(makeCert(t, "unrelated RDS-like CA", true, nil, from, to, nil)), pool(root)
		}
		systemRoots = func() (*x509.CertPool, error) { return sys, nil }
		check := func(what string, chain []*testCert, name string, want func(error) bool) {
			t.Helper()
			var certs []*x509.Certificate
			for _, c := range chain {
				certs = append(certs, c.cert)
			}
			if err := verifyChain(certs, name, given); !want(err) {
				t.Errorf("%s, %s: %v", path, what, err)
			}
		}
		ok := func(err error) bool { return err == nil }
		hostErr := func(err error) bool { var e x509.HostnameError; return errors.As(err, &e) }
		invalid := func(reason x509.InvalidReason) func(error) bool {
			return func(err error) bool {
				var e x509.CertificateInvalidError
				return errors.As(err, &e) && e.Reason == reason
			}
		}
		unknown := func(err error) bool { var e x509.UnknownAuthorityError; return errors.As(err, &e) }
		usage := func(err error) bool {
			var e x509.CertificateInvalidError
			return errors.As(err, &e) && e.Reason == x509.IncompatibleUsage
		}

		check("verify-full, the right name", []*testCert{leaf, inter}, "db.example.com", ok)
		check("verify-full, the right IP address", []*testCert{leaf, inter}, "10.0.0.1", ok)
		check("verify-full, another name", []*testCert{leaf, inter}, "other.example.com", hostErr)
		check("verify-full, another IP address", []*testCert{leaf, inter}, "10.0.0.2", hostErr)
		check("verify-ca, any name", []*testCert{leaf, inter}, "", ok)
		check("verify-ca, no intermediate sent", []*testCert{leaf}, "", unknown)
		for _, name := range []string{"db.example.com", ""} {
			check("expired leaf ("+name+")", []*testCert{expired, inter}, name, invalid(x509.Expired))
			check("expired intermediate ("+name+")", []*testCert{underOld, oldInter}, name, invalid(x509.Expired))
			check("client certificate ("+name+")", []*testCert{clientOnly, inter}, name, usage)
			check("a root trusted nowhere ("+name+")", []*testCert{stranger}, name, unknown)
		}
	}
}
