// Package statebackend creates the S3 bucket that holds every stack's
// Terraform state: what a setup-terraform-backend.sh script does, as a stack.
//
// The bucket is versioned (a bad apply can be rolled back to an earlier state
// version), encrypted with its own rotating KMS key and a bucket key, closed
// to the public, BucketOwnerEnforced, reachable over TLS only, and expires
// noncurrent state versions after a year. Terraform ≥ 1.10 locks state with
// a lock object in the same bucket (use_lockfile), so no DynamoDB table is
// needed. Both the key and the bucket refuse `terraform destroy`.
package statebackend

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/influencegen/infrastructure/constructs/bucket"
	"github.com/influencegen/infrastructure/constructs/encryption"
	"github.com/influencegen/infrastructure/constructs/envinfo"
)

// Props configures the state backend.
type Props struct {
	// Info is where the bucket is created (Env is "bootstrap").
	Info envinfo.Info
	// Bucket is the state bucket name.
	Bucket string
	// KMSAlias is the key alias without "alias/".
	KMSAlias string
	// NoncurrentVersionDays keeps old state versions this long. Default: 365.
	NoncurrentVersionDays int
}

// StateBackend is the created bucket and key.
type StateBackend struct {
	// BucketName and BucketArn identify the state bucket.
	BucketName, BucketArn string
	// KeyArn is the KMS key encrypting state.
	KeyArn string
}

// New creates the state key and bucket.
func New(scope constructs.Construct, id string, p Props) StateBackend {
	c := constructs.NewConstruct(scope, jsii.String(id))
	i := p.Info
	days := p.NoncurrentVersionDays
	if days == 0 {
		days = 365
	}
	key := encryption.NewKey(c, encryption.KeyProps{
		Info: i, ID: "key", AliasID: "alias", Alias: p.KMSAlias,
		Description:        "Terraform state of every InfluenceGen stack",
		DeletionWindowDays: 30,
		PreventDestroy:     true,
	})
	b := bucket.New(c, "state", bucket.Props{
		Name:                  p.Bucket,
		KMSKeyArn:             key.Arn,
		NoncurrentVersionDays: days,
		PreventDestroy:        true,
	})
	return StateBackend{BucketName: b.Name, BucketArn: b.Arn, KeyArn: key.Arn}
}
