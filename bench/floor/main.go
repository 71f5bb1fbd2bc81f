// Command floor is the benchmark floor for scripts/bench-synth.sh: a cdktf app
// with the same dependencies as the real one and a single resource, so the
// ratio real/floor measures what our constructs cost on top of jsii start-up.
package main

import (
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/provider"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucket"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

func main() {
	app := cdktf.NewApp(nil)
	stack := cdktf.NewTerraformStack(app, jsii.String("floor-stack"))
	provider.NewAwsProvider(stack, jsii.String("aws"), &provider.AwsProviderConfig{Region: jsii.String("eu-west-1")})
	s3bucket.NewS3Bucket(stack, jsii.String("bucket"), &s3bucket.S3BucketConfig{Bucket: jsii.String("floor-bucket")})
	app.Synth()
	// As the real app does (jsiiruntime.Close): stop Node.js and remove the
	// jsii temporary directories, so both sides of the ratio pay for it.
	jsii.Close()
}
