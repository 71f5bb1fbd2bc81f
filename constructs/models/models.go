// Package models builds what brings models to the GPU servers, each part
// with the one principal that does it:
//
//   - the quantization host (NewQuantizer), an on-demand GPU server that
//     exists only while Scale.QuantizationHost is set: it downloads the base
//     model from Hugging Face with the token it alone may read, quantizes
//     the transformer, and writes the version under models/base/;
//   - the LoRA publisher role (NewLoRAPublisher): writes and withdraws
//     adapters under models/loras/ and reads what the servers report under
//     models/status/;
//   - the promotion roles of shared-stack (NewPromoters): one per
//     environment that promotes from another (Account.ModelSources), which
//     may read the source's versions and write the target's, nothing else.
//
// The GPU servers themselves read models/ and write their own reports
// under models/status/ (their tier row, environments.DefaultTiers).
// scripts/models.sh drives all of it; docs/runbooks/models.md says when.
package models

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrole"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicy"

	"github.com/influencegen/infrastructure/constructs/bucket"
	"github.com/influencegen/infrastructure/constructs/compute"
	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/policy"
	"github.com/influencegen/infrastructure/constructs/registry"
	"github.com/influencegen/infrastructure/constructs/secrets"
	"github.com/influencegen/infrastructure/environments"
)

// BucketName is the model bucket of an environment:
// "<project>-<env>-models-<account>". The environment stack creates it;
// shared-stack names it in the promotion roles' grants.
func BucketName(i envinfo.Info) string { return i.Name("models-" + i.AccountID) }

// BucketLabel names the model bucket in grants' statement IDs.
const BucketLabel = "Models"

// DataKeyAlias is the alias (without "alias/") of an environment's data
// key, which encrypts its model bucket (constructs/encryption).
func DataKeyAlias(i envinfo.Info) string { return i.Name("data") }

// ManifestsArn is the ARN pattern of an environment's model-version
// manifests: the deploy preflight reads them with the read-only plan role,
// which reads no other object of the bucket.
func ManifestsArn(i envinfo.Info) string {
	return "arn:" + i.Partition + ":s3:::" + BucketName(i) + "/" + environments.BaseModelsPrefix + "*/manifest.json"
}

// QuantizerProps configures the quantization host.
type QuantizerProps struct {
	// Placement is where the environment's servers run.
	Placement compute.Placement
	// Settings are its instance type and root volume (Models.Quantizer).
	Settings environments.ServerSettings
	// Bucket is the model bucket.
	Bucket bucket.Bucket
	// Token is the Hugging Face token secret (HuggingFaceTokenSecret).
	Token secrets.Secret
	// ImageRepositoryArn is the model server's ECR repository: the host
	// fetches and quantizes with the image the servers run.
	ImageRepositoryArn string
}

// NewQuantizer creates the quantization host: one GPU server (the compute
// construct: IMDSv2, encrypted root, no public IP, the environment's
// permissions boundary, Session Manager) tagged Role=ai-quantizer and
// AnsibleGroup=ai_quantizers, in a security group with no ingress, whose
// role may read the Hugging Face token, pull the model server image, and
// read and write model versions (models/base/) — no adapter, no report.
// Call it only with Scale.QuantizationHost: ScaleKeys lists its construct
// path, "models_quantizer", as existing only then.
func NewQuantizer(scope constructs.Construct, id string, p QuantizerProps) *compute.Group {
	c := constructs.NewConstruct(scope, jsii.String(id))
	sg := p.Placement.SecurityGroup(c, "sg", environments.QuantizerRole, "quantization host: no ingress; HTTPS out to Hugging Face, ECR and S3")
	var grants []policy.Statement
	grants = append(grants, p.Token.GrantRead()...)
	grants = append(grants, p.Bucket.Grant(bucket.Access{Write: []string{environments.BaseModelsPrefix}})...)
	grants = append(grants, registry.GrantPull(p.ImageRepositoryArn)...)
	return compute.New(c, "server", compute.Props{
		Placement:      p.Placement,
		Role:           environments.QuantizerRole,
		AnsibleGroup:   environments.QuantizerAnsibleGroup,
		Count:          1,
		InstanceType:   p.Settings.InstanceType,
		RootVolumeGB:   p.Settings.RootVolumeGB,
		SecurityGroup:  sg,
		Grants:         grants,
		OfferedZoneIDs: compute.OfferedZones(c, "offerings", p.Settings.InstanceType),
	})
}

