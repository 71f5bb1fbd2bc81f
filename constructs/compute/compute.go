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
// Servers carry the tags Role (their tier), AnsibleGroup (the inventory
// group of the tier) and Environment; the Ansible inventory groups on them.
package compute

import (
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsami"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsec2instancetypeofferings"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iaminstanceprofile"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrole"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicyattachment"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/instance"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/logs"
	"github.com/influencegen/infrastructure/constructs/network"
	"github.com/influencegen/infrastructure/constructs/patching"
	"github.com/influencegen/infrastructure/constructs/policy"
)

// AMISource says which image the servers boot: an explicit ID, or the
// newest x86_64 HVM EBS image of an owner matching a name pattern.
type AMISource struct {
	// ID is an explicit AMI ID. Default: "" (look the image up).
	ID string
	// Owner is the image owner's account ID (or "amazon"), NamePattern the
	// image name filter; both are used only when ID is "".
	Owner, NamePattern string
}

// AMI returns the AMI every server boots: the explicit ID, or the newest
// image of Owner matching NamePattern (resolved at plan time).
func AMI(scope constructs.Construct, s AMISource) string {
	if s.ID != "" {
		return s.ID
	}
	ami := dataawsami.NewDataAwsAmi(scope, jsii.String("ami"), &dataawsami.DataAwsAmiConfig{
		MostRecent: jsii.Bool(true),
		Owners:     jsii.Strings(s.Owner),
		Filter: []dataawsami.DataAwsAmiFilter{
			{Name: jsii.String("name"), Values: jsii.Strings(s.NamePattern)},
			{Name: jsii.String("architecture"), Values: jsii.Strings("x86_64")},
			{Name: jsii.String("virtualization-type"), Values: jsii.Strings("hvm")},
			{Name: jsii.String("root-device-type"), Values: jsii.Strings("ebs")},
		},
	})
	return *ami.Id()
}

// OfferedZones reads, at plan, the zones (by zone ID) where an instance
// type is sold: Props.OfferedZoneIDs of a GPU tier.
func OfferedZones(scope constructs.Construct, id, instanceType string) *[]*string {
	d := dataawsec2instancetypeofferings.NewDataAwsEc2InstanceTypeOfferings(scope, jsii.String(id), &dataawsec2instancetypeofferings.DataAwsEc2InstanceTypeOfferingsConfig{
		LocationType: jsii.String("availability-zone-id"),
		Filter: []dataawsec2instancetypeofferings.DataAwsEc2InstanceTypeOfferingsFilter{
			{Name: jsii.String("instance-type"), Values: jsii.Strings(instanceType)},
		},
	})
	return d.Locations()
}

// Props configures the servers of one tier.
type Props struct {
	Placement
	// Role is what the servers are (a tier of the platform, e.g. "odoo"):
	// their Role tag, and the name of their IAM role, instance profile and
	// servers.
	Role string
	// AnsibleGroup is their AnsibleGroup tag: the inventory group the
	// dynamic inventory puts them in.
	AnsibleGroup string
	// Count is the number of servers (≥ 1).
	Count int
	// InstanceType is the EC2 instance type.
	InstanceType string
	// RootVolumeGB is the encrypted gp3 root volume's size.
	RootVolumeGB int
	// SecurityGroup is the servers' security group.
	SecurityGroup *network.SecurityGroup
	// Grants are what the servers may use besides the CloudWatch agent's
	// metrics and their own log groups: statements handed out by the
	// owners of secrets, buckets, file systems and repositories. Default:
	// none.
	Grants []policy.Statement
	// OfferedZoneIDs are the zone IDs where the instance type is sold
	// (aws_ec2_instance_type_offerings, read at plan): each server checks
	// that its subnet's zone is one of them, so a plan fails naming the
	// zone instead of an apply failing minutes in with "Unsupported".
	// Default: nil (no check).
	OfferedZoneIDs *[]*string
}

