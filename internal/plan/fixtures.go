package plan

// The harness's assumptions about AWS, in one place.
//
// The plan runs the real hashicorp/aws provider. A plan of resources that do
// not exist yet calls no AWS API: the provider computes every plan-time
// value itself (the certificate's domain_validation_options, tags_all,
// which arguments force replacement). Data sources are different: the real
// provider reads them from AWS at plan. The harness replaces each with an
// override_data block whose values are below. Each value says what the
// real data source returns and where that is documented.
//
// Rule: a fixture states a fact about AWS. It is never widened, loosened or
// shaped to make a real error go away; if Terraform rejects a stack, the
// fix goes into the constructs. The values use the example account
// (environments.DefaultAccount) and eu-central-1.
var dataFixtures = map[string]string{
	// sts:GetCallerIdentity: a 12-digit account (AWS STS API reference,
	// GetCallerIdentity).
	"aws_caller_identity": `
    account_id = "123456789012"
    arn        = "arn:aws:sts::123456789012:assumed-role/influencegen-deploy/session"
    user_id    = "AROAEXAMPLEEXAMPLEEXA:session"`,

	// The partition of the provider's region: "aws", "aws-cn", "aws-us-gov"
	// (provider internal/service/meta/partition_data_source.go). IAM
	// validates the partition of every ARN against ^aws(-[a-z]+)*$.
	"aws_partition": `
    partition          = "aws"
    dns_suffix         = "amazonaws.com"
    reverse_dns_prefix = "com.amazonaws"`,

	// ec2:DescribeAvailabilityZones with state "available" and opt-in not
	// required: eu-central-1 has three zones. The network construct takes
	// up to Scale.AZCount of them in order.
	"aws_availability_zones": `
    names    = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
    zone_ids = ["euc1-az2", "euc1-az3", "euc1-az1"]`,

	// ec2:DescribeImages, newest match: image IDs are "ami-" and 8 or 17
	// hex digits (EC2 API reference, Image).
	"aws_ami": `
    id           = "ami-0123456789abcdef0"
    architecture = "x86_64"`,

	// route53:ListHostedZonesByName: zone IDs are "Z" and up to 31
	// upper-case letters and digits, without the /hostedzone/ prefix.
	"aws_route53_zone": `
    zone_id = "Z0123456789ABCDEFGHIJ"
    arn     = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"`,

	// secretsmanager:GetRandomPassword returns exactly password_length
	// characters; with exclude_punctuation and require_each_included_type,
	// letters of both cases and digits. The stacks ask for 64.
	// ElastiCache's auth_token validator wants 16–128 printable characters
	// (provider internal/service/elasticache/replication_group.go).
	"aws_secretsmanager_random_password": `
    random_password = "Aa0Bb1Cc2Dd3Ee4Ff5Gg6Hh7Ii8Jj9Kk0Ll1Mm2Nn3Oo4Pp5Qq6Rr7Ss8Tt9Uu0V"`,

	// ec2:DescribeInstanceTypeOfferings with location type
	// availability-zone-id, filtered on one instance type: the zone IDs
	// that sell it. The fixture assumes the GPU types the stacks use are
	// sold in the three zones of Account.PrimaryZoneIDs; the real data
	// source answers for the real account at plan, and the GPU servers'
	// preconditions fail the plan naming the zone if it does not (the
	// harness's tests prove that they do).
	"aws_ec2_instance_type_offerings": `
    instance_types = ["g5.xlarge", "g5.xlarge", "g5.xlarge"]
    locations      = ["euc1-az1", "euc1-az2", "euc1-az3"]
    location_types = ["availability-zone-id", "availability-zone-id", "availability-zone-id"]`,
}

// Fake credentials for the provider block of the plan: with the skip_*
// settings the provider calls nothing, and a plan of new resources needs no
// AWS API. They are not a secret and not a real key.
const (
	fakeAccessKey = "AKIAHARNESSNOTAREAL0"
	fakeSecretKey = "plan-harness-offline-not-a-real-secret-key"
)
