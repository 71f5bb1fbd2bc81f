package iam

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ServiceContext is what an AWS service puts in the request context when
// it acts on a customer's resource, with the page that documents it. The
// keys a service does not send are as important as those it sends: a
// resource policy that conditions on a key the service never sends refuses
// every delivery, silently.
type ServiceContext struct {
	// Principal is the service principal the request comes from.
	Principal string
	// Sends are the context keys the service sets ("aws:SourceArn").
	Sends []string
	// Source is the documentation page.
	Source string
}

// ServiceContexts are the documented request contexts this package
// evaluates, by what the service does.
var ServiceContexts = map[string]ServiceContext{
	"cloudwatch alarm → sns:Publish": {Principal: "cloudwatch.amazonaws.com", Sends: []string{"aws:SourceArn", "aws:SourceAccount"},
		Source: "Amazon CloudWatch user guide, \"Confused deputy prevention\" (alarm actions to Amazon SNS: aws:SourceArn is the alarm's ARN)"},
	"cloudwatch alarm → kms (encrypted topic)": {Principal: "cloudwatch.amazonaws.com", Sends: []string{"aws:SourceArn", "aws:SourceAccount"},
		Source: "Amazon SNS developer guide, \"Key management\" › \"Enable compatibility between event sources from AWS services and encrypted topics\" (CloudWatch: cloudwatch.amazonaws.com; its grant may carry aws:SourceAccount and aws:SourceArn)"},
	"eventbridge rule → sns:Publish": {Principal: "events.amazonaws.com", Sends: []string{"aws:SourceArn", "aws:SourceAccount"},
		Source: "Amazon EventBridge user guide, \"Using IAM policy conditions in Amazon EventBridge\" (aws:SourceArn: the ARN of the rule sending the event; aws:SourceAccount)"},
	"eventbridge rule → kms (encrypted topic)": {Principal: "events.amazonaws.com", Sends: nil,
		Source: "Amazon SNS developer guide, \"Key management\" › \"Enable compatibility between event sources from AWS services and encrypted topics\": aws:SourceAccount, aws:SourceArn and aws:SourceOrgID are not supported in the KMS key policy for EventBridge as the source"},
	"cloudwatch logs → kms": {Principal: "logs.{region}.amazonaws.com", Sends: []string{"kms:EncryptionContext:aws:logs:arn"},
		Source: "Amazon CloudWatch Logs user guide, \"Encrypt log data in CloudWatch Logs using AWS Key Management Service\" (encryption context aws:logs:arn = the log group's ARN)"},
	"elb access logs → s3:PutObject": {Principal: "the Elastic Load Balancing account of the Region", Sends: nil,
		Source: "Elastic Load Balancing user guide (ALB), \"Enable access logs\" › \"Regions available before August 2022\": the bucket policy grants the Region's ELB account; SSE-S3 is the only encryption supported"},
	"scheduler → sts:AssumeRole": {Principal: "scheduler.amazonaws.com", Sends: []string{"aws:SourceArn", "aws:SourceAccount"},
		Source: "EventBridge Scheduler user guide, \"Set up the execution role\" (aws:SourceAccount; aws:SourceArn: the schedule group)"},
	"vpc flow logs → sts:AssumeRole": {Principal: "vpc-flow-logs.amazonaws.com", Sends: []string{"aws:SourceArn", "aws:SourceAccount"},
		Source: "Amazon VPC user guide, \"IAM role for publishing flow logs to CloudWatch Logs\" (confused deputy: aws:SourceAccount, aws:SourceArn = the flow log)"},
	"rds enhanced monitoring → sts:AssumeRole": {Principal: "monitoring.rds.amazonaws.com", Sends: []string{"aws:SourceArn", "aws:SourceAccount"},
		Source: "Amazon RDS user guide, \"Setting up and enabling Enhanced Monitoring\" (the trust policy may condition on aws:SourceAccount / aws:SourceArn)"},
	"aws backup → sts:AssumeRole": {Principal: "backup.amazonaws.com", Sends: []string{"aws:SourceAccount"},
		Source: "AWS Backup developer guide, \"Cross-service confused deputy prevention\""},
	"ec2 → sts:AssumeRole (instance profile)": {Principal: "ec2.amazonaws.com", Sends: nil,
		Source: "Amazon EC2 user guide, \"IAM roles for Amazon EC2\""},
}