// Instance is one server.
type Instance struct {
	// ID is the instance ID (i-…), what Session Manager connects to.
	ID string
	// Subnet is the index of its subnet in Placement.SubnetIDs.
	Subnet int

	res instance.Instance
}

// PrivateIP is the server's address in its private-app subnet. (Fetched on
// demand: each attribute is a round trip to the jsii runtime.)
func (in Instance) PrivateIP() string { return *in.res.PrivateIp() }

// Group is the servers of one tier, sharing an IAM role.
type Group struct {
	// Tier is the tier's name (the Role tag).
	Tier string
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
	tier := p.Role
	name := i.Name(tier)
	g := &Group{Tier: tier}

	role := iamrole.NewIamRole(c, jsii.String("role"), &iamrole.IamRoleConfig{
		Name:                jsii.String(name),
		Description:         jsii.String("InfluenceGen " + i.Env + " " + tier + " servers"),
		AssumeRolePolicy:    jsii.String(policy.AssumeRole("ec2.amazonaws.com", "")),
		PermissionsBoundary: jsii.String(i.BoundaryArn()),
		Tags:                i.Tags(name),
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
		// Its own groups only (application, syslog, patch runs): a tier
		// that could write another tier's streams could forge its logs.
		policy.Allow("OwnLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}, []string{
			i.Arn("logs", "log-group:"+logs.RolePrefix(i, tier)+"/*"),
		}),
		// The SSM agent looks a Run Command output group up with
		// DescribeLogGroups before writing to it (and tries to create it
		// when the lookup fails): amazon-ssm-agent,
		// agent/agentlogstocloudwatch/cloudwatchlogspublisher/cloudwatchlogsservice.go,
		// IsLogGroupPresent. The patch window's output goes there.
		// DescribeLogGroups has no resource type (IAM service authorization
		// reference, CloudWatch Logs): only "*" grants it.
		policy.Allow("FindLogGroups", []string{"logs:DescribeLogGroups"}, []string{"*"}),
	}
	statements = policy.Merge(append(statements, p.Grants...))
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
		subnet := n % len(p.Network.AppSubnetIDs)
		lifecycle := &cdktf.TerraformResourceLifecycle{
			// A newer AMI must not replace running servers on the next
			// apply; roll it out deliberately with -replace.
			IgnoreChanges: &[]*string{jsii.String("ami")},
		}
		if p.OfferedZoneIDs != nil {
			zone := p.ZoneIDs[subnet]
			lifecycle.Precondition = &[]*cdktf.Precondition{{
				Condition: cdktf.Fn_Contains(p.OfferedZoneIDs, jsii.String(zone)),
				ErrorMessage: jsii.String(fmt.Sprintf("%s is not offered in zone %s, where %s would run: choose zones that offer it (Account.PrimaryZoneIDs / DevZoneIDs; aws ec2 describe-instance-type-offerings --location-type availability-zone-id)",
					p.InstanceType, zone, host)),
			}}
		}
		in := instance.NewInstance(c, jsii.String(fmt.Sprintf("server-%d", n+1)), &instance.InstanceConfig{
			Ami:                      jsii.String(p.AMI),
			InstanceType:             jsii.String(p.InstanceType),
			SubnetId:                 jsii.String(p.Network.AppSubnetIDs[subnet]),
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
				KmsKeyId:            jsii.String(p.DataKey.Arn),
				DeleteOnTermination: jsii.Bool(true),
				Tags:                &map[string]*string{"Name": jsii.String(host + "-root")},
			},
			Tags: &map[string]*string{
				"Name":         jsii.String(host),
				"Role":         jsii.String(tier),
				"AnsibleGroup": jsii.String(p.AnsibleGroup),
				"Environment":  jsii.String(i.Env),
				// The patch baseline Patch Manager applies (constructs/patching).
				patching.TagKey: jsii.String(i.Prefix),
			},
			Lifecycle: lifecycle,
		})
		g.Instances = append(g.Instances, Instance{ID: *in.Id(), Subnet: subnet, res: in})
	}
	return g
}
