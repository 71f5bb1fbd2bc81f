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
	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/network"
	"github.com/influencegen/infrastructure/constructs/policy"
	"github.com/influencegen/infrastructure/environments"
)

// Props configures the Odoo servers.
type Props struct {
	// Info is the environment the servers belong to.
	Info envinfo.Info
	// VPCID and SubnetIDs (private-app) place the servers.
	VPCID     string
	SubnetIDs []string
	// AMI is the image every server boots.
	AMI string
	// Settings are the shared Odoo settings.
	Settings environments.OdooSettings
	// AdminSSHCIDR opens SSH from an admin network. Default: "" (none).
	AdminSSHCIDR string
	// Count is Scale.OdooInstances.
	Count int
	// TerminationProtection is Scale.DeletionProtection.
	TerminationProtection bool
	// DataKeyArn encrypts volumes; the backup bucket uses it too.
	DataKeyArn string
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
	sg := compute.ServerSecurityGroup(c, "sg", i, p.VPCID, compute.RoleOdoo, "Odoo servers: 8069/8072 from the load balancer only", p.AdminSSHCIDR)
	sg.AllowEgressToCIDR("0.0.0.0/0", 587, "SMTP submission (STARTTLS) for Odoo mail")
	servers := compute.New(c, "servers", compute.Props{
		Info:                  i,
		Role:                  compute.RoleOdoo,
		Count:                 p.Count,
		InstanceType:          p.Settings.InstanceType,
		AMI:                   p.AMI,
		SubnetIDs:             p.SubnetIDs,
		SecurityGroup:         sg,
		RootVolumeGB:          p.Settings.RootVolumeGB,
		DataKeyArn:            p.DataKeyArn,
		TerminationProtection: p.TerminationProtection,
		SecretArns:            p.SecretArns,
		SecretsKeyArn:         p.SecretsKeyArn,
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
	})
	return &Odoo{SecurityGroup: sg, Servers: servers}
}
