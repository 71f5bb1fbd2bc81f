// Package bucket creates S3 buckets that are private and encrypted by
// default: versioning, SSE-KMS with a bucket key (or SSE-S3 where an AWS
// service cannot write with KMS), every public-access block on,
// BucketOwnerEnforced, a TLS-only bucket policy and lifecycle rules.
package bucket

import (
	"fmt"
	"slices"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucket"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketlifecycleconfiguration"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketownershipcontrols"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketpolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketpublicaccessblock"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketserversideencryptionconfiguration"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketversioning"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/policy"
)

// Props configures a bucket.
type Props struct {
	// Info is the environment the bucket belongs to (grants name its
	// region's S3 endpoint).
	Info envinfo.Info
	// Name is the globally unique bucket name.
	Name string
	// Label names the bucket in grants' statement IDs, e.g. "Backups".
	// Default: "Bucket".
	Label string
	// KMSKeyArn encrypts objects with SSE-KMS and a bucket key. Empty
	// selects SSE-S3 (AES256), which only the load balancer's access-log
	// bucket uses: ELB cannot write to KMS-encrypted buckets.
	KMSKeyArn string
	// NoncurrentVersionDays expires old object versions after this many
	// days. Default: 90.
	NoncurrentVersionDays int
	// ExpireAfterDays deletes current objects after this many days.
	// Default: 0, never.
	ExpireAfterDays int
	// TransitionToIADays moves current objects to STANDARD_IA after this
	// many days (≥ 30). It is left out when objects expire within 30 days
	// of the transition, as STANDARD_IA bills 30 days at least. Default: 0,
	// never.
	TransitionToIADays int
	// ExtraStatements are added to the bucket policy after the TLS-only
	// deny. Default: none.
	ExtraStatements []policy.Statement
	// PreventDestroy makes Terraform refuse to destroy the bucket (state,
	// production's data). Without it the bucket is force_destroy: `terraform
	// destroy` empties it (every version and delete marker) first, since
	// DeleteBucket fails BucketNotEmpty otherwise (provider
	// internal/service/s3/bucket.go), so dev and staging survive destroy and
	// re-deploy. Default: false.
	PreventDestroy bool
	// Tags are added to the bucket. Default: a Name tag.
	Tags map[string]string
}

// Bucket is a created bucket.
type Bucket struct {
	// Name is the bucket name, as a reference.
	Name string
	// Arn is the bucket ARN.
	Arn string
	// PolicyApplied is the bucket name as a reference to the bucket
	// policy: a resource that uses it is created after the policy exists
	// (the load balancer writes a test object into its log bucket the
	// moment access logs are enabled, and fails without the policy).
	PolicyApplied string

	info     envinfo.Info
	keyArn   string
	keyAlias string
	label    string
}

// Reference is a bucket another stack owns, known by its name, encrypted
// with the key called alias/<keyAlias> in i's region: grants on it name
// the bucket's ARN and find the key by its alias (kms:ResourceAliases),
// since its ARN is not known here.
func Reference(i envinfo.Info, name, label, keyAlias string) Bucket {
	return Bucket{
		Name: name, Arn: fmt.Sprintf("arn:%s:s3:::%s", i.Partition, name),
		info: i, keyAlias: keyAlias, label: label,
	}
}

// GrantRead returns the statements that let a role read the objects under
// prefix ("" for the whole bucket) and decrypt them through S3 only.
func (b Bucket) GrantRead(prefix string) []policy.Statement {
	return b.Grant(Access{Read: []string{prefix}})
}

// GrantReadWrite returns the statements that let a role read and write the
// objects under prefix and use the bucket's key for them through S3 only.
func (b Bucket) GrantReadWrite(prefix string) []policy.Statement {
	return b.Grant(Access{Write: []string{prefix}})
}

