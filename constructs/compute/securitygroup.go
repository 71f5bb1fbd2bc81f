package compute

import (
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/network"
)

// ServerSecurityGroup creates a server role's security group: no ingress
// except what neighbours add with AllowFrom (and SSH from adminCIDR when
// one is configured), and egress for HTTP and HTTPS only — package
// mirrors, container registries and AWS APIs, through NAT. DNS and NTP to
// the VPC resolver and the Amazon Time Sync Service are not filtered by
// security groups.
func ServerSecurityGroup(scope constructs.Construct, id string, i envinfo.Info, vpcID, role, description, adminCIDR string) *network.SecurityGroup {
	sg := network.NewSecurityGroup(scope, id, network.SecurityGroupProps{
		Info: i, VPCID: vpcID, Name: i.Name(role), Description: description,
	})
	sg.AllowEgressToCIDR("0.0.0.0/0", 443, "HTTPS out: packages, images, AWS APIs")
	sg.AllowEgressToCIDR("0.0.0.0/0", 80, "HTTP out: Ubuntu package mirrors")
	if adminCIDR != "" {
		sg.AllowFromCIDR(adminCIDR, 22, "SSH from the configured admin network")
	}
	return sg
}
