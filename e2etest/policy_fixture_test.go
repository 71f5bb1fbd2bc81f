package e2etest

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/backupvault"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatchloggroup"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatchmetricalarm"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dbinstance"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/ebsvolume"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/efsfilesystem"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/elasticachereplicationgroup"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrole"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/instance"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/kmskey"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/lb"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/lblistener"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/lbtargetgroup"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/provider"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucket"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/schedulerschedule"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/secretsmanagersecret"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/securitygroup"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/snstopic"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/subnet"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/vpc"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/vpcsecuritygroupingressrule"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/wafv2webacl"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// policyFixtureStack is a deliberately bad stack: every control of the
// policy suite must catch at least one of its resources. It is synthesized
// with the real bindings, in the same app as the real stacks, and never
// deployed.
const policyFixtureStack = "policy-fixture-stack"

// literalSecretInFixture is the fake secret the fixture writes in clear.
const literalSecretInFixture = "hunter2-not-a-real-secret"

func buildPolicyFixture(app constructs.Construct) {
	s := cdktf.NewTerraformStack(app, jsii.String(policyFixtureStack))
	provider.NewAwsProvider(s, jsii.String("aws"), &provider.AwsProviderConfig{Region: jsii.String("eu-central-1")}) // no default tags
	v := vpc.NewVpc(s, jsii.String("vpc"), &vpc.VpcConfig{CidrBlock: jsii.String("10.99.0.0/16")})                   // no flow logs
	sn := subnet.NewSubnet(s, jsii.String("public"), &subnet.SubnetConfig{VpcId: v.Id(), CidrBlock: jsii.String("10.99.0.0/24"), MapPublicIpOnLaunch: jsii.Bool(true)})
	sg := securitygroup.NewSecurityGroup(s, jsii.String("sg"), &securitygroup.SecurityGroupConfig{
		VpcId: v.Id(),
		Ingress: []securitygroup.SecurityGroupIngress{{
			FromPort: jsii.Number(22), ToPort: jsii.Number(22), Protocol: jsii.String("tcp"), CidrBlocks: jsii.Strings("0.0.0.0/0"),
		}},
	})
	vpcsecuritygroupingressrule.NewVpcSecurityGroupIngressRule(s, jsii.String("ssh-from-world"), &vpcsecuritygroupingressrule.VpcSecurityGroupIngressRuleConfig{
		SecurityGroupId: sg.Id(), CidrIpv4: jsii.String("0.0.0.0/0"), IpProtocol: jsii.String("tcp"), FromPort: jsii.Number(22), ToPort: jsii.Number(22),
	})
	instance.NewInstance(s, jsii.String("server"), &instance.InstanceConfig{
		Ami: jsii.String("ami-0123456789abcdef0"), InstanceType: jsii.String("t3.micro"), SubnetId: sn.Id(),
		AssociatePublicIpAddress: jsii.Bool(true), // and no IMDSv2, no encrypted root, no termination protection
	})
	ebsvolume.NewEbsVolume(s, jsii.String("volume"), &ebsvolume.EbsVolumeConfig{AvailabilityZone: jsii.String("eu-central-1a"), Size: jsii.Number(10)})
	dbinstance.NewDbInstance(s, jsii.String("db"), &dbinstance.DbInstanceConfig{
		InstanceClass: jsii.String("db.t4g.micro"), Engine: jsii.String("postgres"), AllocatedStorage: jsii.Number(20),
		Username: jsii.String("app"), Password: jsii.String(literalSecretInFixture), PubliclyAccessible: jsii.Bool(true),
	})
	efsfilesystem.NewEfsFileSystem(s, jsii.String("efs"), &efsfilesystem.EfsFileSystemConfig{})
	elasticachereplicationgroup.NewElasticacheReplicationGroup(s, jsii.String("redis"), &elasticachereplicationgroup.ElasticacheReplicationGroupConfig{
		ReplicationGroupId: jsii.String("fixture"), Description: jsii.String("unencrypted"), NodeType: jsii.String("cache.t4g.micro"),
	})
	s3bucket.NewS3Bucket(s, jsii.String("bucket"), &s3bucket.S3BucketConfig{Bucket: jsii.String("fixture-bucket")})
	snstopic.NewSnsTopic(s, jsii.String("topic"), &snstopic.SnsTopicConfig{Name: jsii.String("fixture")})
	cloudwatchloggroup.NewCloudwatchLogGroup(s, jsii.String("logs"), &cloudwatchloggroup.CloudwatchLogGroupConfig{Name: jsii.String("/fixture")})
	secretsmanagersecret.NewSecretsmanagerSecret(s, jsii.String("secret"), &secretsmanagersecret.SecretsmanagerSecretConfig{Name: jsii.String("fixture")})
	kmskey.NewKmsKey(s, jsii.String("key"), &kmskey.KmsKeyConfig{Description: jsii.String("no rotation")})
	alb := lb.NewLb(s, jsii.String("alb"), &lb.LbConfig{
		Internal: jsii.Bool(false), LoadBalancerType: jsii.String("application"), Subnets: jsii.Strings(*sn.Id()), SecurityGroups: jsii.Strings(*sg.Id()),
	})
	lblistener.NewLbListener(s, jsii.String("http"), &lblistener.LbListenerConfig{
		LoadBalancerArn: alb.Arn(), Port: jsii.Number(80), Protocol: jsii.String("HTTP"),
		DefaultAction: []lblistener.LbListenerDefaultAction{{Type: jsii.String("fixed-response"),
			FixedResponse: &lblistener.LbListenerDefaultActionFixedResponse{ContentType: jsii.String("text/plain"), StatusCode: jsii.String("200")}}},
	})
	lblistener.NewLbListener(s, jsii.String("https"), &lblistener.LbListenerConfig{
		LoadBalancerArn: alb.Arn(), Port: jsii.Number(443), Protocol: jsii.String("HTTPS"), SslPolicy: jsii.String("ELBSecurityPolicy-2016-08"),
		CertificateArn: jsii.String("arn:aws:acm:eu-central-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"),
		DefaultAction: []lblistener.LbListenerDefaultAction{{Type: jsii.String("fixed-response"),
			FixedResponse: &lblistener.LbListenerDefaultActionFixedResponse{ContentType: jsii.String("text/plain"), StatusCode: jsii.String("200")}}},
	})
	// A security group and a target group that cannot be replaced, a
	// database whose final snapshot keeps one name, a recover action on a
	// GPU server, a web ACL without logs matching a label nothing adds.
	securitygroup.NewSecurityGroup(s, jsii.String("named"), &securitygroup.SecurityGroupConfig{
		VpcId: v.Id(), Name: jsii.String("fixture-named"),
		Lifecycle: &cdktf.TerraformResourceLifecycle{CreateBeforeDestroy: jsii.Bool(true)},
	})
	lbtargetgroup.NewLbTargetGroup(s, jsii.String("tg"), &lbtargetgroup.LbTargetGroupConfig{
		Name: jsii.String("fixture-tg"), Port: jsii.Number(80), Protocol: jsii.String("HTTP"), VpcId: v.Id(),
	})
	dbinstance.NewDbInstance(s, jsii.String("db-final"), &dbinstance.DbInstanceConfig{
		InstanceClass: jsii.String("db.t4g.micro"), Engine: jsii.String("postgres"), AllocatedStorage: jsii.Number(20),
		Username: jsii.String("app"), ManageMasterUserPassword: jsii.Bool(true),
		SkipFinalSnapshot: jsii.Bool(false), FinalSnapshotIdentifier: jsii.String("fixture-final"),
	})
	gpu := instance.NewInstance(s, jsii.String("gpu"), &instance.InstanceConfig{
		Ami: jsii.String("ami-0123456789abcdef0"), InstanceType: jsii.String("g5.xlarge"), SubnetId: sn.Id(),
	})
	cloudwatchmetricalarm.NewCloudwatchMetricAlarm(s, jsii.String("recover-gpu"), &cloudwatchmetricalarm.CloudwatchMetricAlarmConfig{
		AlarmName: jsii.String("fixture-recover"), ComparisonOperator: jsii.String("GreaterThanOrEqualToThreshold"),
		EvaluationPeriods: jsii.Number(2), MetricName: jsii.String("StatusCheckFailed_System"), Namespace: jsii.String("AWS/EC2"),
		Period: jsii.Number(60), Statistic: jsii.String("Maximum"), Threshold: jsii.Number(1),
		Dimensions:   &map[string]*string{"InstanceId": gpu.Id()},
		AlarmActions: jsii.Strings("arn:aws:automate:eu-central-1:ec2:recover"),
	})
	wafv2webacl.NewWafv2WebAcl(s, jsii.String("waf"), &wafv2webacl.Wafv2WebAclConfig{
		Name: jsii.String("fixture"), Scope: jsii.String("REGIONAL"),
		DefaultAction: &wafv2webacl.Wafv2WebAclDefaultAction{Allow: &wafv2webacl.Wafv2WebAclDefaultActionAllow{}},
		RuleJson:      jsii.String(`[{"Name":"x","Priority":1,"Action":{"Block":{}},"Statement":{"LabelMatchStatement":{"Scope":"LABEL","Key":"awswaf:managed:aws:core-rule-set:CrossSiteScripting_BODY"}},"VisibilityConfig":{"CloudWatchMetricsEnabled":true,"MetricName":"x","SampledRequestsEnabled":true}}]`),
		VisibilityConfig: &wafv2webacl.Wafv2WebAclVisibilityConfig{
			CloudwatchMetricsEnabled: jsii.Bool(true), MetricName: jsii.String("fixture"), SampledRequestsEnabled: jsii.Bool(true),
		},
	})
	// A backup vault under AWS's key and unlocked, no budget for the
	// servers above, and a schedule that stops a server every night.
	backupvault.NewBackupVault(s, jsii.String("vault"), &backupvault.BackupVaultConfig{Name: jsii.String("fixture")})
	schedulerschedule.NewSchedulerSchedule(s, jsii.String("nightly-stop"), &schedulerschedule.SchedulerScheduleConfig{
		Name: jsii.String("fixture-stop"), ScheduleExpression: jsii.String("cron(0 20 ? * MON-FRI *)"),
		FlexibleTimeWindow: &schedulerschedule.SchedulerScheduleFlexibleTimeWindow{Mode: jsii.String("OFF")},
		Target: &schedulerschedule.SchedulerScheduleTarget{
			Arn: jsii.String("arn:aws:scheduler:::aws-sdk:ec2:stopInstances"), RoleArn: jsii.String("arn:aws:iam::123456789012:role/fixture"),
			Input: jsii.String(`{"InstanceIds":["i-0123456789abcdef0"]}`),
		},
	})
	role := iamrole.NewIamRole(s, jsii.String("role"), &iamrole.IamRoleConfig{
		AssumeRolePolicy: jsii.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`),
	})
	iamrolepolicy.NewIamRolePolicy(s, jsii.String("admin"), &iamrolepolicy.IamRolePolicyConfig{
		Role:   role.Id(),
		Policy: jsii.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`),
	})
	// The CI roles as they were before deploy-readiness D5–D7: a deploy
	// role with iam:* on its roles and no boundary, listing only its state
	// key; a plan role any pull request assumes, taking the state lock and
	// reading every secret of the project.
	deployer := iamrole.NewIamRole(s, jsii.String("old-deploy-role"), &iamrole.IamRoleConfig{
		AssumeRolePolicy: jsii.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":["repo:o/r:environment:dev"]}}}]}`),
	})
	iamrolepolicy.NewIamRolePolicy(s, jsii.String("old-deploy"), &iamrolepolicy.IamRolePolicyConfig{
		Role: deployer.Id(),
		Policy: jsii.String(`{"Version":"2012-10-17","Statement":[` +
			`{"Sid":"ListOwnStatePrefix","Effect":"Allow","Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::fixture-tfstate"],"Condition":{"StringLike":{"s3:prefix":["dev/terraform.tfstate","dev/terraform.tfstate.tflock"]}}},` +
			`{"Sid":"ManageOwnIAM","Effect":"Allow","Action":["iam:*"],"Resource":["arn:aws:iam::123456789012:role/fixture-dev-*"]}]}`),
	})
	planner := iamrole.NewIamRole(s, jsii.String("old-plan"), &iamrole.IamRoleConfig{
		AssumeRolePolicy: jsii.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":["repo:o/r:pull_request","repo:o/r:ref:refs/heads/main"]}}}]}`),
	})
	iamrolepolicy.NewIamRolePolicy(s, jsii.String("old-plan-policy"), &iamrolepolicy.IamRolePolicyConfig{
		Role: planner.Id(),
		Policy: jsii.String(`{"Version":"2012-10-17","Statement":[` +
			`{"Sid":"TakeStateLock","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],"Resource":["arn:aws:s3:::fixture-tfstate/*/terraform.tfstate.tflock"]},` +
			`{"Sid":"RefreshGeneratedSecrets","Effect":"Allow","Action":["secretsmanager:GetSecretValue"],"Resource":["arn:aws:secretsmanager:*:123456789012:secret:fixture/*"]}]}`),
	})
}