// LoRAPublisherName is the LoRA publisher role of an environment:
// "<project>-<env>-lora-publisher".
func LoRAPublisherName(i envinfo.Info) string { return i.Name("lora-publisher") }

// NewLoRAPublisher creates the role that publishes and withdraws LoRA
// adapters: it may write and delete objects under models/loras/ and read
// the servers' reports under models/status/ (to wait until every server
// serves a change), nothing else. Principals of the account assume it as
// far as their own policies allow (policy.AssumeRoleByAccount); it carries
// the environment's permissions boundary. It returns the role's ARN.
func NewLoRAPublisher(scope constructs.Construct, id string, i envinfo.Info, models bucket.Bucket) string {
	c := constructs.NewConstruct(scope, jsii.String(id))
	name := LoRAPublisherName(i)
	role := iamrole.NewIamRole(c, jsii.String("role"), &iamrole.IamRoleConfig{
		Name:                jsii.String(name),
		Description:         jsii.String("InfluenceGen " + i.Env + ": publishes and withdraws LoRA adapters (scripts/models.sh lora)"),
		AssumeRolePolicy:    jsii.String(policy.AssumeRoleByAccount(i.RootArn())),
		PermissionsBoundary: jsii.String(i.BoundaryArn()),
		MaxSessionDuration:  jsii.Number(3600),
		Tags:                i.Tags(name),
	})
	grants := models.Grant(bucket.Access{
		Read:   []string{environments.ModelStatusPrefix},
		Write:  []string{environments.LoRAsPrefix},
		Delete: []string{environments.LoRAsPrefix},
	})
	iamrolepolicy.NewIamRolePolicy(c, jsii.String("policy"), &iamrolepolicy.IamRolePolicyConfig{
		Name:   jsii.String("lora-publisher"),
		Role:   role.Id(),
		Policy: jsii.String(policy.Document{Statements: grants}.JSON()),
	})
	return *role.Arn()
}

// Promotion is one environment promoting model versions from another.
type Promotion struct {
	// Target is the environment that receives versions, Source the one
	// they come from (Account.ModelSources).
	Target, Source string
	// TargetRegion and SourceRegion are their regions.
	TargetRegion, SourceRegion string
}

// PromoterName is the role that promotes model versions into env:
// "<project>-promote-models-to-<env>". It is not "<project>-<env>-…": it
// lives in shared-stack, outside the environment's permissions boundary
// (which denies every other environment's buckets), and the environment's
// deploy role may not change it.
func PromoterName(project, env string) string { return project + "-promote-models-to-" + env }

// NewPromoters creates one role per promotion, in shared-stack (i is its
// Info): it may read the source's model versions (models/base/) and write
// the target's, through each bucket's data key, found by alias. Nothing
// else: no adapter, no delete, no other environment. It returns the role
// ARNs by target environment.
func NewPromoters(scope constructs.Construct, id string, i envinfo.Info, promotions []Promotion) map[string]string {
	c := constructs.NewConstruct(scope, jsii.String(id))
	out := map[string]string{}
	for _, p := range promotions {
		src, dst := i.Of(p.Source, p.SourceRegion), i.Of(p.Target, p.TargetRegion)
		from := bucket.Reference(src, BucketName(src), "Source"+BucketLabel, DataKeyAlias(src))
		to := bucket.Reference(dst, BucketName(dst), "Target"+BucketLabel, DataKeyAlias(dst))
		name := PromoterName(i.Project, p.Target)
		role := iamrole.NewIamRole(c, jsii.String(p.Target), &iamrole.IamRoleConfig{
			Name:               jsii.String(name),
			Description:        jsii.String("InfluenceGen: copies model versions from " + p.Source + " to " + p.Target + " (scripts/models.sh promote)"),
			AssumeRolePolicy:   jsii.String(policy.AssumeRoleByAccount(i.RootArn())),
			MaxSessionDuration: jsii.Number(3600 * 4),
			Tags:               i.Tags(name),
		})
		var st []policy.Statement
		st = append(st, from.Grant(bucket.Access{Read: []string{environments.BaseModelsPrefix}})...)
		st = append(st, to.Grant(bucket.Access{Write: []string{environments.BaseModelsPrefix}})...)
		iamrolepolicy.NewIamRolePolicy(c, jsii.String(p.Target+"-policy"), &iamrolepolicy.IamRolePolicyConfig{
			Name:   jsii.String("promote-models"),
			Role:   role.Id(),
			Policy: jsii.String(policy.Document{Statements: st}.JSON()),
		})
		out[p.Target] = *role.Arn()
	}
	return out
}
