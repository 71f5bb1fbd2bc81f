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
	// Label is the group's short name, e.g. "odoo" or "alb": its physical
	// name starts with Info.Name(Label), and its peers' rule IDs name it.
	Label string
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
	// Label is the group's short name (SecurityGroupProps.Label).
	Label string

	scope constructs.Construct
	rules map[string]bool
}

// NewSecurityGroup creates an empty security group.
//
// Its name is a prefix: name, description and VPC force a replacement
// (provider internal/service/ec2/vpc_security_group.go), names are unique
// in a VPC, and create_before_destroy creates the new group before the
// old one is gone — with a fixed name every replacement would fail
// InvalidGroup.Duplicate.
func NewSecurityGroup(scope constructs.Construct, id string, p SecurityGroupProps) *SecurityGroup {
	c := constructs.NewConstruct(scope, jsii.String(id))
	name := p.Info.Name(p.Label)
	sg := securitygroup.NewSecurityGroup(c, jsii.String("sg"), &securitygroup.SecurityGroupConfig{
		NamePrefix:  jsii.String(name + "-"),
		Description: jsii.String(p.Description),
		VpcId:       jsii.String(p.VPCID),
		Tags:        p.Info.Tags(name),
		Lifecycle:   &cdktf.TerraformResourceLifecycle{CreateBeforeDestroy: jsii.Bool(true)},
	})
	return &SecurityGroup{ID: *sg.Id(), Label: p.Label, scope: c, rules: map[string]bool{}}
}

// ruleID names a rule after what it allows: direction, port and peer
// ("in-5432-from-odoo", "out-443-to-internet"), never after the order
// rules were added, so adding a rule never renames another. The same rule
// twice is a programming error.
func (g *SecurityGroup) ruleID(direction string, port int, peer string) *string {
	sep := "from"
	if direction == "out" {
		sep = "to"
	}
	id := fmt.Sprintf("%s-%d-%s-%s", direction, port, sep, peer)
	if g.rules[id] {
		panic(fmt.Sprintf("security group %s: rule %s is declared twice", g.Label, id))
	}
	g.rules[id] = true
	return jsii.String(id)
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
func (s Service) AllowClient(client *SecurityGroup) {
	s.SecurityGroup.AllowFrom(client, s.Port, s.Label+" from "+client.Label)
}

// AllowFrom lets members of source reach this group on a TCP port: it adds
// the ingress rule here and the matching egress rule on source, so both
// sides stay least-privilege.
func (g *SecurityGroup) AllowFrom(source *SecurityGroup, port int, description string) {
	vpcsecuritygroupingressrule.NewVpcSecurityGroupIngressRule(g.scope, g.ruleID("in", port, source.Label), &vpcsecuritygroupingressrule.VpcSecurityGroupIngressRuleConfig{
		SecurityGroupId:           jsii.String(g.ID),
		ReferencedSecurityGroupId: jsii.String(source.ID),
		IpProtocol:                jsii.String("tcp"),
		FromPort:                  jsii.Number(float64(port)),
		ToPort:                    jsii.Number(float64(port)),
		Description:               jsii.String(description),
	})
	source.egress(g.Label, g.ID, "", port, description)
}

// AllowFromCIDR lets an IPv4 block reach this group on a TCP port; peer
// names the block in the rule's ID ("internet", "vpc", "admin"). Use it
// only for the load balancer's public listeners and VPC-internal services;
// server-to-server access goes through AllowFrom.
func (g *SecurityGroup) AllowFromCIDR(cidr, peer string, port int, description string) {
	vpcsecuritygroupingressrule.NewVpcSecurityGroupIngressRule(g.scope, g.ruleID("in", port, peer), &vpcsecuritygroupingressrule.VpcSecurityGroupIngressRuleConfig{
		SecurityGroupId: jsii.String(g.ID),
		CidrIpv4:        jsii.String(cidr),
		IpProtocol:      jsii.String("tcp"),
		FromPort:        jsii.Number(float64(port)),
		ToPort:          jsii.Number(float64(port)),
		Description:     jsii.String(description),
	})
}

// AllowEgressToCIDR lets this group open TCP connections to an IPv4 block on
// a port (e.g. HTTPS to the internet through NAT for package mirrors); peer
// names the block in the rule's ID.
func (g *SecurityGroup) AllowEgressToCIDR(cidr, peer string, port int, description string) {
	g.egress(peer, "", cidr, port, description)
}

// egress adds one egress rule to another group (groupID) or to a CIDR
// block; peer names it in the rule's ID.
func (g *SecurityGroup) egress(peer, groupID, cidr string, port int, description string) {
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
	vpcsecuritygroupegressrule.NewVpcSecurityGroupEgressRule(g.scope, g.ruleID("out", port, peer), cfg)
}
