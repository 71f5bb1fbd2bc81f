// Package encryption creates the customer-managed KMS keys of one
// environment. There are three, split by who may use them, so a key policy
// names only the services that need it:
//
//   - data: EBS, RDS (storage and Performance Insights), EFS, ElastiCache, S3
//     and AWS Backup — everything that stores platform data;
//   - logs: CloudWatch Logs (application and flow logs) and SNS alarm topics;
//   - secrets: Secrets Manager, including the RDS-managed master password.
//
// Every key rotates yearly, has an alias "alias/<prefix>-<purpose>" and the
// environment's deletion window (Scale.DeletionWindowDays). NewKey is the
// one way this project creates a KMS key; the state and registry keys use it
// too.
package encryption

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/kmsalias"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/kmskey"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/policy"
)

// Props configures the keys.
type Props struct {
	// Info is the environment the keys belong to.
	Info envinfo.Info
	// DeletionWindowDays is how long a deleted key can be restored (7–30).
	DeletionWindowDays int
	// PreventDestroy makes Terraform refuse to destroy the keys: losing
	// the data key makes every snapshot, backup and object under it
	// unreadable. Default: false.
	PreventDestroy bool
}

// Key is one customer-managed key.
type Key struct {
	// Arn is the key ARN: use it wherever a resource asks for kms_key_id.
	Arn string
}

// Keys are the environment's three customer-managed keys.
type Keys struct {
	Data    Key
	Logs    Key
	Secrets Key
}

// KeyUse are the cryptographic operations a service needs on a key.
var KeyUse = []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"}

// UseThroughServices lets principals of the account use a key, but only
// through the named AWS services (kms:ViaService).
func UseThroughServices(i envinfo.Info, sid string, actions []string, services ...string) policy.Statement {
	hosts := make([]string, len(services))
	for n, s := range services {
		hosts[n] = i.ServiceHost(s)
	}
	return policy.Statement{
		Sid:       sid,
		Principal: map[string][]string{"AWS": {"*"}},
		Actions:   actions,
		Resources: []string{"*"},
		Condition: map[string]map[string][]string{
			"StringEquals": {"kms:CallerAccount": {i.AccountID}, "kms:ViaService": hosts},
		},
	}
}

// KeyProps configures one key and its alias.
type KeyProps struct {
	// Info is where the key is created.
	Info envinfo.Info
	// ID and AliasID are the construct IDs of the key and its alias.
	ID, AliasID string
	// Alias is the alias name without "alias/"; it is the key's Name tag too.
	Alias string
	// Description says what the key protects.
	Description string
	// DeletionWindowDays is how long a deleted key can be restored (7–30).
	DeletionWindowDays int
	// Statements follow the statement that lets the account administer the
	// key (so IAM policies can grant its use). Default: none.
	Statements []policy.Statement
	// PreventDestroy makes Terraform refuse to destroy the key. Default: false.
	PreventDestroy bool
	// Provider creates the key with another provider configuration (a key
	// in a second region). Default: nil, the stack's provider.
	Provider cdktf.TerraformProvider
}

// NewKey creates a customer-managed key that rotates yearly, with its alias.
func NewKey(scope constructs.Construct, p KeyProps) Key {
	i := p.Info
	root := policy.Statement{
		Sid:       "AccountAdministersKey",
		Principal: map[string][]string{"AWS": {i.RootArn()}},
		Actions:   []string{"kms:*"},
		Resources: []string{"*"},
	}
	var lifecycle *cdktf.TerraformResourceLifecycle
	if p.PreventDestroy {
		lifecycle = &cdktf.TerraformResourceLifecycle{PreventDestroy: jsii.Bool(true)}
	}
	k := kmskey.NewKmsKey(scope, jsii.String(p.ID), &kmskey.KmsKeyConfig{
		Description: jsii.String(p.Description),
		// Both force a replacement of the key (and of everything it
		// encrypts): written out rather than left to the provider's
		// defaults, so a plan never depends on what a default was.
		KeyUsage:              jsii.String("ENCRYPT_DECRYPT"),
		CustomerMasterKeySpec: jsii.String("SYMMETRIC_DEFAULT"),
		EnableKeyRotation:     jsii.Bool(true),
		RotationPeriodInDays:  jsii.Number(365),
		DeletionWindowInDays:  jsii.Number(float64(p.DeletionWindowDays)),
		Policy:                jsii.String(policy.Document{Statements: append([]policy.Statement{root}, p.Statements...)}.JSON()),
		Tags:                  i.Tags(p.Alias),
		Lifecycle:             lifecycle,
		Provider:              p.Provider,
	})
	kmsalias.NewKmsAlias(scope, jsii.String(p.AliasID), &kmsalias.KmsAliasConfig{
		Name:        jsii.String("alias/" + p.Alias),
		TargetKeyId: k.KeyId(),
		Provider:    p.Provider,
	})
	return Key{Arn: *k.Arn()}
}

