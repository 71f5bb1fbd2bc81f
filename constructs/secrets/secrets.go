// Package secrets creates the platform's generated secrets in Secrets
// Manager, encrypted with the environment's secrets key, and the secrets
// an operator supplies the value of (Props.Supplied), under the same key.
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
	"slices"
	"sort"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawssecretsmanagerrandompassword"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/secretsmanagersecret"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/secretsmanagersecretversion"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/encryption"
	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/policy"
)

// Props configures the secrets.
type Props struct {
	// Info is the environment the secrets belong to.
	Info envinfo.Info
	// Key is the secrets key.
	Key encryption.Key
	// Names are the secrets to generate, e.g. "odoo/db-password"; each is
	// stored as "<project>/<env>/<name>".
	Names []string
	// Supplied are secrets created without a value, which an operator puts
	// (aws secretsmanager put-secret-value), e.g. an access token of a
	// third party; stored as Names are. Default: none.
	Supplied []string
	// RecoveryWindowDays is how long a deleted secret can be restored
	// (7–30); 0 deletes it at once. A secret in its recovery window keeps
	// its name: CreateSecret of the same name fails until the window ends
	// (Secrets Manager API, DeleteSecret), so an environment that is
	// destroyed and deployed again the same day needs 0. Default: 0.
	RecoveryWindowDays int
	// PreventDestroy makes Terraform refuse to destroy the secrets (the
	// n8n encryption key decrypts every stored credential). Default: false.
	PreventDestroy bool
}

// Secret is one generated secret.
type Secret struct {
	// Name is the secret's short name, e.g. "odoo/db-password".
	Name string
	// Arn is the secret's ARN: the only thing outputs and IAM policies use.
	Arn string

	info   envinfo.Info
	keyArn string
	value  string
}

// Value returns a reference to the secret value, for the rare resource that
// must be given the value itself (the Redis AUTH token). Never output it.
// A supplied secret has none here ("").
func (s Secret) Value() string { return s.value }

// OutputKey is the secret's key in the secret_arns output:
// "odoo/db-password" → "odoo_db_password".
func (s Secret) OutputKey() string { return OutputKey(s.Name) }

// OutputKey is the secret_arns output key of a secret name.
func OutputKey(name string) string { return strings.NewReplacer("/", "_", "-", "_").Replace(name) }

// ReadActions are what reading a secret takes (GrantRead; the deploy roles'
// permissions boundary allows no more).
var ReadActions = []string{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}

// GrantRead returns the statements that let a role read the secret and
// decrypt it, through Secrets Manager only.
func (s Secret) GrantRead() []policy.Statement {
	return []policy.Statement{
		policy.Allow("ReadSecrets", ReadActions, []string{s.Arn}),
		{
			Sid:       "DecryptSecrets",
			Actions:   []string{"kms:Decrypt"},
			Resources: []string{s.keyArn},
			Condition: map[string]map[string][]string{"StringEquals": {"kms:ViaService": {s.info.ServiceHost("secretsmanager")}}},
		},
	}
}

// Secrets are the environment's generated secrets.
type Secrets struct {
	byName map[string]Secret
	order  []string
}

// Get returns the secret called name; asking for one that was not
// generated is a programming error and panics.
func (s *Secrets) Get(name string) Secret {
	sec, ok := s.byName[name]
	if !ok {
		panic("secrets: no generated secret " + name)
	}
	return sec
}

// All returns every secret, sorted by name.
func (s *Secrets) All() []Secret {
	out := make([]Secret, len(s.order))
	for i, n := range s.order {
		out[i] = s.byName[n]
	}
	return out
}

// New creates every generated secret.
func New(scope constructs.Construct, id string, p Props) *Secrets {
	c := constructs.NewConstruct(scope, jsii.String(id))
	names := append(append([]string(nil), p.Names...), p.Supplied...)
	sort.Strings(names)
	out := &Secrets{byName: map[string]Secret{}}
	for _, name := range names {
		if _, dup := out.byName[name]; dup {
			continue
		}
		cid := strings.ReplaceAll(name, "/", "-")
		full := p.Info.Project + "/" + p.Info.Env + "/" + name
		what := "generated " + name
		supplied := slices.Contains(p.Supplied, name)
		if supplied {
			what = name + ", put by an operator (docs/runbooks/models.md)"
		}
		sec := secretsmanagersecret.NewSecretsmanagerSecret(c, jsii.String(cid), &secretsmanagersecret.SecretsmanagerSecretConfig{
			Name:                 jsii.String(full),
			Description:          jsii.String("InfluenceGen " + p.Info.Env + ": " + what),
			KmsKeyId:             jsii.String(p.Key.Arn),
			RecoveryWindowInDays: jsii.Number(float64(p.RecoveryWindowDays)),
			Tags:                 p.Info.Tags(full),
			Lifecycle:            &cdktf.TerraformResourceLifecycle{PreventDestroy: jsii.Bool(p.PreventDestroy)},
		})
		if supplied {
			out.byName[name] = Secret{Name: name, Arn: *sec.Arn(), info: p.Info, keyArn: p.Key.Arn}
			out.order = append(out.order, name)
			continue
		}
		// Alphanumeric only: the values go into odoo.conf, compose files and
		// connection URLs without quoting. 64 characters ≈ 380 bits.
		pw := dataawssecretsmanagerrandompassword.NewDataAwsSecretsmanagerRandomPassword(c, jsii.String(cid+"-value"), &dataawssecretsmanagerrandompassword.DataAwsSecretsmanagerRandomPasswordConfig{
			PasswordLength:          jsii.Number(64),
			ExcludePunctuation:      jsii.Bool(true),
			RequireEachIncludedType: jsii.Bool(true),
		})
		v := secretsmanagersecretversion.NewSecretsmanagerSecretVersion(c, jsii.String(cid+"-version"), &secretsmanagersecretversion.SecretsmanagerSecretVersionConfig{
			SecretId:     sec.Id(),
			SecretString: pw.RandomPassword(),
			Lifecycle:    &cdktf.TerraformResourceLifecycle{IgnoreChanges: &[]*string{jsii.String("secret_string")}},
		})
		out.byName[name] = Secret{Name: name, Arn: *sec.Arn(), info: p.Info, keyArn: p.Key.Arn, value: *v.SecretString()}
		out.order = append(out.order, name)
	}
	return out
}
