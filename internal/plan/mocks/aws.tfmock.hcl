# The plan harness's assumptions about AWS, in one place (internal/plan).
#
# `terraform test` plans every stack against a mock of the real hashicorp/aws
# provider: Terraform core and the provider's schema and validators are real,
# but nothing calls AWS. A mock provider invents a random string for every
# computed attribute; where the stacks feed such a value into an argument the
# provider validates (an ARN, a partition, a list it indexes), the invented
# value must have the shape the real provider returns. Each default below says
# what the real data source or resource returns and where that is documented.
#
# Rule: a mock states a fact about AWS. It is never widened, loosened or
# shaped to make a real error go away; if Terraform rejects a stack, the fix
# goes into the constructs.
#
# The values use the example account (environments.DefaultAccount) and
# eu-central-1. The harness rewrites nothing per stack except the plan-time
# values the real provider computes from the configuration itself (see
# plan.go: planTimeOverrides).

# data "aws_partition": the partition of the provider's region. Real values:
# "aws", "aws-cn", "aws-us-gov" … (provider
# internal/service/meta/partition_data_source.go; AWS General Reference,
# "Amazon Resource Names"). IAM validates the partition of every ARN against
# ^aws(-[a-z]+)*$, so a random string here is rejected by a real validator.
mock_data "aws_partition" {
  defaults = {
    partition          = "aws"
    dns_suffix         = "amazonaws.com"
    reverse_dns_prefix = "com.amazonaws"
  }
}

# data "aws_caller_identity": sts:GetCallerIdentity. The account is 12 digits
# (AWS STS API reference, GetCallerIdentity).
mock_data "aws_caller_identity" {
  defaults = {
    account_id = "123456789012"
    arn        = "arn:aws:sts::123456789012:assumed-role/influencegen-deploy/session"
    user_id    = "AROAEXAMPLEEXAMPLEEXA:session"
  }
}

# data "aws_availability_zones" with state = "available": eu-central-1 has
# three zones (EC2 DescribeAvailabilityZones). The network construct indexes
# the list (element(names, n)) for up to Scale.AZCount zones.
mock_data "aws_availability_zones" {
  defaults = {
    names    = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
    zone_ids = ["euc1-az2", "euc1-az3", "euc1-az1"]
  }
}

# data "aws_ami": the newest matching image; EC2 image IDs are ami- and 8 or
# 17 hex digits (EC2 API reference, Image).
mock_data "aws_ami" {
  defaults = {
    id           = "ami-0123456789abcdef0"
    architecture = "x86_64"
  }
}

# data "aws_route53_zone": the public zone of Account.Domain. Hosted zone IDs
# are "Z" followed by up to 31 upper-case letters and digits (Route 53 API
# reference, HostedZone.Id without the /hostedzone/ prefix).
mock_data "aws_route53_zone" {
  defaults = {
    zone_id = "Z0123456789ABCDEFGHIJ"
    arn     = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"
  }
}

# data "aws_secretsmanager_random_password": secretsmanager:GetRandomPassword
# returns exactly password_length characters; with exclude_punctuation and
# require_each_included_type, letters and digits of both cases. The stacks
# ask for 64; ElastiCache validates auth_token (16–128 printable characters,
# provider internal/service/elasticache/replication_group.go).
mock_data "aws_secretsmanager_random_password" {
  defaults = {
    random_password = "Aa0Bb1Cc2Dd3Ee4Ff5Gg6Hh7Ii8Jj9Kk0Ll1Mm2Nn3Oo4Pp5Qq6Rr7Ss8Tt9Uu0V"
  }
}

# Resources whose ARN or ID the stacks pass into validated arguments. The
# formats are those of the AWS General Reference ("Amazon Resource Names")
# and each service's API reference.
mock_resource "aws_kms_key" {
  defaults = {
    arn    = "arn:aws:kms:eu-central-1:123456789012:key/0123abcd-4567-89ab-cdef-0123456789ab"
    key_id = "0123abcd-4567-89ab-cdef-0123456789ab"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn       = "arn:aws:iam::123456789012:role/influencegen-example"
    unique_id = "AROAEXAMPLEEXAMPLEEXA"
  }
}

mock_resource "aws_iam_instance_profile" {
  defaults = {
    arn = "arn:aws:iam::123456789012:instance-profile/influencegen-example"
  }
}

mock_resource "aws_iam_openid_connect_provider" {
  defaults = {
    arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  }
}

mock_resource "aws_s3_bucket" {
  defaults = {
    arn                         = "arn:aws:s3:::influencegen-example"
    bucket_domain_name          = "influencegen-example.s3.amazonaws.com"
    bucket_regional_domain_name = "influencegen-example.s3.eu-central-1.amazonaws.com"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:eu-central-1:123456789012:log-group:/influencegen/example"
  }
}

mock_resource "aws_sns_topic" {
  defaults = {
    arn = "arn:aws:sns:eu-central-1:123456789012:influencegen-example"
  }
}

mock_resource "aws_secretsmanager_secret" {
  defaults = {
    arn = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:influencegen/example-AbCdEf"
  }
}

mock_resource "aws_lb" {
  defaults = {
    arn        = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/influencegen-example/0123456789abcdef"
    arn_suffix = "app/influencegen-example/0123456789abcdef"
    dns_name   = "influencegen-example-123456789.eu-central-1.elb.amazonaws.com"
    zone_id    = "Z215JYRZR1TBD5"
  }
}

mock_resource "aws_lb_target_group" {
  defaults = {
    arn        = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/influencegen-example/0123456789abcdef"
    arn_suffix = "targetgroup/influencegen-example/0123456789abcdef"
  }
}

mock_resource "aws_lb_listener" {
  defaults = {
    arn = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:listener/app/influencegen-example/0123456789abcdef/0123456789abcdef"
  }
}

mock_resource "aws_acm_certificate" {
  defaults = {
    arn = "arn:aws:acm:eu-central-1:123456789012:certificate/0123abcd-4567-89ab-cdef-0123456789ab"
  }
}

mock_resource "aws_acm_certificate_validation" {
  defaults = {
    certificate_arn = "arn:aws:acm:eu-central-1:123456789012:certificate/0123abcd-4567-89ab-cdef-0123456789ab"
  }
}

mock_resource "aws_wafv2_web_acl" {
  defaults = {
    arn = "arn:aws:wafv2:eu-central-1:123456789012:regional/webacl/influencegen-example/0123abcd-4567-89ab-cdef-0123456789ab"
  }
}

mock_resource "aws_efs_file_system" {
  defaults = {
    arn = "arn:aws:elasticfilesystem:eu-central-1:123456789012:file-system/fs-0123456789abcdef0"
    id  = "fs-0123456789abcdef0"
  }
}

mock_resource "aws_ecr_repository" {
  defaults = {
    arn            = "arn:aws:ecr:eu-central-1:123456789012:repository/influencegen/example"
    repository_url = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/influencegen/example"
  }
}

mock_resource "aws_db_instance" {
  defaults = {
    arn = "arn:aws:rds:eu-central-1:123456789012:db:influencegen-example"
    master_user_secret = [{
      kms_key_id    = "arn:aws:kms:eu-central-1:123456789012:key/0123abcd-4567-89ab-cdef-0123456789ab"
      secret_arn    = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:rds!db-0123abcd-4567-89ab-cdef-0123456789ab-AbCdEf"
      secret_status = "active"
    }]
  }
}
