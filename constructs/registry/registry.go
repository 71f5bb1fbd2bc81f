// Package registry creates the account-wide ECR repositories. One registry
// serves every environment, so the image digest tested in dev and staging is
// the one production runs: promotion changes a digest in the Ansible vars,
// never rebuilds an image.
//
// Repositories: immutable tags, scan on push, encrypted with their own
// rotating KMS key, and a lifecycle policy that expires untagged images
// after 14 days and keeps the newest 100 tagged ones.
package registry

import (
	"encoding/json"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/ecrlifecyclepolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/ecrrepository"

	"github.com/influencegen/infrastructure/constructs/encryption"
	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/policy"
)

// Props configures the registry.
type Props struct {
	// Info is the account-level context (Env "shared").
	Info envinfo.Info
	// Repositories are the repositories to create.
	Repositories []Spec
	// KeepTaggedImages is how many tagged images each repository keeps.
	// Default: 100.
	KeepTaggedImages int
}

// Spec names one repository: ID is its construct ID (stable across
// projects), Name the repository name, e.g. "influencegen/odoo".
type Spec struct{ ID, Name string }

// Repository is one ECR repository.
type Repository struct {
	// Name is the repository name; URL is what docker push/pull uses.
	Name, URL, Arn string
}

// New creates the repositories and their key.
func New(scope constructs.Construct, id string, p Props) []Repository {
	c := constructs.NewConstruct(scope, jsii.String(id))
	i := p.Info
	keep := p.KeepTaggedImages
	if keep == 0 {
		keep = 100
	}
	key := encryption.NewKey(c, encryption.KeyProps{
		Info: i, ID: "key", AliasID: "key-alias", Alias: i.Name("ecr"),
		Description:        "ECR repositories of " + i.Project,
		DeletionWindowDays: 30,
		Statements: []policy.Statement{encryption.UseThroughServices(i, "UseThroughECR",
			append(append([]string{}, encryption.KeyUse...), "kms:CreateGrant"), "ecr")},
	})
	lifecycle, _ := json.Marshal(map[string]any{"rules": []map[string]any{
		{
			"rulePriority": 1,
			"description":  "expire untagged images after 14 days",
			"selection":    map[string]any{"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
			"action":       map[string]string{"type": "expire"},
		},
		{
			"rulePriority": 2,
			"description":  "keep the newest tagged images",
			"selection":    map[string]any{"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
			"action":       map[string]string{"type": "expire"},
		},
	}})
	var out []Repository
	for _, spec := range p.Repositories {
		cid, name := spec.ID, spec.Name
		r := ecrrepository.NewEcrRepository(c, jsii.String(cid), &ecrrepository.EcrRepositoryConfig{
			Name:                       jsii.String(name),
			ImageTagMutability:         jsii.String("IMMUTABLE"),
			ImageScanningConfiguration: &ecrrepository.EcrRepositoryImageScanningConfiguration{ScanOnPush: jsii.Bool(true)},
			EncryptionConfiguration: []ecrrepository.EcrRepositoryEncryptionConfiguration{{
				EncryptionType: jsii.String("KMS"),
				KmsKey:         jsii.String(key.Arn),
			}},
			Tags: i.Tags(name),
		})
		ecrlifecyclepolicy.NewEcrLifecyclePolicy(c, jsii.String(cid+"-lifecycle"), &ecrlifecyclepolicy.EcrLifecyclePolicyConfig{
			Repository: r.Name(),
			Policy:     jsii.String(string(lifecycle)),
		})
		out = append(out, Repository{Name: name, URL: *r.RepositoryUrl(), Arn: *r.Arn()})
	}
	return out
}

// PullActions are the layer reads a pull needs on a repository (GrantPull;
// the deploy roles' permissions boundary allows no more).
var PullActions = []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"}

// GrantPull returns the statements that let a role pull images from the
// repositories: the registry login (GetAuthorizationToken has no resource
// ARN) and the layer reads on these repositories only.
func GrantPull(repositoryArns ...string) []policy.Statement {
	return []policy.Statement{
		policy.Allow("EcrLogin", []string{"ecr:GetAuthorizationToken"}, []string{"*"}),
		policy.Allow("PullImages", PullActions, repositoryArns),
	}
}