// elbLogAccounts are the Elastic Load Balancing accounts that write access
// logs in the Regions the environments use (ELB user guide, "Enable access
// logs for your Application Load Balancer", table of Regions available
// before August 2022).
var elbLogAccounts = map[string]string{"eu-central-1": "054676820928", "eu-west-1": "156460612806", "us-east-1": "127311923021"}

func contextOf(what, region string, values map[string]string) map[string][]string {
	sc := ServiceContexts[what]
	out := map[string][]string{}
	for _, k := range sc.Sends {
		if v, ok := values[k]; ok {
			out[k] = []string{v}
		}
	}
	return out
}

func principalOf(what, region string) string {
	return strings.ReplaceAll(ServiceContexts[what].Principal, "{region}", region)
}

// serviceJobs are the calls AWS services make into the environment's
// policy-protected resources, and the service roles' own calls.
func (m *Model) serviceJobs(env Environment) ([]Request, error) {
	var out []Request
	var errs []string
	add := func(what, job, principal, action, resource string, ctx map[string][]string) {
		out = append(out, Request{Job: env.Name + " " + job, Principal: principal, Action: action, Resource: resource, Context: ctx,
			Source: ServiceContexts[what].Source, Region: env.Region, Kind: KindService})
	}
	topicKey := map[string]string{}
	for _, t := range m.Find(env.Stack, "aws_sns_topic") {
		topicKey[t.OwnARN()] = str(t.Args["kms_master_key_id"])
	}
	publish := func(kind, source, topic string) {
		what := kind + " → sns:Publish"
		values := map[string]string{"aws:SourceArn": source, "aws:SourceAccount": accountOf(source)}
		add(what, kind+" "+source+" publishes", principalOf(what, env.Region), "sns:Publish", topic, contextOf(what, env.Region, values))
		if key := topicKey[topic]; key != "" {
			kwhat := kind + " → kms (encrypted topic)"
			for _, a := range []string{"kms:GenerateDataKey", "kms:Decrypt"} {
				add(kwhat, kind+" "+source+" encrypts for the topic", principalOf(kwhat, env.Region), a, key, contextOf(kwhat, env.Region, values))
			}
		}
	}
	for _, a := range m.Find(env.Stack, "aws_cloudwatch_metric_alarm") {
		for _, list := range []string{"alarm_actions", "ok_actions", "insufficient_data_actions"} {
			actions, _ := a.Args[list].([]any)
			for _, x := range actions {
				if _, ok := topicKey[str(x)]; ok {
					publish("cloudwatch alarm", a.OwnARN(), str(x))
				}
			}
		}
	}
	for _, t := range m.Find(env.Stack, "aws_cloudwatch_event_target") {
		if _, ok := topicKey[str(t.Args["arn"])]; ok {
			rule := fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", t.Region, t.Account, str(t.Args["rule"]))
			publish("eventbridge rule", rule, str(t.Args["arn"]))
		}
	}
	for _, g := range m.Find(env.Stack, "aws_cloudwatch_log_group") {
		key := str(g.Args["kms_key_id"])
		if key == "" {
			continue
		}
		what := "cloudwatch logs → kms"
		ctx := map[string][]string{"kms:EncryptionContext:aws:logs:arn": {g.OwnARN()}}
		for _, a := range []string{"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"} {
			add(what, "cloudwatch logs encrypts "+str(g.Args["name"]), principalOf(what, g.Region), a, key, ctx)
		}
	}
	for _, lb := range m.Find(env.Stack, "aws_lb") {
		bucket := m.expandArg(lb, "access_logs.bucket")
		if bucket == "" {
			continue
		}
		elb, ok := elbLogAccounts[lb.Region]
		if !ok {
			errs = append(errs, "no Elastic Load Balancing log account for "+lb.Region+" in elbLogAccounts")
			continue
		}
		prefix := m.expandArg(lb, "access_logs.prefix")
		object := fmt.Sprintf("arn:aws:s3:::%s/%s/AWSLogs/%s/elasticloadbalancing/%s/2026/12/06/log.gz", bucket, prefix, lb.Account, lb.Region)
		add("elb access logs → s3:PutObject", "load balancer writes access logs", "arn:aws:iam::"+elb+":root", "s3:PutObject", object, nil)
		out[len(out)-1].AWSOwned = true
		if m.bucketKey(env.Stack, bucket) != "" {
			errs = append(errs, fmt.Sprintf("%s: access-log bucket %s uses SSE-KMS; Elastic Load Balancing supports SSE-S3 only (%s)",
				lb.Where(), bucket, ServiceContexts["elb access logs → s3:PutObject"].Source))
		}
	}
	// Service roles: the service assumes the role (trust policy), then the
	// role makes the calls.
	assume := func(what string, role *Role, source string) {
		values := map[string]string{"aws:SourceArn": source, "aws:SourceAccount": role.Account}
		add(what, principalOf(what, env.Region)+" assumes "+str(role.Args["name"]), principalOf(what, env.Region), "sts:AssumeRole", role.ARN,
			contextOf(what, env.Region, values))
	}
	roleCall := func(role *Role, job, action, resource string, ctx map[string][]string, source string) {
		out = append(out, Request{Job: env.Name + " " + job, Principal: role.ARN, Action: action, Resource: resource, Context: ctx, Source: source, Region: env.Region, Kind: KindService})
	}
	for _, fl := range m.Find(env.Stack, "aws_flow_log") {
		role := m.Roles[str(fl.Args["iam_role_arn"])]
		if role == nil {
			continue
		}
		assume("vpc flow logs → sts:AssumeRole", role, fl.OwnARN())
		group := str(fl.Args["log_destination"])
		src := ServiceContexts["vpc flow logs → sts:AssumeRole"].Source
		roleCall(role, "flow logs", "logs:CreateLogStream", group+":log-stream:eni-0123456789abcdef0-all", nil, src)
		roleCall(role, "flow logs", "logs:PutLogEvents", group+":log-stream:eni-0123456789abcdef0-all", nil, src)
		roleCall(role, "flow logs", "logs:DescribeLogStreams", group, nil, src)
		roleCall(role, "flow logs", "logs:DescribeLogGroups", "*", nil, src)
	}
	for _, db := range m.Find(env.Stack, "aws_db_instance") {
		role := m.Roles[str(db.Args["monitoring_role_arn"])]
		if role == nil {
			continue
		}
		assume("rds enhanced monitoring → sts:AssumeRole", role, db.OwnARN())
		group := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:RDSOSMetrics", db.Region, db.Account)
		src := "AWS managed policy AmazonRDSEnhancedMonitoringRole (RDS user guide, Enhanced Monitoring)"
		for _, a := range []string{"logs:CreateLogGroup", "logs:PutRetentionPolicy"} {
			roleCall(role, "rds enhanced monitoring", a, group, nil, src)
		}
		for _, a := range []string{"logs:CreateLogStream", "logs:PutLogEvents"} {
			roleCall(role, "rds enhanced monitoring", a, group+":log-stream:db-ABCDEFGHIJKLMNOP", nil, src)
		}
	}
	for _, s := range m.Find(env.Stack, "aws_scheduler_schedule") {
		role := m.Roles[m.expandArg(s, "target.role_arn")]
		if role == nil {
			errs = append(errs, s.Where()+": target role "+m.expandArg(s, "target.role_arn")+" not in the stacks")
			continue
		}
		group := str(s.Args["group_name"])
		if group == "" {
			group = "default"
		}
		assume("scheduler → sts:AssumeRole", role, fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule-group/%s", s.Region, s.Account, group))
		reqs, err := m.scheduleCalls(s, role)
		if err != nil {
			errs = append(errs, err.Error())
		}
		for _, r := range reqs {
			r.Job = env.Name + " " + r.Job
			out = append(out, r)
		}
	}
	for _, sel := range m.Find(env.Stack, "aws_backup_selection") {
		role := m.Roles[str(sel.Args["iam_role_arn"])]
		if role == nil {
			continue
		}
		assume("aws backup → sts:AssumeRole", role, "")
		src := "AWS managed policy AWSBackupServiceRolePolicyForBackup (AWS Backup developer guide, \"Default service role for AWS Backup\")"
		resources, _ := sel.Args["resources"].([]any)
		for _, x := range resources {
			arn := str(x)
			switch {
			case strings.Contains(arn, ":elasticfilesystem:"):
				roleCall(role, "aws backup", "elasticfilesystem:Backup", arn, nil, src)
			case strings.Contains(arn, ":rds:"):
				roleCall(role, "aws backup", "rds:CreateDBSnapshot", arn, nil, src)
				roleCall(role, "aws backup", "rds:AddTagsToResource", arn, nil, src)
			case strings.Contains(arn, ":volume/"):
				roleCall(role, "aws backup", "ec2:CreateSnapshot", arn, nil, src)
			case strings.Contains(arn, ":instance/"):
				roleCall(role, "aws backup", "ec2:CreateImage", arn, nil, src)
			}
		}
		roleCall(role, "aws backup", "tag:GetResources", "*", nil, src)
	}
	// Maintenance-window tasks registered without a service role run as
	// Systems Manager's service-linked role (Systems Manager user guide,
	// "Using service-linked roles for Systems Manager"; policy
	// AmazonSSMServiceRolePolicy): Run Command of AWS-RunPatchBaseline on
	// the window's target instances, found by tag.
	for _, task := range m.Find(env.Stack, "aws_ssm_maintenance_window_task") {
		if str(task.Args["service_role_arn"]) != "" {
			errs = append(errs, task.Where()+": a task with its own service role: add its calls to serviceJobs")
			continue
		}
		slr := m.serviceLinkedRole(task.Account, "ssm.amazonaws.com", "AWSServiceRoleForAmazonSSM", "arn:aws:iam::aws:policy/aws-service-role/AmazonSSMServiceRolePolicy")
		src := "Systems Manager user guide, \"Using service-linked roles for Systems Manager\" (AmazonSSMServiceRolePolicy)"
		// An AWS-owned document's ARN has no account
		// (arn:aws:ssm:<region>::document/AWS-RunPatchBaseline), which
		// iam-simulate cannot match to the document resource type
		// (no.resource.types); it is evaluated with the account's ID, the
		// same decision for the role's Resource "*".
		document := fmt.Sprintf("arn:aws:ssm:%s:%s:document/%s", task.Region, task.Account, str(task.Args["task_arn"]))
		out = append(out, Request{Job: env.Name + " maintenance window " + str(task.Args["name"]), Principal: slr.ARN, Action: "ssm:SendCommand",
			Resource: document, Source: src, Region: env.Region, Kind: KindService})
		for _, inst := range m.Find(env.Stack, "aws_instance") {
			out = append(out, Request{Job: env.Name + " maintenance window " + str(task.Args["name"]), Principal: slr.ARN, Action: "ssm:SendCommand",
				Resource: inst.OwnARN(), Source: src, Region: env.Region, Kind: KindService})
		}
		out = append(out, Request{Job: env.Name + " maintenance window targets", Principal: slr.ARN, Action: "tag:GetResources",
			Resource: "*", Source: src, Region: env.Region, Kind: KindService})
	}
	for _, ip := range m.Find(env.Stack, "aws_iam_instance_profile") {
		if role := m.RoleNamed(str(ip.Args["role"])); role != nil {
			assume("ec2 → sts:AssumeRole (instance profile)", role, "")
		}
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return out, nil
}

// scheduleCalls are the calls an EventBridge Scheduler universal target
// makes as its role: the target ARN "arn:aws:scheduler:::aws-sdk:<service>:<apiAction>"
// is the API call, its input the parameters (EventBridge Scheduler user
// guide, "Using universal targets"). Starting an instance whose volumes
// use a customer managed key also makes EC2 create a grant as the caller.
func (m *Model) scheduleCalls(s *Resource, role *Role) ([]Request, error) {
	target := m.expandArg(s, "target.arn")
	_, api, ok := strings.Cut(target, ":aws-sdk:")
	if !ok {
		return nil, fmt.Errorf("%s: target %s is not a universal target", s.Where(), target)
	}
	service, op, _ := strings.Cut(api, ":")
	action := service + ":" + strings.ToUpper(op[:1]) + op[1:]
	var input map[string][]string
	if err := json.Unmarshal([]byte(m.expandArg(s, "target.input")), &input); err != nil {
		return nil, fmt.Errorf("%s: target input: %v", s.Where(), err)
	}
	job := "scheduler " + str(s.Args["name"])
	src := "EventBridge Scheduler user guide, \"Using universal targets\""
	var out []Request
	for _, id := range input["InstanceIds"] {
		inst := m.instanceByID(s.Stack, id)
		if inst == nil {
			return out, fmt.Errorf("%s: instance %s not in the stack", s.Where(), id)
		}
		out = append(out, Request{Job: job, Principal: role.ARN, Action: action, Resource: inst.OwnARN(), Source: src, Kind: KindService})
		if key := m.expandArg(inst, "root_block_device.kms_key_id"); key != "" && action == "ec2:StartInstances" {
			out = append(out, Request{Job: job + " (encrypted volumes)", Principal: role.ARN, Action: "kms:CreateGrant", Resource: key, Kind: KindService, Source: "Amazon EBS user guide, \"How EBS encryption works\"",
				Context: map[string][]string{"kms:ViaService": {"ec2." + s.Region + ".amazonaws.com"}, "kms:CallerAccount": {role.Account}, "kms:GrantIsForAWSResource": {"true"}}})
		}
	}
	for _, name := range input["AlarmNames"] {
		out = append(out, Request{Job: job, Principal: role.ARN, Action: action, Source: src, Kind: KindService,
			Resource: fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", s.Region, s.Account, name)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: target input names neither InstanceIds nor AlarmNames: teach scheduleCalls its resources", s.Where())
	}
	return out, nil
}

// serviceLinkedRole returns the service-linked role AWS creates for a
// service, with the AWS managed policy AWS attaches to it; the stacks do
// not declare it, so the model adds it on first use.
func (m *Model) serviceLinkedRole(account, service, name, policy string) *Role {
	arn := fmt.Sprintf("arn:aws:iam::%s:role/aws-service-role/%s/%s", account, service, name)
	if r, ok := m.Roles[arn]; ok {
		return r
	}
	r := &Role{Resource: Resource{Type: "service-linked role", Name: name, Account: account, Args: map[string]any{"name": name}},
		ARN: arn, Inline: map[string]json.RawMessage{}, Managed: []string{policy}}
	m.Roles[arn] = r
	return r
}

func (m *Model) instanceByID(stack, id string) *Resource {
	for _, r := range m.Find(stack, "aws_instance") {
		if standIn(r, "i-") == id {
			return r
		}
	}
	return nil
}

// mustNots are what each principal must be refused: another environment's
// state and secrets, another tier's secrets, key administration, widening
// itself or its boundary.
func (m *Model) mustNots(env Environment, deploy, plan *Role, stateObject, stateKey string) []Request {
	var out []Request
	deny := func(role *Role, job, action, resource string, ctx map[string][]string) {
		out = append(out, Request{Job: job, Principal: role.ARN, Action: action, Resource: resource, Context: ctx, Deny: true, Region: env.Region, Kind: KindMustNot})
	}
	self := func(role *Role) string { return role.ARN }
	for _, o := range env.Others {
		otherState := "arn:aws:s3:::" + o.StateBucket + "/" + o.StateKey
		for _, role := range []*Role{deploy, plan} {
			deny(role, "must-not "+env.Name+": another environment's state", "s3:GetObject", otherState, nil)
		}
		deny(deploy, "must-not "+env.Name+": another environment's state", "s3:PutObject", otherState, nil)
		for _, t := range o.Tiers {
			for _, name := range t.Secrets {
				if arn := m.secretARN(o.Stack, name); arn != "" {
					deny(deploy, "must-not "+env.Name+": another environment's secret", "secretsmanager:GetSecretValue", arn, nil)
					deny(plan, "must-not "+env.Name+": another environment's secret", "secretsmanager:GetSecretValue", arn, nil)
					for _, t2 := range env.Tiers {
						if role := m.RoleNamed(t2.Role); role != nil {
							deny(role, "must-not "+env.Name+" "+t2.Name+": another environment's secret", "secretsmanager:GetSecretValue", arn, nil)
						}
					}
				}
			}
		}
		for _, k := range m.Find(o.Stack, "aws_kms_key") {
			deny(deploy, "must-not "+env.Name+": administer another environment's key", "kms:ScheduleKeyDeletion", k.OwnARN(), nil)
			deny(deploy, "must-not "+env.Name+": administer another environment's key", "kms:PutKeyPolicy", k.OwnARN(), nil)
		}
	}
	ownRole := fmt.Sprintf("arn:aws:iam::%s:role/%s", deploy.Account, strings.TrimSuffix(strings.TrimPrefix(env.LogGroupPrefix, "/"), "/")+"-new")
	deny(deploy, "must-not "+env.Name+": a role without the boundary", "iam:CreateRole", ownRole, nil)
	deny(deploy, "must-not "+env.Name+": a role without the boundary", "iam:CreateRole", ownRole,
		map[string][]string{"iam:PermissionsBoundary": {fmt.Sprintf("arn:aws:iam::%s:policy/AdministratorAccess", deploy.Account)}})
	for _, role := range []*Role{deploy, plan} {
		deny(role, "must-not "+env.Name+": widen itself", "iam:PutRolePolicy", self(role), nil)
		deny(role, "must-not "+env.Name+": widen itself", "iam:AttachRolePolicy", self(role),
			map[string][]string{"iam:PolicyARN": {"arn:aws:iam::aws:policy/AdministratorAccess"}})
	}
	for _, tier := range env.Tiers {
		role := m.RoleNamed(tier.Role)
		if role == nil {
			continue
		}
		deny(role, "must-not "+env.Name+" "+tier.Name+": remove its boundary", "iam:DeleteRolePermissionsBoundary", role.ARN, nil)
		if role.Boundary != "" {
			deny(deploy, "must-not "+env.Name+": remove a role's boundary", "iam:DeleteRolePermissionsBoundary", role.ARN, nil)
			deny(deploy, "must-not "+env.Name+": edit the boundary", "iam:CreatePolicyVersion", role.Boundary, nil)
		}
		job := "must-not " + env.Name + " " + tier.Name
		deny(role, job+": widen itself", "iam:PutRolePolicy", role.ARN, nil)
		deny(role, job+": widen itself", "iam:AttachRolePolicy", role.ARN, map[string][]string{"iam:PolicyARN": {"arn:aws:iam::aws:policy/AdministratorAccess"}})
		deny(role, job+": the state", "s3:GetObject", stateObject, nil)
		for _, k := range m.Find(env.Stack, "aws_kms_key") {
			deny(role, job+": key administration", "kms:ScheduleKeyDeletion", k.OwnARN(), nil)
			deny(role, job+": key administration", "kms:PutKeyPolicy", k.OwnARN(), nil)
		}
		// Logs that cannot be forged across tiers: no server writes a
		// stream of another tier's groups, nor creates one there.
		for _, other := range env.Tiers {
			if other.Name == tier.Name {
				continue
			}
			for _, g := range TierLogGroups(env, other.Name) {
				stream := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:log-stream:i-0123456789abcdef0", env.Region, role.Account, g)
				deny(role, job+": write "+other.Name+"'s log stream", "logs:PutLogEvents", stream, nil)
				deny(role, job+": create a stream in "+other.Name+"'s log group", "logs:CreateLogStream", stream, nil)
			}
		}
		mine := map[string]bool{}
		for _, s := range tier.Secrets {
			mine[s] = true
		}
		for _, other := range env.Tiers {
			for _, s := range other.Secrets {
				if !mine[s] {
					if arn := m.secretARN(env.Stack, s); arn != "" {
						deny(role, job+": another tier's secret", "secretsmanager:GetSecretValue", arn, nil)
					}
				}
			}
		}
	}
	for _, b := range m.Find(env.Stack, "aws_s3_bucket") {
		if strings.Contains(str(b.Args["bucket"]), "backups") {
			deny(plan, "must-not "+env.Name+": read backups", "s3:GetObject", b.OwnARN()+"/odoo/backup.tar.gz", nil)
		}
	}
	deny(plan, "must-not "+env.Name+": read log events", "logs:GetLogEvents",
		fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%sodoo/app:log-stream:x", env.Region, plan.Account, env.LogGroupPrefix), nil)
	deny(plan, "must-not "+env.Name+": write the state", "s3:PutObject", stateObject, nil)
	_ = stateKey
	return out
}