// Access is what one principal may do in a bucket, by key prefix ("" for
// the whole bucket). A principal gets one Access per bucket: its
// statements' IDs are the bucket's Label, so two grants on one bucket
// would collide in a policy.
type Access struct {
	// Read are the prefixes it may read (s3:GetObject). Default: none.
	Read []string
	// Write are the prefixes it may write and read back (s3:GetObject,
	// s3:PutObject, s3:AbortMultipartUpload). Default: none.
	Write []string
	// Delete are the prefixes it may delete objects under
	// (s3:DeleteObject; in a versioned bucket a delete marker, the
	// noncurrent version stays until the lifecycle rule expires it).
	// Default: none.
	Delete []string
}

// Grant returns the statements of one Access: the object actions on their
// prefixes, s3:ListBucket limited to the prefixes (s3:prefix), and the
// bucket's key for those objects through S3 only (kms:Decrypt; with
// writes, kms:GenerateDataKey). S3 also needs kms:Decrypt to complete a
// multipart upload to an SSE-KMS bucket (S3 User Guide, "Uploading and
// copying objects using multipart upload", required KMS permissions), so
// a writer always gets it.
func (b Bucket) Grant(a Access) []policy.Statement {
	var out []policy.Statement
	object := func(sid string, actions, prefixes []string) {
		if len(prefixes) == 0 {
			return
		}
		var resources []string
		for _, p := range prefixes {
			resources = append(resources, b.Arn+"/"+p+"*")
		}
		out = append(out, policy.Allow(sid+b.label, actions, resources))
	}
	object("Read", []string{"s3:GetObject"}, a.Read)
	object("ReadWrite", []string{"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"}, a.Write)
	object("Delete", []string{"s3:DeleteObject"}, a.Delete)
	all := append(append(append([]string(nil), a.Read...), a.Write...), a.Delete...)
	if len(all) == 0 {
		panic("bucket " + b.label + ": a grant of nothing")
	}
	list := policy.Statement{Sid: "List" + b.label, Actions: []string{"s3:ListBucket"}, Resources: []string{b.Arn}}
	context := []string{b.Arn}
	var listed []string
	whole := false
	for _, p := range all {
		whole = whole || p == ""
		if !slices.Contains(listed, p+"*") {
			listed = append(listed, p+"*")
			context = append(context, b.Arn+"/"+p+"*")
		}
	}
	if !whole {
		list.Condition = map[string]map[string][]string{"StringLike": {"s3:prefix": listed}}
	}
	out = append(out, list)
	if b.keyArn != "" || b.keyAlias != "" {
		kms := []string{"kms:Decrypt"}
		if len(a.Write) > 0 {
			kms = append(kms, "kms:GenerateDataKey")
		}
		// With an S3 Bucket Key the encryption context is the bucket ARN;
		// without one, the object ARN (S3 User Guide, "Using SSE-KMS").
		st := policy.Statement{
			Sid:       "Use" + b.label + "Key",
			Actions:   kms,
			Resources: []string{b.keyArn},
			Condition: map[string]map[string][]string{
				"StringEquals": {"kms:ViaService": {b.info.ServiceHost("s3")}},
				"StringLike":   {"kms:EncryptionContext:aws:s3:arn": context},
			},
		}
		if b.keyArn == "" {
			st.Resources = []string{b.info.Arn("kms", "key/*")}
			st.Condition["ForAnyValue:StringEquals"] = map[string][]string{"kms:ResourceAliases": {"alias/" + b.keyAlias}}
		}
		out = append(out, st)
	}
	return out
}

