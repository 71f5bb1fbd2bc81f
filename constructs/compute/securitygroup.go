package compute

import (
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/influencegen/infrastructure/constructs/encryption"
	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/network"
)

// Placement is what every server tier shares: where its servers run, what
// they boot, who may SSH in, how they are protected and encrypted.
type Placement struct {
	// Info is the environment the servers belong to.
	Info envinfo.Info
	// Network places the servers in its private-app subnets, round robin.
	Network *network.Network
	// ZoneIDs are the zone IDs of the private-app subnets, in order.
	ZoneIDs []string
	// AMI is the image every server boots (see AMI).
	AMI string
	// AdminSSHCIDR opens SSH from an admin network. Default: "" (none).
	AdminSSHCIDR string
	// TerminationProtection is Scale.DeletionProtection. Default: false.
	TerminationProtection bool
	// DataKey encrypts the servers' volumes.
	DataKey encryption.Key
}

// SecurityGroup creates a tier's security group (see ServerSecurityGroup).
func (p Placement) SecurityGroup(scope constructs.Construct, id, tier, description string) *network.SecurityGroup {
	return ServerSecurityGroup(scope, id, p.Info, p.Network.VPCID, tier, description, p.AdminSSHCIDR)
}

// ServerSecurityGroup creates a server role's security group: no ingress
// except what neighbours add with AllowFrom (and SSH from adminCIDR when
// one is configured), and egress for HTTP and HTTPS only — package
// mirrors, container registries and AWS APIs, through NAT. DNS and NTP to
// the VPC resolver and the Amazon Time Sync Service are not filtered by
// security groups.
func ServerSecurityGroup(scope constructs.Construct, id string, i envinfo.Info, vpcID, tier, description, adminCIDR string) *network.SecurityGroup {
	sg := network.NewSecurityGroup(scope, id, network.SecurityGroupProps{
		Info: i, VPCID: vpcID, Label: tier, Description: description,
	})
	sg.AllowEgressToCIDR("0.0.0.0/0", "internet", 443, "HTTPS out: packages, images, AWS APIs")
	sg.AllowEgressToCIDR("0.0.0.0/0", "internet", 80, "HTTP out: Ubuntu package mirrors")
	if adminCIDR != "" {
		sg.AllowFromCIDR(adminCIDR, "admin", 22, "SSH from the configured admin network")
	}
	return sg
}
