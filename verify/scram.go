package verify

import "github.com/rolekeeper/rolekeeper/credentials"

// scramLiteral returns the SQL literal of a password's SCRAM verifier.
func scramLiteral(password string) string {
	v, err := credentials.ScramVerifier(password, nil)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return "'" + v + "'"
}
