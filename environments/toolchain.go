package environments

// The versions that plan and deploy the stacks, pinned once. The stacks
// require exactly AWSProviderVersion; `make plan` plans with it (from the
// provider mirror, or the registry on a user's machine) and refuses any
// other; the workflows install TerraformVersion. Tests hold every other
// place that names one of them (workflows, README) to these constants.
const (
	// TerraformVersion is the Terraform release the workflows install and
	// the tests run with.
	TerraformVersion = "1.11.4"
	// RequiredTerraform is every stack's Terraform constraint: 1.10 brought
	// S3-native state locking (use_lockfile).
	RequiredTerraform = ">= 1.10"
	// AWSProviderVersion is the hashicorp/aws release every stack requires,
	// exactly. The Go bindings (cdktf-provider-aws-go v19.54.0) are generated
	// from 5.88.0; a newer 5.x keeps their schema (the provider's minor
	// releases are backward compatible), and 5.100.0 is the release the
	// provider mirror of the development machines carries, so the provider
	// that is planned is the provider that deploys.
	AWSProviderVersion = "5.100.0"
	// SessionManagerPluginVersion is the AWS Session Manager plugin release
	// the deploy workflow installs on the runner: Ansible's aws_ssm
	// connection starts it for every session.
	// ansible/tests/ssm/session-manager-plugin stands in for it in the tests,
	// with the behaviour of this release's source. (The Ansible collections
	// are pinned in ansible/requirements.yml.)
	SessionManagerPluginVersion = "1.2.677.0"
)
