package awscall

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	smsdk "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	ssmsdk "github.com/aws/aws-sdk-go-v2/service/ssm"
)

// TestRegionalEndpointsAreTheSDKs: for a region of each partition of the
// SDK's partitions.json (aws-sdk-go-v2@v1.48.0
// internal/endpoints/awsrulesfn/partitions.json: aws, aws-cn, aws-eusc,
// aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-us-gov), the regional
// endpoint of each service is the one the generated client's endpoint
// rules resolve (the generated clients are test-only dependencies).
func TestRegionalEndpointsAreTheSDKs(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL_SSM", "")
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", "")
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "")
	ctx := context.Background()
	sdk := map[Service]func(region string) (string, error){
		SecretsManager: func(r string) (string, error) {
			e, err := smsdk.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx, smsdk.EndpointParameters{Region: aws.String(r)})
			return e.URI.String(), err
		},
		SSM: func(r string) (string, error) {
			e, err := ssmsdk.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx, ssmsdk.EndpointParameters{Region: aws.String(r)})
			return e.URI.String(), err
		},
		Lambda: func(r string) (string, error) {
			e, err := lambdasdk.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx, lambdasdk.EndpointParameters{Region: aws.String(r)})
			return e.URI.String(), err
		},
	}
	regions := []string{"us-east-1", "eu-west-1", "ap-southeast-5", "il-central-1", "cn-north-1", "cn-northwest-1", "eusc-de-east-1",
		"us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1", "us-isof-south-1", "us-gov-west-1", "us-gov-east-1"}
	for svc, resolve := range sdk {
		for _, r := range regions {
			want, err := resolve(r)
			if err != nil {
				t.Fatalf("%s %s: the SDK: %v", svc.Name, r, err)
			}
			if got, err := endpointOf(aws.Config{Region: r}, svc); err != nil || got != want {
				t.Errorf("%s in %s: %q (%v), the SDK's %q", svc.Name, r, got, err, want)
			}
		}
	}
}
