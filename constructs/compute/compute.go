// Package compute is the one EC2 construct every InfluenceGen server uses.
//
// Every server: IMDSv2 only (hop limit 1, so containers cannot reach the
// instance credentials), a gp3 root volume encrypted with the data key,
// detailed monitoring, EBS-optimised, no public IP, spread over the
// private-app subnets, termination protection from Scale, and an instance
// profile with AmazonSSMManagedInstanceCore (Session Manager is the way in;
// there is no key pair) plus a least-privilege inline policy: the CloudWatch
// agent's metrics and its own log groups, its own secrets, and whatever the
// role adds (model bucket, filestore, backups).
//
// Servers carry the tags Role (odoo | n8n-main | n8n-worker | ai) and
// Environment; the Ansible inventory groups on them.
package compute

import (
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsami"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iaminstanceprofile"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrole"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicyattachment"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/instance"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/logs"
	"github.com/influencegen/infrastructure/constructs/network"
	"github.com/influencegen/infrastructure/constructs/policy"
	"github.com/influencegen/infrastructure/environments"
)

// Roles of servers, as written to the Role tag.
const (
	RoleOdoo      = "odoo"
	RoleN8nMain   = "n8n-main"
	RoleN8nWorker = "n8n-worker"
	RoleAI        = "ai"
)

// AMI returns the AMI every server boots: the explicit AMIID, or the newest
// image of AMIOwner matching AMINamePattern (resolved at plan time).
func AMI(scope constructs.Construct, s environments.ComputeSettings) string {
	if s.AMIID != "" {
		return s.AMIID
	}
	ami := dataawsami.NewDataAwsAmi(scope, jsii.String("ami"), &dataawsami.DataAwsAmiConfig{
		MostRecent: jsii.Bool(true),
		Owners:     jsii.Strings(s.AMIOwner),
		Filter: []dataawsami.DataAwsAmiFilter{
			{Name: jsii.String("name"), Values: jsii.Strings(s.AMINamePattern)},
			{Name: jsii.String("architecture"), Values: jsii.Strings("x86_64")},
			{Name: jsii.String("virtualization-type"), Values: jsii.Strings("hvm")},
			{Name: jsii.String("root-device-type"), Values: jsii.Strings("ebs")},
		},
	})
	return *ami.Id()
}

// Props configures a group of identical servers.
type Props struct {
	// Info is the environment the servers belong to.
	Info envinfo.Info
	// Role is the server role, one of the Role constants.
	Role string
	// Count is the number of servers (≥ 1).
	Count int
	// InstanceType is the EC2 instance type.
	InstanceType string
	// AMI is the image ID (see AMI).
	AMI string
	// SubnetIDs are the private-app subnets; server n goes into
	// SubnetIDs[n % len].
	SubnetIDs []string
	// SecurityGroup is the servers' security group.
	SecurityGroup *network.SecurityGroup
	// RootVolumeGB is the root volume size.
	RootVolumeGB int
	// DataKeyArn encrypts the root volume.
	DataKeyArn string
	// TerminationProtection sets disable_api_termination. Default: false.
	TerminationProtection bool
	// SecretArns are the secrets the servers may read. Default: none.
	SecretArns []string
	// SecretsKeyArn decrypts SecretArns (through Secrets Manager only).
	SecretsKeyArn string
	// Statements are extra least-privilege permissions. Default: none.
	Statements []policy.Statement
}

// Instance is one server.
type Instance struct {
	// ID is the instance ID (i-…), what Session Manager connects to.
	ID string

	res instance.Instance
}

// PrivateIP is the server's address in its private-app subnet. (Fetched on
// demand: each attribute is a round trip to the jsii runtime.)
func (in Instance) PrivateIP() string { return *in.res.PrivateIp() }

// AZ is the server's availability zone.
func (in Instance) AZ() string { return *in.res.AvailabilityZone() }

// Group is a set of identical servers sharing an IAM role.
type Group struct {
	// Role is the server role.
	Role string
	// Instances are the servers, in order.
	Instances []Instance
}

// IDs returns the instance IDs.
func (g *Group) IDs() []string {
	out := make([]string, len(g.Instances))
	for i, in := range g.Instances {
		out[i] = in.ID
	}
	return out
}

