// Package odoo creates the Odoo 18 application servers: Scale.OdooInstances
// servers behind the load balancer (HTTP on 8069, the gevent websocket
// worker on 8072), sharing the EFS filestore, writing database dumps to the
// backup bucket, and reading their own two secrets. Ansible's odoo_setup
// role installs Odoo on them.
package odoo

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/influencegen/infrastructure/constructs/compute"
	"github.com/influencegen/infrastructure/constructs/network"
	"github.com/influencegen/infrastructure/constructs/policy"
	"github.com/influencegen/infrastructure/environments"
)

// Props configures the Odoo servers.
type Props struct {
	compute.Placement
	// Settings are the shared Odoo settings.
	Settings environments.OdooSettings
	// Count is Scale.OdooInstances.
	Count int
	// SecretsKeyArn and SecretArns are Odoo's own secrets.
	SecretsKeyArn string
	SecretArns    []string
	// FilestoreArn is the EFS file system Odoo mounts as data_dir.
	FilestoreArn string
	// BackupBucketArn receives database dumps and filestore archives.
	BackupBucketArn string
}

// Odoo is the Odoo tier.
type Odoo struct {
	// SecurityGroup is the Odoo servers' group.
	SecurityGroup *network.SecurityGroup
	// Servers are the Odoo servers.
	Servers *compute.Group
}

// New creates the Odoo servers.
func New(scope constructs.Construct, id string, p Props) *Odoo {
	c := constructs.NewConstruct(scope, jsii.String(id))
	i := p.Info
	sg := p.SecurityGroup(c, "sg", compute.RoleOdoo, "Odoo servers: 8069/8072 from the load balancer only")
	sg.AllowEgressToCIDR("0.0.0.0/0", 587, "SMTP submission (STARTTLS) for Odoo mail")
	servers := compute.New(c, "servers", p.Servers(compute.Props{
		Role:          compute.RoleOdoo,
		Count:         p.Count,
		InstanceType:  p.Settings.InstanceType,
		SecurityGroup: sg,
		RootVolumeGB:  p.Settings.RootVolumeGB,
		SecretArns:    p.SecretArns,
		SecretsKeyArn: p.SecretsKeyArn,
		Statements: []policy.Statement{
			policy.Allow("MountFilestore", []string{"elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"}, []string{p.FilestoreArn}),
			policy.Allow("WriteBackups", []string{"s3:PutObject", "s3:GetObject", "s3:ListBucket"}, []string{p.BackupBucketArn, p.BackupBucketArn + "/odoo/*"}),
			{
				Sid:       "EncryptBackups",
				Actions:   []string{"kms:GenerateDataKey", "kms:Decrypt"},
				Resources: []string{p.DataKeyArn},
				Condition: map[string]map[string][]string{"StringEquals": {"kms:ViaService": {i.ServiceHost("s3")}}},
			},
		},
	}))
	return &Odoo{SecurityGroup: sg, Servers: servers}
}
