// Package network builds an environment's VPC: three subnet tiers in every
// availability zone, NAT, flow logs, a locked-down default security group,
// the VPC endpoints Session Manager needs, and the DB subnet group.
//
// Tiers:
//   - public: the load balancer and the NAT gateways only; routes to the
//     internet gateway.
//   - private-app: every server; routes to the internet through NAT.
//   - private-data: RDS, ElastiCache; no route out of the VPC at all
//     (only the S3 gateway endpoint).
package network

import (
	"fmt"
	"net/netip"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dbsubnetgroup"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/defaultsecuritygroup"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/eip"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/flowlog"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrole"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/internetgateway"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/natgateway"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/route"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/routetable"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/routetableassociation"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/subnet"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/vpc"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/vpcendpoint"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/encryption"
	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/logs"
	"github.com/influencegen/infrastructure/constructs/policy"
)

// Props configures the network.
type Props struct {
	// Info is the environment the network belongs to.
	Info envinfo.Info
	// CIDR is the VPC block, /16 to /22 (validated by the environments
	// package).
	CIDR string
	// AZCount is how many availability zones to span (1–4).
	AZCount int
	// ZoneIDs are the zones to use, by zone ID, in order: the first
	// AZCount of them (validated by the environments package).
	ZoneIDs []string
	// NATGatewayPerAZ gives each AZ its own NAT gateway. Default: false, one
	// shared NAT gateway in the first AZ.
	NATGatewayPerAZ bool
	// FlowLogTrafficType is ALL, ACCEPT or REJECT. Default: "ALL".
	FlowLogTrafficType string
	// LogRetentionDays is the flow log retention.
	LogRetentionDays int
	// LogsKey encrypts the flow log group.
	LogsKey encryption.Key
	// InterfaceEndpoints are the services reached privately through
	// interface endpoints (e.g. ssm, ssmmessages, ec2messages).
	InterfaceEndpoints []string
}

// Network is what other constructs need from the VPC.
type Network struct {
	// VPCID is the VPC's ID.
	VPCID string
	// CIDR is the VPC block.
	CIDR string
	// PublicSubnetIDs, AppSubnetIDs and DataSubnetIDs are the subnets of
	// each tier, one per AZ, in AZ order.
	PublicSubnetIDs, AppSubnetIDs, DataSubnetIDs []string
	// AppSubnetAZs are the zone names of AppSubnetIDs, in the same order:
	// where a volume must be for a server placed in that subnet. (A
	// volume's zone taken from its instance instead would be unknown
	// whenever the instance is replaced, and replace the volume with it.)
	AppSubnetAZs []string
	// DBSubnetGroupName is the DB subnet group over the data subnets.
	DBSubnetGroupName string
}

// Tier is one subnet tier.
type Tier int

const (
	// Public subnets hold the load balancer and NAT gateways.
	Public Tier = iota
	// PrivateApp subnets hold the servers.
	PrivateApp
	// PrivateData subnets hold the databases and caches.
	PrivateData
)

func (t Tier) String() string { return [...]string{"public", "private-app", "private-data"}[t] }

// Layout is the subnet plan of a VPC: Subnets[tier][az] is a CIDR.
type Layout struct {
	Subnets [3][]netip.Prefix
}

// PlanSubnets splits a VPC block into four equal quarters per tier slot,
// each quarter into four AZ slots: the subnet of tier t in AZ a is
// cidrsubnet(vpc, 4, 4*t + a). A /16 gives /20 subnets; the fourth quarter
// is left free for growth. Subnets are computed, never hand-listed.
func PlanSubnets(vpcCIDR string, azCount int) (Layout, error) {
	p, err := netip.ParsePrefix(vpcCIDR)
	if err != nil {
		return Layout{}, fmt.Errorf("network: VPC CIDR %q: %w", vpcCIDR, err)
	}
	if azCount < 1 || azCount > 4 {
		return Layout{}, fmt.Errorf("network: %d AZs: the layout supports 1 to 4", azCount)
	}
	bits := p.Bits() + 4
	if bits > 28 {
		return Layout{}, fmt.Errorf("network: VPC CIDR %q is too small for three tiers in four AZs (needs /24 or larger)", vpcCIDR)
	}
	base := p.Masked().Addr().As4()
	start := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	size := uint32(1) << (32 - bits)
	var l Layout
	for t := 0; t < 3; t++ {
		for a := 0; a < azCount; a++ {
			n := start + uint32(4*t+a)*size
			addr := netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
			l.Subnets[t] = append(l.Subnets[t], netip.PrefixFrom(addr, bits))
		}
	}
	return l, nil
}