// New creates the servers, their IAM role and instance profile.
func New(scope constructs.Construct, id string, p Props) *Group {
	c := constructs.NewConstruct(scope, jsii.String(id))
	i := p.Info
	name := i.Name(p.Role)
	g := &Group{Role: p.Role}

	role := iamrole.NewIamRole(c, jsii.String("role"), &iamrole.IamRoleConfig{
		Name:             jsii.String(name),
		Description:      jsii.String("InfluenceGen " + i.Env + " " + p.Role + " servers"),
		AssumeRolePolicy: jsii.String(policy.AssumeRole("ec2.amazonaws.com", "")),
		Tags:             i.Tags(name),
	})
	roleName := role.Name()
	iamrolepolicyattachment.NewIamRolePolicyAttachment(c, jsii.String("ssm"), &iamrolepolicyattachment.IamRolePolicyAttachmentConfig{
		Role:      roleName,
		PolicyArn: jsii.String("arn:" + i.Partition + ":iam::aws:policy/AmazonSSMManagedInstanceCore"),
	})
	statements := []policy.Statement{
		{
			Sid:       "AgentMetrics",
			Actions:   []string{"cloudwatch:PutMetricData"},
			Resources: []string{"*"}, // PutMetricData has no resource ARNs; limited by namespace
			Condition: map[string]map[string][]string{"StringEquals": {"cloudwatch:namespace": {"CWAgent"}}},
		},
		policy.Allow("AgentDescribe", []string{"ec2:DescribeTags", "ec2:DescribeVolumes", "ec2:DescribeInstances"}, []string{"*"}),
		policy.Allow("OwnLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}, []string{
			i.Arn("logs", "log-group:"+logs.RolePrefix(i, p.Role)+"/*"),
			i.Arn("logs", "log-group:"+logs.RolePrefix(i, "system")+"/*"),
		}),
	}
	if len(p.SecretArns) > 0 {
		statements = append(statements,
			policy.Allow("OwnSecrets", []string{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}, p.SecretArns),
			policy.Statement{
				Sid:       "DecryptOwnSecrets",
				Actions:   []string{"kms:Decrypt"},
				Resources: []string{p.SecretsKeyArn},
				Condition: map[string]map[string][]string{"StringEquals": {"kms:ViaService": {i.ServiceHost("secretsmanager")}}},
			})
	}
	statements = append(statements, p.Statements...)
	iamrolepolicy.NewIamRolePolicy(c, jsii.String("policy"), &iamrolepolicy.IamRolePolicyConfig{
		Name:   jsii.String("least-privilege"),
		Role:   role.Id(),
		Policy: jsii.String(policy.Document{Statements: statements}.JSON()),
	})
	profile := iaminstanceprofile.NewIamInstanceProfile(c, jsii.String("profile"), &iaminstanceprofile.IamInstanceProfileConfig{
		Name: jsii.String(name),
		Role: roleName,
		Tags: i.Tags(name),
	})

	for n := 0; n < p.Count; n++ {
		host := fmt.Sprintf("%s-%d", name, n+1)
		in := instance.NewInstance(c, jsii.String(fmt.Sprintf("server-%d", n+1)), &instance.InstanceConfig{
			Ami:                      jsii.String(p.AMI),
			InstanceType:             jsii.String(p.InstanceType),
			SubnetId:                 jsii.String(p.SubnetIDs[n%len(p.SubnetIDs)]),
			VpcSecurityGroupIds:      jsii.Strings(p.SecurityGroup.ID),
			IamInstanceProfile:       profile.Name(),
			AssociatePublicIpAddress: jsii.Bool(false),
			Monitoring:               jsii.Bool(true),
			EbsOptimized:             jsii.Bool(true),
			DisableApiTermination:    jsii.Bool(p.TerminationProtection),
			MetadataOptions: &instance.InstanceMetadataOptions{
				HttpEndpoint:            jsii.String("enabled"),
				HttpTokens:              jsii.String("required"),
				HttpPutResponseHopLimit: jsii.Number(1),
				InstanceMetadataTags:    jsii.String("disabled"),
			},
			RootBlockDevice: &instance.InstanceRootBlockDevice{
				VolumeType:          jsii.String("gp3"),
				VolumeSize:          jsii.Number(float64(p.RootVolumeGB)),
				Encrypted:           jsii.Bool(true),
				KmsKeyId:            jsii.String(p.DataKeyArn),
				DeleteOnTermination: jsii.Bool(true),
				Tags:                &map[string]*string{"Name": jsii.String(host + "-root")},
			},
			Tags: &map[string]*string{
				"Name":        jsii.String(host),
				"Role":        jsii.String(p.Role),
				"Environment": jsii.String(i.Env),
			},
			// A newer AMI must not replace running servers on the next
			// apply; roll it out deliberately with -replace.
			Lifecycle: &cdktf.TerraformResourceLifecycle{IgnoreChanges: &[]*string{jsii.String("ami")}},
		})
		g.Instances = append(g.Instances, Instance{ID: *in.Id(), res: in})
	}
	return g
}
