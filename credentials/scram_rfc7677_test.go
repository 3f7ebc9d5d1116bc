package credentials_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/credentials"
)

// TestScramVerifierMatchesRFC7677: the verifier computed for RFC 7677's
// example (user "user", password "pencil", its salt, 4096 iterations)
// proves the exchange printed in the RFC, section 3: the server key signs
// the RFC's server-final-message, and the stored key accepts the RFC's
// client proof. A verifier PostgreSQL could not use would fail both.
func TestScramVerifierMatchesRFC7677(t *testing.T) {
	const (
		salt            = "W22ZaJ0SNY7soEsUEjb6gQ=="
		clientFirstBare = "n=user,r=rOprNGfwEbeRWgbNEkqO"
		serverFirst     = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
		clientFinalBare = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
		clientProof     = "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
		serverSignature = "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
	)
	rawSalt, _ := base64.StdEncoding.DecodeString(salt)
	v, err := credentials.ScramVerifier("pencil", rawSalt)
	if err != nil {
		t.Fatal(err)
	}
	// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
	head, keys, ok := strings.Cut(strings.TrimPrefix(v, "SCRAM-SHA-256$"), "$")
	if !ok || head != "4096:"+salt {
		t.Fatalf("verifier %q: want iterations 4096 and the RFC's salt", v)
	}
	stored64, server64, _ := strings.Cut(keys, ":")
	storedKey, _ := base64.StdEncoding.DecodeString(stored64)
	serverKey, _ := base64.StdEncoding.DecodeString(server64)
	authMessage := clientFirstBare + "," + serverFirst + "," + clientFinalBare

	if got := base64.StdEncoding.EncodeToString(hmacSHA256(serverKey, authMessage)); got != serverSignature {
		t.Errorf("server signature %s, RFC 7677 says %s", got, serverSignature)
	}
	// The server's check of the client proof: ClientKey = proof XOR
	// HMAC(StoredKey, AuthMessage), and H(ClientKey) must be StoredKey.
	proof, _ := base64.StdEncoding.DecodeString(clientProof)
	sig := hmacSHA256(storedKey, authMessage)
	clientKey := make([]byte, len(proof))
	for i := range proof {
		clientKey[i] = proof[i] ^ sig[i]
	}
	if h := sha256.Sum256(clientKey); !hmac.Equal(h[:], storedKey) {
		t.Error("the stored key does not accept RFC 7677's client proof")
	}
}

func hmacSHA256(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}