// New builds the VPC and everything in it.
func New(scope constructs.Construct, id string, p Props) *Network {
	c := constructs.NewConstruct(scope, jsii.String(id))
	i := p.Info
	layout, err := PlanSubnets(p.CIDR, p.AZCount)
	if err != nil {
		panic(err) // validated before synthesis; reaching here is a bug
	}
	trafficType := p.FlowLogTrafficType
	if trafficType == "" {
		trafficType = "ALL"
	}

	v := vpc.NewVpc(c, jsii.String("vpc"), &vpc.VpcConfig{
		CidrBlock:          jsii.String(p.CIDR),
		EnableDnsHostnames: jsii.Bool(true),
		EnableDnsSupport:   jsii.Bool(true),
		Tags:               i.Tags(i.Name("vpc")),
	})
	vpcID := v.Id()
	n := &Network{VPCID: *vpcID, CIDR: p.CIDR}

	// A default security group that allows nothing: resources must use
	// their own groups (CKV2_AWS_12).
	defaultsecuritygroup.NewDefaultSecurityGroup(c, jsii.String("default-sg"), &defaultsecuritygroup.DefaultSecurityGroupConfig{
		VpcId: vpcID,
		Tags:  i.Tags(i.Name("default-deny-all")),
	})

	igw := internetgateway.NewInternetGateway(c, jsii.String("igw"), &internetgateway.InternetGatewayConfig{
		VpcId: vpcID,
		Tags:  i.Tags(i.Name("igw")),
	})

	// Subnets are pinned to zone IDs (aws_subnet.availability_zone_id
	// forces a replacement: a subnet must never follow a live zone list).
	subnets := [3][]*string{}
	for t := Public; t <= PrivateData; t++ {
		for a, cidr := range layout.Subnets[t] {
			s := subnet.NewSubnet(c, jsii.String(fmt.Sprintf("%s-%d", t, a+1)), &subnet.SubnetConfig{
				VpcId:               vpcID,
				CidrBlock:           jsii.String(cidr.String()),
				AvailabilityZoneId:  jsii.String(p.ZoneIDs[a]),
				MapPublicIpOnLaunch: jsii.Bool(false),
				Tags: &map[string]*string{
					"Name": jsii.String(i.Name(fmt.Sprintf("%s-%d", t, a+1))),
					"Tier": jsii.String(t.String()),
				},
			})
			subnets[t] = append(subnets[t], s.Id())
			if t == PrivateApp {
				n.AppSubnetAZs = append(n.AppSubnetAZs, *s.AvailabilityZone())
			}
		}
	}
	n.PublicSubnetIDs = deref(subnets[Public])
	n.AppSubnetIDs = deref(subnets[PrivateApp])
	n.DataSubnetIDs = deref(subnets[PrivateData])

	// Public tier: one route table, default route to the internet gateway.
	publicRT := routetable.NewRouteTable(c, jsii.String("public-rt"), &routetable.RouteTableConfig{
		VpcId: vpcID,
		Tags:  i.Tags(i.Name("public")),
	})
	route.NewRoute(c, jsii.String("public-default"), &route.RouteConfig{
		RouteTableId:         publicRT.Id(),
		DestinationCidrBlock: jsii.String("0.0.0.0/0"),
		GatewayId:            igw.Id(),
	})
	for a, s := range subnets[Public] {
		routetableassociation.NewRouteTableAssociation(c, jsii.String(fmt.Sprintf("public-%d-rta", a+1)), &routetableassociation.RouteTableAssociationConfig{
			RouteTableId: publicRT.Id(),
			SubnetId:     s,
		})
	}

	// NAT: one per AZ, or one shared in the first AZ.
	natCount := 1
	if p.NATGatewayPerAZ {
		natCount = p.AZCount
	}
	nats := make([]*string, natCount)
	for a := 0; a < natCount; a++ {
		ip := eip.NewEip(c, jsii.String(fmt.Sprintf("nat-%d-eip", a+1)), &eip.EipConfig{
			Domain: jsii.String("vpc"),
			Tags:   i.Tags(i.Name(fmt.Sprintf("nat-%d", a+1))),
		})
		nat := natgateway.NewNatGateway(c, jsii.String(fmt.Sprintf("nat-%d", a+1)), &natgateway.NatGatewayConfig{
			AllocationId: ip.Id(),
			SubnetId:     subnets[Public][a],
			Tags:         i.Tags(i.Name(fmt.Sprintf("nat-%d", a+1))),
			DependsOn:    &[]cdktf.ITerraformDependable{igw},
		})
		nats[a] = nat.Id()
	}

	// Private-app tier: a route table per AZ, default route via that AZ's
	// NAT gateway (or the shared one).
	var privateRTs []*string
	for a, s := range subnets[PrivateApp] {
		rt := routetable.NewRouteTable(c, jsii.String(fmt.Sprintf("private-app-%d-rt", a+1)), &routetable.RouteTableConfig{
			VpcId: vpcID,
			Tags:  i.Tags(i.Name(fmt.Sprintf("private-app-%d", a+1))),
		})
		route.NewRoute(c, jsii.String(fmt.Sprintf("private-app-%d-default", a+1)), &route.RouteConfig{
			RouteTableId:         rt.Id(),
			DestinationCidrBlock: jsii.String("0.0.0.0/0"),
			NatGatewayId:         nats[a%natCount],
		})
		routetableassociation.NewRouteTableAssociation(c, jsii.String(fmt.Sprintf("private-app-%d-rta", a+1)), &routetableassociation.RouteTableAssociationConfig{
			RouteTableId: rt.Id(),
			SubnetId:     s,
		})
		privateRTs = append(privateRTs, rt.Id())
	}

	// Private-data tier: isolated, no default route.
	dataRT := routetable.NewRouteTable(c, jsii.String("private-data-rt"), &routetable.RouteTableConfig{
		VpcId: vpcID,
		Tags:  i.Tags(i.Name("private-data")),
	})
	for a, s := range subnets[PrivateData] {
		routetableassociation.NewRouteTableAssociation(c, jsii.String(fmt.Sprintf("private-data-%d-rta", a+1)), &routetableassociation.RouteTableAssociationConfig{
			RouteTableId: dataRT.Id(),
			SubnetId:     s,
		})
	}
	privateRTs = append(privateRTs, dataRT.Id())

	// S3 gateway endpoint: package mirrors, model weights and backups
	// never leave the AWS network.
	vpcendpoint.NewVpcEndpoint(c, jsii.String("s3-endpoint"), &vpcendpoint.VpcEndpointConfig{
		VpcId:           vpcID,
		ServiceName:     jsii.String(fmt.Sprintf("com.amazonaws.%s.s3", i.Region)),
		VpcEndpointType: jsii.String("Gateway"),
		RouteTableIds:   &privateRTs,
		Tags:            i.Tags(i.Name("s3")),
	})

	// Interface endpoints (Session Manager at least), reachable on 443 from
	// inside the VPC only.
	endpointSG := NewSecurityGroup(c, "endpoints-sg", SecurityGroupProps{
		Info:        i,
		VPCID:       *vpcID,
		Label:       "vpc-endpoints",
		Description: "Interface VPC endpoints: HTTPS from inside the VPC",
	})
	endpointSG.AllowFromCIDR(p.CIDR, "vpc", 443, "HTTPS from the VPC to AWS service endpoints")
	for _, svc := range p.InterfaceEndpoints {
		vpcendpoint.NewVpcEndpoint(c, jsii.String(svc+"-endpoint"), &vpcendpoint.VpcEndpointConfig{
			VpcId:             vpcID,
			ServiceName:       jsii.String(fmt.Sprintf("com.amazonaws.%s.%s", i.Region, svc)),
			VpcEndpointType:   jsii.String("Interface"),
			PrivateDnsEnabled: jsii.Bool(true),
			SubnetIds:         &subnets[PrivateApp],
			SecurityGroupIds:  jsii.Strings(endpointSG.ID),
			Tags:              i.Tags(i.Name(svc)),
		})
	}

	// Flow logs to a KMS-encrypted log group (CKV2_AWS_11, CKV_AWS_158).
	logGroupName := fmt.Sprintf("/%s/vpc/flow-logs", i.Prefix)
	lg := logs.NewGroup(c, "flow-logs", logs.Props{Info: i, Name: logGroupName, RetentionDays: p.LogRetentionDays, KeyArn: p.LogsKey.Arn})
	role := iamrole.NewIamRole(c, jsii.String("flow-logs-role"), &iamrole.IamRoleConfig{
		Name:                jsii.String(i.Name("vpc-flow-logs")),
		AssumeRolePolicy:    jsii.String(policy.AssumeRole("vpc-flow-logs.amazonaws.com", i.AccountID)),
		PermissionsBoundary: jsii.String(i.BoundaryArn()),
		Tags:                i.Tags(i.Name("vpc-flow-logs")),
	})
	iamrolepolicy.NewIamRolePolicy(c, jsii.String("flow-logs-policy"), &iamrolepolicy.IamRolePolicyConfig{
		Name: jsii.String("write-flow-logs"),
		Role: role.Id(),
		Policy: jsii.String(policy.Document{Statements: []policy.Statement{
			policy.Allow("WriteFlowLogs",
				[]string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
				[]string{*lg.Arn(), *lg.Arn() + ":*"}),
			// The flow-logs service looks its group up (Amazon VPC user
			// guide, "IAM role for publishing flow logs to CloudWatch
			// Logs"); DescribeLogGroups has no resource type, so "*".
			policy.Allow("FindTheLogGroup", []string{"logs:DescribeLogGroups"}, []string{"*"}),
		}}.JSON()),
	})
	flowlog.NewFlowLog(c, jsii.String("flow-log"), &flowlog.FlowLogConfig{
		VpcId:                  vpcID,
		TrafficType:            jsii.String(trafficType),
		LogDestinationType:     jsii.String("cloud-watch-logs"),
		LogDestination:         lg.Arn(),
		IamRoleArn:             role.Arn(),
		MaxAggregationInterval: jsii.Number(60),
		Tags:                   i.Tags(i.Name("vpc-flow-log")),
	})

	sng := dbsubnetgroup.NewDbSubnetGroup(c, jsii.String("db-subnets"), &dbsubnetgroup.DbSubnetGroupConfig{
		Name:        jsii.String(i.Name("data")),
		Description: jsii.String("Private-data subnets of " + i.Prefix),
		SubnetIds:   &subnets[PrivateData],
		Tags:        i.Tags(i.Name("data")),
	})
	n.DBSubnetGroupName = *sng.Name()
	return n
}

func deref(ps []*string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}
