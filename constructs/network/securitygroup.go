package network

import (
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/securitygroup"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/vpcsecuritygroupegressrule"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/vpcsecuritygroupingressrule"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/envinfo"
)

// SecurityGroupProps configures a security group.
type SecurityGroupProps struct {
	// Info is the environment the group belongs to.
	Info envinfo.Info
	// VPCID is the VPC the group lives in.
	VPCID string
	// Name is the group's name.
	Name string
	// Description says what the group protects.
	Description string
}

// SecurityGroup is a security group whose rules are separate
// aws_vpc_security_group_{ingress,egress}_rule resources (never inline
// blocks, which scanners miss in Terraform JSON). It starts with no rules at
// all: no ingress and no egress.
type SecurityGroup struct {
	// ID is the security group ID.
	ID string
	// Name is the group's name, used in rule descriptions.
	Name string

	scope constructs.Construct
	rules int
}

// NewSecurityGroup creates an empty security group.
func NewSecurityGroup(scope constructs.Construct, id string, p SecurityGroupProps) *SecurityGroup {
	c := constructs.NewConstruct(scope, jsii.String(id))
	sg := securitygroup.NewSecurityGroup(c, jsii.String("sg"), &securitygroup.SecurityGroupConfig{
		Name:        jsii.String(p.Name),
		Description: jsii.String(p.Description),
		VpcId:       jsii.String(p.VPCID),
		Tags:        p.Info.Tags(p.Name),
		Lifecycle:   &cdktf.TerraformResourceLifecycle{CreateBeforeDestroy: jsii.Bool(true)},
	})
	return &SecurityGroup{ID: *sg.Id(), Name: p.Name, scope: c}
}

func (g *SecurityGroup) nextID(kind string) *string {
	g.rules++
	return jsii.String(fmt.Sprintf("%s-%d", kind, g.rules))
}

// Service is a security group in front of one TCP service (a database, a
// cache, a file system, an API): what its clients are wired to.
type Service struct {
	// SecurityGroup admits the service's clients.
	SecurityGroup *SecurityGroup
	// Port is the service's TCP port.
	Port int
	// Label names the service in rule descriptions, e.g. "PostgreSQL".
	Label string
}

// AllowClient lets members of a client security group reach the service.
func (s Service) AllowClient(client *SecurityGroup, who string) {
	s.SecurityGroup.AllowFrom(client, s.Port, s.Label+" from "+who)
}

// AllowFrom lets members of source reach this group on a TCP port: it adds
// the ingress rule here and the matching egress rule on source, so both
// sides stay least-privilege.
func (g *SecurityGroup) AllowFrom(source *SecurityGroup, port int, description string) {
	vpcsecuritygroupingressrule.NewVpcSecurityGroupIngressRule(g.scope, g.nextID("in"), &vpcsecuritygroupingressrule.VpcSecurityGroupIngressRuleConfig{
		SecurityGroupId:           jsii.String(g.ID),
		ReferencedSecurityGroupId: jsii.String(source.ID),
		IpProtocol:                jsii.String("tcp"),
		FromPort:                  jsii.Number(float64(port)),
		ToPort:                    jsii.Number(float64(port)),
		Description:               jsii.String(description),
	})
	source.egress("", g.ID, port, description)
}

// AllowFromCIDR lets an IPv4 block reach this group on a TCP port. Use it
// only for the load balancer's public listeners and VPC-internal services;
// server-to-server access goes through AllowFrom.
func (g *SecurityGroup) AllowFromCIDR(cidr string, port int, description string) {
	vpcsecuritygroupingressrule.NewVpcSecurityGroupIngressRule(g.scope, g.nextID("in"), &vpcsecuritygroupingressrule.VpcSecurityGroupIngressRuleConfig{
		SecurityGroupId: jsii.String(g.ID),
		CidrIpv4:        jsii.String(cidr),
		IpProtocol:      jsii.String("tcp"),
		FromPort:        jsii.Number(float64(port)),
		ToPort:          jsii.Number(float64(port)),
		Description:     jsii.String(description),
	})
}

// AllowEgressToCIDR lets this group open TCP connections to an IPv4 block on
// a port (e.g. HTTPS to the internet through NAT for package mirrors).
func (g *SecurityGroup) AllowEgressToCIDR(cidr string, port int, description string) {
	g.egress(cidr, "", port, description)
}

// egress adds one egress rule to a CIDR block or to another group.
func (g *SecurityGroup) egress(cidr, groupID string, port int, description string) {
	cfg := &vpcsecuritygroupegressrule.VpcSecurityGroupEgressRuleConfig{
		SecurityGroupId: jsii.String(g.ID),
		IpProtocol:      jsii.String("tcp"),
		FromPort:        jsii.Number(float64(port)),
		ToPort:          jsii.Number(float64(port)),
		Description:     jsii.String(description),
	}
	if groupID != "" {
		cfg.ReferencedSecurityGroupId = jsii.String(groupID)
	} else {
		cfg.CidrIpv4 = jsii.String(cidr)
	}
	vpcsecuritygroupegressrule.NewVpcSecurityGroupEgressRule(g.scope, g.nextID("out"), cfg)
}
