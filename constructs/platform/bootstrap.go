package platform

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/statebackend"
	"github.com/influencegen/infrastructure/environments"
)

// BootstrapLocalStatePath is where the state-bootstrap stack keeps its state
// until it is migrated into the bucket: the repository root, relative to
// cdktf.out/stacks/state-bootstrap where Terraform runs. *.tfstate is
// git-ignored.
const BootstrapLocalStatePath = "../../../terraform.state-bootstrap.tfstate"

// NewBootstrapStack builds the stack that creates the state bucket.
//
// The bucket cannot hold the state of the stack that creates it before it
// exists, so the stack starts on a local backend. Once it is deployed,
// scripts/bootstrap_state.sh sets Account.StateBootstrapped and runs
// `terraform init -migrate-state`, and from then on this stack's state lives
// at bootstrap/terraform.tfstate in the bucket like every other stack's.
func NewBootstrapStack(scope constructs.Construct, a environments.Account) cdktf.TerraformStack {
	stack := stackBase(scope, BootstrapStackName, a.StateRegion, "shared", a)
	if a.StateBootstrapped {
		s3Backend(stack, a, environments.BootstrapStateKey)
	} else {
		cdktf.NewLocalBackend(stack, &cdktf.LocalBackendConfig{Path: jsii.String(BootstrapLocalStatePath)})
	}
	info := envinfo.New(stack, a.Project, "tfstate", a.StateRegion)
	sb := statebackend.New(stack, "state", statebackend.Props{
		Info:     info,
		Bucket:   a.StateBucket,
		KMSAlias: a.StateKMSAlias,
	})
	output(stack, "state_bucket", "S3 bucket holding every stack's Terraform state", sb.BucketName)
	output(stack, "state_kms_key_arn", "KMS key encrypting the Terraform state", sb.KeyArn)
	return stack
}
