package credentials

import "strings"

// ssmSecretReference is the SSM parameter path prefix that reads a
// Secrets Manager secret through SSM (what template-infra's
// DB_PASSWORD_PARAM_NAME holds).
const ssmSecretReference = "/aws/reference/secretsmanager/"

// SecretNames returns the names a Secrets Manager secret may be known by:
// its name as given, and for an ARN
// (arn:aws:secretsmanager:region:account:secret:NAME-AbCdEf) the name
// with and without the six-character suffix AWS adds; an SSM reference
// (/aws/reference/secretsmanager/ID) stands for its ID.
func SecretNames(id string) []string {
	id = strings.TrimPrefix(id, ssmSecretReference)
	const marker = ":secret:"
	i := strings.Index(id, marker)
	if !strings.HasPrefix(id, "arn:") || i < 0 {
		return []string{id}
	}
	name := id[i+len(marker):]
	out := []string{id, name}
	if j := strings.LastIndexByte(name, '-'); j > 0 && len(name)-j-1 == 6 {
		out = append(out, name[:j])
	}
	return out
}

// SameSecret reports whether two secret identifiers (names, ARNs or SSM
// references to them) may name the same secret.
func SameSecret(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	for _, x := range SecretNames(a) {
		for _, y := range SecretNames(b) {
			if x == y {
				return true
			}
		}
	}
	return false
}
