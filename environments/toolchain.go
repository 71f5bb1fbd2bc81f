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
)
