// Package secrets creates the platform's generated secrets in Secrets
// Manager, encrypted with the environment's secrets key.
//
// Values are generated at apply time by Secrets Manager itself
// (the aws_secretsmanager_random_password data source) and written once: the
// secret version ignores later changes, so a plan never rotates a password
// behind the applications' back, and rotation is an explicit operation (see
// docs/runbooks/rotate-secrets.md). No value is written in code, in outputs
// or in logs; outputs expose ARNs only. As with any Terraform-managed
// secret, the value is in the state, which is KMS-encrypted, versioned and
// readable only by the deploy roles.
//
// This needs no extra provider (the random provider would add a second
// provider binary and supply-chain dependency for the same result).
package secrets

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawssecretsmanagerrandompassword"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/secretsmanagersecret"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/secretsmanagersecretversion"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/envinfo"
)

// Props configures the secrets.
type Props struct {
	// Info is the environment the secrets belong to.
	Info envinfo.Info
	// KMSKeyArn is the secrets key.
	KMSKeyArn string
	// RecoveryWindowDays is how long a deleted secret can be restored
	// (7–30). Default: 7.
	RecoveryWindowDays int
}

// Secret is one generated secret.
type Secret struct {
	// Name is "<project>/<env>/<name>".
	Name string
	// Arn is the secret's ARN: the only thing outputs and IAM policies use.
	Arn string

	value string
}

// Value returns a reference to the secret value, for the rare resource that
// must be given the value itself (the Redis AUTH token). Never output it.
func (s Secret) Value() string { return s.value }

// Secrets are the platform's generated secrets.
type Secrets struct {
	// OdooAdmin is Odoo's admin_passwd (database manager master password).
	OdooAdmin Secret
	// OdooDB is the password of the odoo database role.
	OdooDB Secret
	// N8nDB is the password of the n8n database role.
	N8nDB Secret
	// N8nEncryptionKey is N8N_ENCRYPTION_KEY, shared by n8n main and workers.
	N8nEncryptionKey Secret
	// N8nRunnerAuth is N8N_RUNNERS_AUTH_TOKEN for the external task runners.
	N8nRunnerAuth Secret
	// RedisAuth is the ElastiCache AUTH token.
	RedisAuth Secret
}

// All lists the secrets with their output keys, in a fixed order.
func (s *Secrets) All() []struct {
	Key    string
	Secret Secret
} {
	return []struct {
		Key    string
		Secret Secret
	}{
		{"odoo_admin_passwd", s.OdooAdmin},
		{"odoo_db_password", s.OdooDB},
		{"n8n_db_password", s.N8nDB},
		{"n8n_encryption_key", s.N8nEncryptionKey},
		{"n8n_runners_auth_token", s.N8nRunnerAuth},
		{"redis_auth_token", s.RedisAuth},
	}
}

// New creates every generated secret.
func New(scope constructs.Construct, id string, p Props) *Secrets {
	c := constructs.NewConstruct(scope, jsii.String(id))
	window := p.RecoveryWindowDays
	if window == 0 {
		window = 7
	}
	gen := func(id, name, description string) Secret {
		full := p.Info.Project + "/" + p.Info.Env + "/" + name
		sec := secretsmanagersecret.NewSecretsmanagerSecret(c, jsii.String(id), &secretsmanagersecret.SecretsmanagerSecretConfig{
			Name:                 jsii.String(full),
			Description:          jsii.String(description),
			KmsKeyId:             jsii.String(p.KMSKeyArn),
			RecoveryWindowInDays: jsii.Number(float64(window)),
			Tags:                 p.Info.Tags(full),
		})
		// Alphanumeric only: the values go into odoo.conf, compose files and
		// connection URLs without quoting. 64 characters ≈ 380 bits.
		pw := dataawssecretsmanagerrandompassword.NewDataAwsSecretsmanagerRandomPassword(c, jsii.String(id+"-value"), &dataawssecretsmanagerrandompassword.DataAwsSecretsmanagerRandomPasswordConfig{
			PasswordLength:          jsii.Number(64),
			ExcludePunctuation:      jsii.Bool(true),
			RequireEachIncludedType: jsii.Bool(true),
		})
		v := secretsmanagersecretversion.NewSecretsmanagerSecretVersion(c, jsii.String(id+"-version"), &secretsmanagersecretversion.SecretsmanagerSecretVersionConfig{
			SecretId:     sec.Id(),
			SecretString: pw.RandomPassword(),
			Lifecycle:    &cdktf.TerraformResourceLifecycle{IgnoreChanges: &[]*string{jsii.String("secret_string")}},
		})
		return Secret{Name: full, Arn: *sec.Arn(), value: *v.SecretString()}
	}
	return &Secrets{
		OdooAdmin:        gen("odoo-admin-passwd", "odoo/admin-passwd", "Odoo admin_passwd (database manager)"),
		OdooDB:           gen("odoo-db-password", "odoo/db-password", "Password of the odoo PostgreSQL role"),
		N8nDB:            gen("n8n-db-password", "n8n/db-password", "Password of the n8n PostgreSQL role"),
		N8nEncryptionKey: gen("n8n-encryption-key", "n8n/encryption-key", "N8N_ENCRYPTION_KEY for credentials at rest (main and workers)"),
		N8nRunnerAuth:    gen("n8n-runners-auth-token", "n8n/runners-auth-token", "N8N_RUNNERS_AUTH_TOKEN for the external task runners"),
		RedisAuth:        gen("redis-auth-token", "redis/auth-token", "ElastiCache Redis AUTH token (n8n queue mode)"),
	}
}