// New creates the bucket and its configuration.
func New(scope constructs.Construct, id string, p Props) Bucket {
	c := constructs.NewConstruct(scope, jsii.String(id))
	tags := map[string]*string{"Name": jsii.String(p.Name)}
	for k, v := range p.Tags {
		tags[k] = jsii.String(v)
	}
	var lifecycle *cdktf.TerraformResourceLifecycle
	if p.PreventDestroy {
		lifecycle = &cdktf.TerraformResourceLifecycle{PreventDestroy: jsii.Bool(true)}
	}
	b := s3bucket.NewS3Bucket(c, jsii.String("bucket"), &s3bucket.S3BucketConfig{
		Bucket:       jsii.String(p.Name),
		ForceDestroy: jsii.Bool(!p.PreventDestroy),
		Tags:         &tags,
		Lifecycle:    lifecycle,
	})
	name, arn := b.Id(), *b.Arn()

	s3bucketpublicaccessblock.NewS3BucketPublicAccessBlock(c, jsii.String("public-access-block"), &s3bucketpublicaccessblock.S3BucketPublicAccessBlockConfig{
		Bucket:                name,
		BlockPublicAcls:       jsii.Bool(true),
		BlockPublicPolicy:     jsii.Bool(true),
		IgnorePublicAcls:      jsii.Bool(true),
		RestrictPublicBuckets: jsii.Bool(true),
	})
	s3bucketownershipcontrols.NewS3BucketOwnershipControls(c, jsii.String("ownership"), &s3bucketownershipcontrols.S3BucketOwnershipControlsConfig{
		Bucket: name,
		Rule:   &s3bucketownershipcontrols.S3BucketOwnershipControlsRule{ObjectOwnership: jsii.String("BucketOwnerEnforced")},
	})
	s3bucketversioning.NewS3BucketVersioningA(c, jsii.String("versioning"), &s3bucketversioning.S3BucketVersioningAConfig{
		Bucket:                  name,
		VersioningConfiguration: &s3bucketversioning.S3BucketVersioningVersioningConfiguration{Status: jsii.String("Enabled")},
	})
	sse := &s3bucketserversideencryptionconfiguration.S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA{
		SseAlgorithm: jsii.String("AES256"),
	}
	if p.KMSKeyArn != "" {
		sse = &s3bucketserversideencryptionconfiguration.S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA{
			SseAlgorithm:   jsii.String("aws:kms"),
			KmsMasterKeyId: jsii.String(p.KMSKeyArn),
		}
	}
	s3bucketserversideencryptionconfiguration.NewS3BucketServerSideEncryptionConfigurationA(c, jsii.String("encryption"), &s3bucketserversideencryptionconfiguration.S3BucketServerSideEncryptionConfigurationAConfig{
		Bucket: name,
		Rule: []s3bucketserversideencryptionconfiguration.S3BucketServerSideEncryptionConfigurationRuleA{{
			ApplyServerSideEncryptionByDefault: sse,
			BucketKeyEnabled:                   jsii.Bool(p.KMSKeyArn != ""),
		}},
	})

	noncurrent := p.NoncurrentVersionDays
	if noncurrent == 0 {
		noncurrent = 90
	}
	rule := s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRule{
		Id:     jsii.String("retention"),
		Status: jsii.String("Enabled"),
		Filter: []s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRuleFilter{{}},
		NoncurrentVersionExpiration: []s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration{{
			NoncurrentDays: jsii.Number(float64(noncurrent)),
		}},
		AbortIncompleteMultipartUpload: []s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload{{
			DaysAfterInitiation: jsii.Number(7),
		}},
	}
	if t := p.TransitionToIADays; t > 0 && (p.ExpireAfterDays == 0 || p.ExpireAfterDays >= t+30) {
		rule.Transition = []s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRuleTransition{{
			Days:         jsii.Number(float64(t)),
			StorageClass: jsii.String("STANDARD_IA"),
		}}
	}
	if p.ExpireAfterDays > 0 {
		rule.Expiration = []s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRuleExpiration{{
			Days: jsii.Number(float64(p.ExpireAfterDays)),
		}}
	}
	s3bucketlifecycleconfiguration.NewS3BucketLifecycleConfiguration(c, jsii.String("lifecycle"), &s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationConfig{
		Bucket: name,
		Rule:   []s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRule{rule},
	})

	doc := policy.Document{Statements: append([]policy.Statement{policy.DenyInsecureTransport([]string{"s3:*"}, arn, arn+"/*")}, p.ExtraStatements...)}
	bp := s3bucketpolicy.NewS3BucketPolicy(c, jsii.String("policy"), &s3bucketpolicy.S3BucketPolicyConfig{
		Bucket: name,
		Policy: jsii.String(doc.JSON()),
	})
	label := p.Label
	if label == "" {
		label = "Bucket"
	}
	return Bucket{Name: *name, Arn: arn, PolicyApplied: *bp.Bucket(), info: p.Info, keyArn: p.KMSKeyArn, label: label}
}
