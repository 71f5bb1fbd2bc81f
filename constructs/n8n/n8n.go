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
	"github.com/influencegen/infrastructure/constructs/network"
	"github.com/influencegen/infrastructure/environments"
)

// Props configures the n8n servers.
type Props struct {
	compute.Placement
	// Settings are the shared n8n settings.
	Settings environments.N8nSettings
	// Workers is Scale.N8nWorkers.
	Workers int
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
	n := &N8n{
		MainSecurityGroup:   p.SecurityGroup(c, "main-sg", compute.RoleN8nMain, "n8n main: 5678 from the load balancer only"),
		WorkerSecurityGroup: p.SecurityGroup(c, "worker-sg", compute.RoleN8nWorker, "n8n workers: no ingress"),
	}
	group := func(cid, role, instanceType string, count int, sg *network.SecurityGroup) *compute.Group {
		return compute.New(c, cid, p.Servers(compute.Props{
			Role:          role,
			Count:         count,
			InstanceType:  instanceType,
			SecurityGroup: sg,
			RootVolumeGB:  p.Settings.RootVolumeGB,
			SecretArns:    p.SecretArns,
			SecretsKeyArn: p.SecretsKeyArn,
		}))
	}
	n.Main = group("main", compute.RoleN8nMain, p.Settings.MainInstanceType, 1, n.MainSecurityGroup)
	n.Workers = group("workers", compute.RoleN8nWorker, p.Settings.WorkerInstanceType, p.Workers, n.WorkerSecurityGroup)
	return n
}
