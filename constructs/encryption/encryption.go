// Package encryption creates the customer-managed KMS keys of one
// environment. There are three, split by who may use them, so a key policy
// names only the services that need it:
//
//   - data: EBS, RDS (storage and Performance Insights), EFS, ElastiCache, S3
//     and AWS Backup — everything that stores platform data;
//   - logs: CloudWatch Logs (application and flow logs) and SNS alarm topics;
//   - secrets: Secrets Manager, including the RDS-managed master password.
//
// Every key rotates yearly, has an alias "alias/<prefix>-<purpose>" and a
// deletion window of 30 days when the environment is deletion-protected
// (7 otherwise).
package encryption

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/kmsalias"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/kmskey"

	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/policy"
)

// Props configures the keys.
type Props struct {
	// Info is the environment the keys belong to.
	Info envinfo.Info
	// DeletionProtection selects the 30-day deletion window (true) or the
	// 7-day one. Default: false.
	DeletionProtection bool
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

// New creates the data, logs and secrets keys.
func New(scope constructs.Construct, id string, p Props) Keys {
	c := constructs.NewConstruct(scope, jsii.String(id))
	i := p.Info
	window := 7.0
	if p.DeletionProtection {
		window = 30
	}
	root := policy.Statement{
		Sid:       "AccountAdministersKey",
		Principal: map[string][]string{"AWS": {i.RootArn()}},
		Actions:   []string{"kms:*"},
		Resources: []string{"*"},
	}
	keyUse := []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"}
	viaServices := func(sid string, services ...string) policy.Statement {
		hosts := make([]string, len(services))
		for n, s := range services {
			hosts[n] = i.ServiceHost(s)
		}
		return policy.Statement{
			Sid:       sid,
			Principal: map[string][]string{"AWS": {"*"}},
			Actions:   append(append([]string{}, keyUse...), "kms:CreateGrant", "kms:ListGrants"),
			Resources: []string{"*"},
			Condition: map[string]map[string][]string{
				"StringEquals": {"kms:CallerAccount": {i.AccountID}, "kms:ViaService": hosts},
			},
		}
	}

	newKey := func(purpose, description string, statements ...policy.Statement) Key {
		name := i.Name(purpose)
		k := kmskey.NewKmsKey(c, jsii.String(purpose), &kmskey.KmsKeyConfig{
			Description:          jsii.String(description),
			EnableKeyRotation:    jsii.Bool(true),
			RotationPeriodInDays: jsii.Number(365),
			DeletionWindowInDays: jsii.Number(window),
			Policy:               jsii.String(policy.Document{Statements: append([]policy.Statement{root}, statements...)}.JSON()),
			Tags:                 i.Tags(name),
		})
		alias := "alias/" + name
		kmsalias.NewKmsAlias(c, jsii.String(purpose+"-alias"), &kmsalias.KmsAliasConfig{
			Name:        jsii.String(alias),
			TargetKeyId: k.KeyId(),
		})
		return Key{Arn: *k.Arn()}
	}

	return Keys{
		Data: newKey("data", "InfluenceGen "+i.Env+": platform data (EBS, RDS, EFS, ElastiCache, S3, backups)",
			viaServices("UseThroughDataServices", "ec2", "rds", "elasticfilesystem", "elasticache", "s3", "backup"),
		),
		Logs: newKey("logs", "InfluenceGen "+i.Env+": CloudWatch Logs and SNS alarm topics",
			policy.Statement{
				Sid:       "CloudWatchLogsEncrypt",
				Principal: map[string][]string{"Service": {i.ServiceHost("logs")}},
				Actions:   keyUse,
				Resources: []string{"*"},
				Condition: map[string]map[string][]string{
					"ArnLike": {"kms:EncryptionContext:aws:logs:arn": {i.Arn("logs", "log-group:*")}},
				},
			},
			policy.Statement{
				Sid:       "AlarmsPublishToEncryptedTopics",
				Principal: map[string][]string{"Service": {"cloudwatch.amazonaws.com"}},
				Actions:   []string{"kms:Decrypt", "kms:GenerateDataKey*"},
				Resources: []string{"*"},
				Condition: map[string]map[string][]string{"StringEquals": {"aws:SourceAccount": {i.AccountID}}},
			},
			viaServices("UseThroughSNS", "sns"),
		),
		Secrets: newKey("secrets", "InfluenceGen "+i.Env+": Secrets Manager secrets",
			viaServices("UseThroughSecretsManager", "secretsmanager"),
		),
	}
}
