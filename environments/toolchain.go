package environments

// The versions that plan and deploy the stacks, pinned once. The stacks
// require exactly AWSProviderVersion; `make plan` plans with it (from the
// provider mirror, or the registry on a user's machine) and refuses any
// other; the workflows install TerraformVersion and the Ansible versions
// below (the collections are pinned in ansible/requirements.yml). Tests
// hold every other place that names one of them (workflows, README) to
// these constants, and `make rehearse` fails when the Ansible the tests
// run is not these versions.
const (
	// TerraformVersion is the Terraform release the workflows install and
	// the tests run with.
	TerraformVersion = "1.11.4"
	// RequiredTerraform is every stack's Terraform constraint: 1.10 brought
	// S3-native state locking (use_lockfile) and ephemeral resources, 1.11
	// write-only arguments (the generated secrets never enter the state or
	// a saved plan: constructs/secrets).
	RequiredTerraform = ">= 1.11"
	// AWSProviderVersion is the hashicorp/aws release every stack requires,
	// exactly. The Go bindings (cdktf-provider-aws-go v19.54.0) are generated
	// from 5.88.0; a newer 5.x keeps their schema (the provider's minor
	// releases are backward compatible), and 5.100.0 is the release the
	// provider mirror of the development machines carries, so the provider
	// that is planned is the provider that deploys.
	AWSProviderVersion = "5.100.0"
	// AnsibleCoreVersion is the ansible-core release the deploy job
	// installs: the one the Ansible tests run (Debian 12's ansible-core).
	AnsibleCoreVersion = "2.14.18"
	// AnsiblePythonVersion is the Python the deploy job installs Ansible
	// into: ansible-core 2.14 supports controller Python 3.9 to 3.11, and
	// the runner image's own Python is 3.12. Debian 12's is 3.11.
	AnsiblePythonVersion = "3.11"
	// Boto3Version and BotocoreVersion are what the aws_ec2 inventory, the
	// aws_ssm connection and the aws_secret lookups run on (Debian 12's
	// python3-boto3 and python3-botocore, which the tests use).
	Boto3Version    = "1.26.27"
	BotocoreVersion = "1.29.27"
	// SessionManagerPluginVersion is the AWS Session Manager plugin release
	// the deploy workflow installs on the runner: Ansible's aws_ssm
	// connection starts it for every session.
	// ansible/tests/ssm/session-manager-plugin stands in for it in the tests,
	// with the behaviour of this release's source. (The Ansible collections
	// are pinned in ansible/requirements.yml.)
	SessionManagerPluginVersion = "1.2.677.0"
)