// New creates the data, logs and secrets keys.
func New(scope constructs.Construct, id string, p Props) Keys {
	c := constructs.NewConstruct(scope, jsii.String(id))
	i := p.Info
	grants := append(append([]string{}, KeyUse...), "kms:CreateGrant", "kms:ListGrants")
	newKey := func(purpose, description string, statements ...policy.Statement) Key {
		return NewKey(c, KeyProps{
			Info: i, ID: purpose, AliasID: purpose + "-alias", Alias: i.Name(purpose),
			Description: description, DeletionWindowDays: p.DeletionWindowDays, Statements: statements,
			PreventDestroy: p.PreventDestroy,
		})
	}
	return Keys{
		Data: newKey("data", "InfluenceGen "+i.Env+": platform data (EBS, RDS, EFS, ElastiCache, S3, backups)",
			UseThroughServices(i, "UseThroughDataServices", grants, "ec2", "rds", "elasticfilesystem", "elasticache", "s3", "backup"),
		),
		Logs: newKey("logs", "InfluenceGen "+i.Env+": CloudWatch Logs and SNS alarm topics",
			policy.Statement{
				Sid:       "CloudWatchLogsEncrypt",
				Principal: map[string][]string{"Service": {i.ServiceHost("logs")}},
				// Not kms:DescribeKey: it carries no encryption context, so
				// the condition below would make it inert.
				Actions:   withoutDescribeKey(KeyUse),
				Resources: []string{"*"},
				Condition: map[string]map[string][]string{
					"ArnLike": {"kms:EncryptionContext:aws:logs:arn": {i.Arn("logs", "log-group:*")}},
				},
			},
			policy.Statement{
				Sid: "AlarmsPublishToEncryptedTopics",
				// CloudWatch alarms publishing to the alarm topic: CloudWatch
				// sends aws:SourceAccount (Amazon SNS developer guide, "Key
				// management", compatibility with AWS services).
				Principal: map[string][]string{"Service": {"cloudwatch.amazonaws.com"}},
				Actions:   []string{"kms:Decrypt", "kms:GenerateDataKey*"},
				Resources: []string{"*"},
				Condition: map[string]map[string][]string{"StringEquals": {"aws:SourceAccount": {i.AccountID}}},
			},
			policy.Statement{
				Sid: "EventRulesPublishToEncryptedTopics",
				// EventBridge rules (failed backup jobs) publishing to the
				// alarm topic. EventBridge sends neither aws:SourceAccount
				// nor aws:SourceArn to KMS for this delivery (same page), so
				// a condition on them refuses every event, silently; the
				// topic policy still admits only this environment's rules.
				Principal: map[string][]string{"Service": {"events.amazonaws.com"}},
				Actions:   []string{"kms:Decrypt", "kms:GenerateDataKey*"},
				Resources: []string{"*"},
			},
			UseThroughServices(i, "UseThroughSNS", grants, "sns"),
		),
		Secrets: newKey("secrets", "InfluenceGen "+i.Env+": Secrets Manager secrets",
			UseThroughServices(i, "UseThroughSecretsManager", grants, "secretsmanager"),
		),
	}
}

// withoutDescribeKey returns the actions but kms:DescribeKey.
func withoutDescribeKey(actions []string) []string {
	var out []string
	for _, a := range actions {
		if a != "kms:DescribeKey" {
			out = append(out, a)
		}
	}
	return out
}
