// Package n8n creates n8n in queue mode: one main (editor UI, webhooks and
// the API, behind the load balancer on 5678) and Scale.N8nWorkers workers
// that execute workflows from the Redis queue. Main and workers read the
// same four secrets (database password, encryption key, Redis AUTH token,
// task-runner token). Ansible's n8n_setup role runs the containers.
package n8n

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/influencegen/infrastructure/constructs/compute"
	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/network"
	"github.com/influencegen/infrastructure/environments"
)

// Props configures the n8n servers.
type Props struct {
	// Info is the environment the servers belong to.
	Info envinfo.Info
	// VPCID and SubnetIDs (private-app) place the servers.
	VPCID     string
	SubnetIDs []string
	// AMI is the image every server boots.
	AMI string
	// Settings are the shared n8n settings.
	Settings environments.N8nSettings
	// AdminSSHCIDR opens SSH from an admin network. Default: "" (none).
	AdminSSHCIDR string
	// Workers is Scale.N8nWorkers.
	Workers int
	// TerminationProtection is Scale.DeletionProtection.
	TerminationProtection bool
	// DataKeyArn encrypts volumes.
	DataKeyArn string
	// SecretsKeyArn and SecretArns are n8n's secrets.
	SecretsKeyArn string
	SecretArns    []string
}

// N8n is the n8n tier.
type N8n struct {
	// MainSecurityGroup and WorkerSecurityGroup are the two roles' groups.
	MainSecurityGroup, WorkerSecurityGroup *network.SecurityGroup
	// Main is the single n8n main; Workers are the queue workers.
	Main, Workers *compute.Group
}

// SecurityGroups returns both groups, main first.
func (n *N8n) SecurityGroups() []*network.SecurityGroup {
	return []*network.SecurityGroup{n.MainSecurityGroup, n.WorkerSecurityGroup}
}

// New creates the n8n main and workers.
func New(scope constructs.Construct, id string, p Props) *N8n {
	c := constructs.NewConstruct(scope, jsii.String(id))
	i := p.Info
	n := &N8n{
		MainSecurityGroup:   compute.ServerSecurityGroup(c, "main-sg", i, p.VPCID, compute.RoleN8nMain, "n8n main: 5678 from the load balancer only", p.AdminSSHCIDR),
		WorkerSecurityGroup: compute.ServerSecurityGroup(c, "worker-sg", i, p.VPCID, compute.RoleN8nWorker, "n8n workers: no ingress", p.AdminSSHCIDR),
	}
	group := func(cid, role, instanceType string, count int, sg *network.SecurityGroup) *compute.Group {
		return compute.New(c, cid, compute.Props{
			Info:                  i,
			Role:                  role,
			Count:                 count,
			InstanceType:          instanceType,
			AMI:                   p.AMI,
			SubnetIDs:             p.SubnetIDs,
			SecurityGroup:         sg,
			RootVolumeGB:          p.Settings.RootVolumeGB,
			DataKeyArn:            p.DataKeyArn,
			TerminationProtection: p.TerminationProtection,
			SecretArns:            p.SecretArns,
			SecretsKeyArn:         p.SecretsKeyArn,
		})
	}
	n.Main = group("main", compute.RoleN8nMain, p.Settings.MainInstanceType, 1, n.MainSecurityGroup)
	n.Workers = group("workers", compute.RoleN8nWorker, p.Settings.WorkerInstanceType, p.Workers, n.WorkerSecurityGroup)
	return n
}
