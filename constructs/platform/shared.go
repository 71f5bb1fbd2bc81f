package platform

import (
	"fmt"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/bucket"
	"github.com/influencegen/infrastructure/constructs/cicd"
	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/models"
	"github.com/influencegen/infrastructure/constructs/registry"
	"github.com/influencegen/infrastructure/environments"
)

// RepositoryName is the ECR repository name of an image: "<project>/<image>".
func RepositoryName(a environments.Account, image string) string {
	return a.Project + "/" + image
}

// RepositoryArn is the ARN of an image's repository in the shared stack's
// region (the primary region).
func RepositoryArn(partition string, a environments.Account, image string) string {
	return fmt.Sprintf("arn:%s:ecr:%s:%s:repository/%s", partition, a.PrimaryRegion, accountOrRef(a), RepositoryName(a, image))
}

// accountOrRef returns the configured account ID, or a wildcard when the
// account guard is off (the repository name still pins the resource).
func accountOrRef(a environments.Account) string {
	if strings.TrimSpace(a.ID) == "" {
		return "*"
	}
	return a.ID
}

// SharedStackName is the account-wide stack: ECR and the CI/CD roles.
const SharedStackName = "shared-stack"

// SharedStateKey is the shared stack's state object.
const SharedStateKey = "shared/terraform.tfstate"

// NewSharedStack builds the account-wide stack in the primary region: the
// ECR repositories every environment pulls from (one image digest promoted
// dev → staging → production), the GitHub OIDC deploy and plan roles, and
// each environment's permissions boundary (the environment stacks reference
// it by name, so this stack is applied before them).
func NewSharedStack(scope constructs.Construct, a environments.Account, envs []environments.ParityConfig) cdktf.TerraformStack {
	stack := stackBase(scope, SharedStackName, a.PrimaryRegion, "shared", a)
	s3Backend(stack, a, SharedStateKey)
	info := envinfo.New(stack, a.Project, "shared", a.PrimaryRegion)
	var specs []registry.Spec
	for _, image := range environments.Images {
		specs = append(specs, registry.Spec{ID: image, Name: RepositoryName(a, image)})
	}
	repos := registry.New(stack, "ecr", registry.Props{Info: info, Repositories: specs})
	var cenvs []cicd.Environment
	for _, e := range envs {
		ce := cicd.Environment{Name: e.Identity.Name, Region: e.Region, StateKey: e.Identity.StateKey, PlanAccess: PlanAccess(e.Kind)}
		if e.Scale.BackupCopy {
			ce.CopyRegion = a.BackupCopyRegion
		}
		// The deploy preflight reads the model manifests (scripts/preflight.sh, models).
		ei := info.Of(e.Identity.Name, e.Region)
		manifests := bucket.Reference(ei, models.BucketName(ei), "ModelManifests", models.DataKeyAlias(ei))
		ce.PlanReads = cicd.PlanReads{
			Objects:    []string{models.ManifestsArn(ei)},
			Statements: manifests.Grant(bucket.Access{Read: []string{environments.BaseModelsPrefix + "*/manifest.json"}}),
		}
		cenvs = append(cenvs, ce)
	}
	roles := cicd.New(stack, "github", cicd.Props{
		Info:            info,
		Repository:      a.Repository,
		StateBucket:     a.StateBucket,
		StateRegion:     a.StateRegion,
		StateKMSAlias:   a.StateKMSAlias,
		Environments:    cenvs,
		AllEnvironments: environments.Names(envs),
	})
	regions := map[string]string{}
	for _, e := range envs {
		regions[e.Identity.Name] = e.Region
	}
	var promotions []models.Promotion
	for _, target := range environments.Names(envs) {
		if src := a.ModelSource(target); src != "" {
			promotions = append(promotions, models.Promotion{Target: target, Source: src, TargetRegion: regions[target], SourceRegion: regions[src]})
		}
	}
	promoters := models.NewPromoters(stack, "model-promotion", info, promotions)
	urls := map[string]string{}
	for _, r := range repos {
		urls[r.Name] = r.URL
	}
	output(stack, "ecr_repository_urls", "ECR repository URLs by name (push with scripts/push_images.sh)", urls)
	output(stack, "deploy_role_arns", "GitHub Actions deploy role per environment (AWS_DEPLOY_ROLE_ARN)", roles.Deploy)
	output(stack, "plan_role_arns", "GitHub Actions read-only plan role per environment (repository variable AWS_PLAN_ROLE_ARNS, as JSON)", roles.Plan)
	output(stack, "boundary_policy_arns", "Permissions boundary every IAM role of an environment must carry", roles.Boundary)
	output(stack, "model_promoter_role_arns", "Role that promotes model versions into an environment from its Account.ModelSources (scripts/models.sh promote), by environment", promoters)
	return stack
}

// PlanAccess says who may assume an environment's plan role besides the
// main branch's jobs: any pull request for a sandbox, pull-request jobs
// approved in the GitHub environment "<env>-plan" for a parity environment
// (staging: its state holds secrets as good as production's in kind), and
// nobody else for the reference environment (production).
func PlanAccess(k environments.Kind) cicd.PlanAccess {
	switch k {
	case environments.Sandbox:
		return cicd.PlansFromAnyPullRequest
	case environments.Parity:
		return cicd.PlansThroughGitHubEnvironment
	default:
		return cicd.PlansFromMainOnly
	}
}
