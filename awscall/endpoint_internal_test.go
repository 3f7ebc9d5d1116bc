package awscall

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestEndpointOrder: the service's variable, then the configuration's
// base endpoint, then the regional endpoint in the region's partition;
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS leaves the variable out; no region
// and no endpoint is a clear error.
func TestEndpointOrder(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL_SSM", "")
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "")
	for region, want := range map[string]string{
		"eu-west-1":      "https://ssm.eu-west-1.amazonaws.com",
		"cn-north-1":     "https://ssm.cn-north-1.amazonaws.com.cn",
		"us-gov-west-1":  "https://ssm.us-gov-west-1.amazonaws.com",
		"us-iso-east-1":  "https://ssm.us-iso-east-1.c2s.ic.gov",
		"us-isob-east-1": "https://ssm.us-isob-east-1.sc2s.sgov.gov",
	} {
		if got, err := endpointOf(aws.Config{Region: region}, SSM); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", region, got, err, want)
		}
	}
	base := aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String("http://localhost:4566")}
	if got, _ := endpointOf(base, SSM); got != "http://localhost:4566" {
		t.Errorf("base endpoint: %q", got)
	}
	t.Setenv("AWS_ENDPOINT_URL_SSM", "http://ssm.local")
	if got, _ := endpointOf(base, SSM); got != "http://ssm.local" {
		t.Errorf("service variable: %q", got)
	}
	if got, _ := endpointOf(base, Lambda); got != "http://localhost:4566" {
		t.Errorf("another service's variable was used: %q", got)
	}
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
	if got, _ := endpointOf(base, SSM); got != "http://localhost:4566" {
		t.Errorf("ignored variable was used: %q", got)
	}
	if _, err := endpointOf(aws.Config{}, SSM); err == nil || !strings.Contains(err.Error(), "no AWS region is configured") {
		t.Errorf("no region: %v", err)
	}
}
