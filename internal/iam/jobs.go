package iam

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Environment says where an environment's principals and state are.
type Environment struct {
	// Name is the environment ("dev").
	Name string
	// Stack is its stack ("dev-stack").
	Stack string
	// Region is where it lives.
	Region string
	// DeployRole and PlanRole are the names of its CI roles (shared stack).
	DeployRole, PlanRole string
	// StateBucket and StateKey locate its state; StateKeyAlias is the
	// state key's alias ("alias/influencegen-tfstate").
	StateBucket, StateKey, StateKeyAlias string
	// Others are the other environments.
	Others []Environment
	// Tiers are its server tiers: the role each runs as and the secrets it
	// reads (by full secret name).
	Tiers []Tier
	// LogGroupPrefix is where its servers' log groups are
	// ("/influencegen-dev/").
	LogGroupPrefix string
}

// Tier is a server tier's contract with AWS.
type Tier struct {
	// Name is the tier ("odoo").
	Name string
	// Role is its instance role's name.
	Role string
	// Secrets are the full names of the secrets it reads.
	Secrets []string
	// Writes are S3 object ARNs (patterns allowed) it writes and reads:
	// Odoo's backups. Default: none.
	Writes []string
	// Reads are S3 object ARNs it only reads: the model server's weights.
	Reads []string
	// Images are ECR repository ARNs it pulls from. Default: none.
	Images []string
	// FileSystem mounts the environment's EFS through its access point.
	FileSystem bool
}

// DataSourceCalls are what the environment stacks' data sources make on
// every plan (hashicorp/aws 5.100.0: ec2/ec2_ami_data_source.go,
// ec2/ec2_instance_type_offerings_data_source.go,
// ec2/ec2_availability_zones_data_source.go,
// route53/zone_data_source.go, secretsmanager/random_password_data_source.go,
// meta/caller_identity_data_source.go).
var DataSourceCalls = []string{
	"ec2:DescribeImages", "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeAvailabilityZones",
	"route53:ListHostedZones", "secretsmanager:GetRandomPassword", "sts:GetCallerIdentity",
}

// Jobs returns the requests of every principal of an environment, both
// directions: what each must be allowed (its job) and what it must be
// refused (Deny). The CI roles' jobs come from ProviderCalls over the
// environment stack's resources; the servers' from their Tier; the service
// roles' and the AWS services' from the documentation cited in each.
func Jobs(m *Model, env Environment) ([]Request, error) {
	var out []Request
	var errs []string
	deploy := m.RoleNamed(env.DeployRole)
	plan := m.RoleNamed(env.PlanRole)
	if deploy == nil || plan == nil {
		return nil, fmt.Errorf("%s: no deploy role %q or plan role %q in the stacks", env.Name, env.DeployRole, env.PlanRole)
	}
	stateObject := "arn:aws:s3:::" + env.StateBucket + "/" + env.StateKey
	stateKey := m.keyWithAlias(env.StateKeyAlias)
	if stateKey == "" {
		return nil, fmt.Errorf("%s: no KMS key with %s in the stacks", env.Name, env.StateKeyAlias)
	}
	// Terraform's S3 backend (internal/backend/remote-state/s3/client.go,
	// Terraform 1.11): ListObjects for workspaces, GetObject, PutObject and
	// DeleteObject of the state and its .tflock, SSE-KMS through S3.
	stateCalls := func(role *Role, job string, write bool) {
		add := func(action, resource string, ctx map[string][]string) {
			out = append(out, Request{Job: job + ": state backend", Principal: role.ARN, Action: action, Resource: resource, Context: ctx,
				Region: env.Region, Kind: KindBackend, Source: "Terraform 1.11 internal/backend/remote-state/s3"})
		}
		add("s3:ListBucket", "arn:aws:s3:::"+env.StateBucket, map[string][]string{"s3:prefix": {"env:/"}})
		add("s3:GetObject", stateObject, nil)
		s3ctx := map[string][]string{"kms:ViaService": {"s3." + env.Region + ".amazonaws.com"}, "kms:CallerAccount": {role.Account},
			"kms:EncryptionContext:aws:s3:arn": {"arn:aws:s3:::" + env.StateBucket}}
		add("kms:Decrypt", stateKey, s3ctx)
		if write {
			for _, o := range []string{stateObject, stateObject + ".tflock"} {
				add("s3:PutObject", o, nil)
				add("s3:DeleteObject", o, nil)
			}
			add("kms:GenerateDataKey", stateKey, s3ctx)
		}
	}
	dataSources := func(role *Role, job string) {
		for _, a := range DataSourceCalls {
			out = append(out, Request{Job: job + ": data sources", Principal: role.ARN, Action: a, Resource: "*", Region: env.Region, Kind: KindBackend})
		}
	}
	stateCalls(deploy, "deploy "+env.Name, true)
	stateCalls(plan, "plan "+env.Name, false)
	dataSources(deploy, "deploy "+env.Name)
	dataSources(plan, "plan "+env.Name)

	var types []string
	for _, r := range m.Resources {
		if r.Stack != env.Stack {
			continue
		}
		tc, ok := ProviderCalls[r.Type]
		if !ok {
			types = append(types, r.Type)
			continue
		}
		ops := []struct {
			name  string
			calls []Call
			role  *Role
		}{{"create", tc.Create, deploy}, {"read", tc.Read, deploy}, {"update", tc.Update, deploy}, {"delete", tc.Delete, deploy}, {"refresh", tc.Read, plan}}
		for _, op := range ops {
			for _, c := range op.calls {
				req, skip, err := m.callRequest(r, c)
				if err != nil {
					errs = append(errs, fmt.Sprintf("%s %s: %v", r.Where(), c.Action, err))
					continue
				}
				if skip {
					continue
				}
				who := "deploy"
				if op.role == plan {
					who = "plan"
				}
				req.Job = fmt.Sprintf("%s %s: %s %s %s", who, env.Name, r.Type, op.name, r.Name)
				req.Principal = op.role.ARN
				req.Kind = KindProvider
				req.Source = "terraform-provider-aws v5.100.0 internal/service/" + tc.Source
				req.Dependents = op.name == "create" || op.name == "update"
				out = append(out, req)
			}
		}
	}
	if len(types) > 0 {
		sort.Strings(types)
		errs = append(errs, "no ProviderCalls for "+strings.Join(slices.Compact(types), ", ")+": read the provider's source and add them")
	}
	out = append(out, m.serverJobs(env)...)
	svc, err := m.serviceJobs(env)
	if err != nil {
		errs = append(errs, err.Error())
	}
	out = append(out, svc...)
	out = append(out, m.mustNots(env, deploy, plan, stateObject, stateKey)...)
	for i := range out {
		out[i].Env = env.Name
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return out, nil
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

var template = regexp.MustCompile(`\{([a-z-]+)(?::([A-Za-z0-9_.]+))?\}`)

// callRequest expands a Call's templates for one resource. skip is true
// when the call's When argument is unset.
func (m *Model) callRequest(r *Resource, c Call) (Request, bool, error) {
	if c.When != "" && m.expandArg(r, c.When) == "" {
		return Request{}, true, nil
	}
	var err error
	expand := func(s string) string {
		return template.ReplaceAllStringFunc(s, func(t string) string {
			p := template.FindStringSubmatch(t)
			v := ""
			switch p[1] {
			case "arn":
				v = r.OwnARN()
			case "region":
				v = r.Region
			case "account":
				v = r.Account
			case "name":
				v = str(r.Args["name"])
				if v == "" {
					v = str(r.Args["name_prefix"]) + "*"
				}
			case "arg":
				v = m.expandArg(r, p[2])
			case "boundary-of":
				if role := m.RoleNamed(m.expandArg(r, p[2])); role != nil {
					v = role.Boundary
				}
			case "role-of-profile":
				for _, ip := range m.Find(r.Stack, "aws_iam_instance_profile") {
					if str(ip.Args["name"]) == m.expandArg(r, p[2]) {
						if role := m.RoleNamed(str(ip.Args["role"])); role != nil {
							v = role.ARN
						}
					}
				}
			case "kms-of-secret":
				for _, s := range m.Find(r.Stack, "aws_secretsmanager_secret") {
					if s.OwnARN() == m.expandArg(r, p[2]) {
						v = str(s.Args["kms_key_id"])
					}
				}
			}
			if v == "" && err == nil {
				err = fmt.Errorf("template %s has no value", t)
			}
			return v
		})
	}
	req := Request{Action: c.Action, Resource: c.On, Waive: c.Waive, Region: r.Region}
	if len(c.DependentContext) > 0 {
		req.DependentContext = map[string]map[string][]string{}
		for a, ctx := range c.DependentContext {
			req.DependentContext[a] = map[string][]string{}
			for k, vs := range ctx {
				for _, v := range vs {
					req.DependentContext[a][k] = append(req.DependentContext[a][k], expand(v))
				}
			}
		}
	}
	if c.On == "" {
		req.Resource = r.OwnARN()
		if req.Resource == "" {
			return req, false, fmt.Errorf("the model has no ARN for %s: give the call an On", r.Type)
		}
	} else if c.On != "*" {
		req.Resource = expand(c.On)
	}
	if len(c.Context) > 0 {
		req.Context = map[string][]string{}
		for k, vs := range c.Context {
			for _, v := range vs {
				req.Context[k] = append(req.Context[k], expand(v))
			}
		}
	}
	if len(c.Dependent) > 0 {
		// A dependent resource whose argument is unset (no monitoring role,
		// no key): the dependent call is not made either.
		own := err
		req.DependentResources = map[string]string{}
		for k, v := range c.Dependent {
			if x := expand(v); x != "" {
				req.DependentResources[k] = x
			} else {
				req.Waive = copyMap(req.Waive) // never write into the shared table
				req.Waive[k] = "the argument naming its resource is unset, so the call is not made"
			}
		}
		err = own
	}
	return req, false, err
}

// expandArg reads a resolved argument by a dotted path (first element of
// lists); special forms: "kms-of-secret:..." are handled by the caller.
func (m *Model) expandArg(r *Resource, path string) string {
	var v any = r.Args
	for _, p := range strings.Split(path, ".") {
		if l, ok := v.([]any); ok {
			if len(l) == 0 {
				return ""
			}
			v = l[0]
		}
		mv, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = mv[p]
	}
	if l, ok := v.([]any); ok && len(l) > 0 {
		v = l[0]
	}
	s := str(v)
	if strings.Contains(s, "${") {
		return ""
	}
	return s
}

func (m *Model) keyWithAlias(alias string) string {
	for _, r := range m.Resources {
		if r.Type == "aws_kms_alias" && str(r.Args["name"]) == alias {
			for _, k := range m.Find(r.Stack, "aws_kms_key") {
				if uuid(k) == str(r.Args["target_key_id"]) {
					return k.OwnARN()
				}
			}
		}
	}
	return ""
}

func (m *Model) secretARN(stack, name string) string {
	for _, s := range m.Find(stack, "aws_secretsmanager_secret") {
		if str(s.Args["name"]) == name {
			return s.OwnARN()
		}
	}
	return ""
}

// serverJobs are the calls every server makes as its instance role: the
// CloudWatch agent (the actions of AWS's CloudWatchAgentServerPolicy that
// it uses to send metrics and logs), the SSM agent (AmazonSSMManagedInstanceCore:
// registration, Session Manager, Run Command), reading its own secrets
// through Secrets Manager, its S3 objects through SSE-KMS, its images, its
// file system.
func (m *Model) serverJobs(env Environment) []Request {
	var out []Request
	for _, t := range env.Tiers {
		role := m.RoleNamed(t.Role)
		if role == nil {
			out = append(out, Request{Job: "server " + t.Name, Principal: "missing role " + t.Role, Action: "sts:GetCallerIdentity", Resource: "*", Kind: KindServer})
			continue
		}
		job := fmt.Sprintf("server %s %s", env.Name, t.Name)
		add := func(what, action, resource string, ctx map[string][]string, source string) {
			out = append(out, Request{Job: job + ": " + what, Principal: role.ARN, Action: action, Resource: resource, Context: ctx, Source: source, Region: env.Region, Kind: KindServer})
		}
		instance := fmt.Sprintf("arn:aws:ec2:%s:%s:instance/i-0123456789abcdef0", env.Region, role.Account)
		agent := "CloudWatch agent: AWS managed policy CloudWatchAgentServerPolicy"
		add("agent metrics", "cloudwatch:PutMetricData", "*", map[string][]string{"cloudwatch:namespace": {"CWAgent"}}, agent)
		for _, a := range []string{"ec2:DescribeTags", "ec2:DescribeVolumes", "ec2:DescribeInstances", "logs:DescribeLogGroups"} {
			add("agent", a, "*", nil, agent)
		}
		for _, g := range TierLogGroups(env, t.Name) {
			group := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", env.Region, role.Account, g)
			add("agent logs", "logs:CreateLogStream", group+":log-stream:i-0123456789abcdef0", nil, agent)
			add("agent logs", "logs:DescribeLogStreams", group, nil, agent)
			add("agent logs", "logs:PutLogEvents", group+":log-stream:i-0123456789abcdef0", nil, agent)
		}
		ssm := "SSM agent: AWS managed policy AmazonSSMManagedInstanceCore"
		add("ssm agent", "ssm:UpdateInstanceInformation", instance, nil, ssm)
		add("session manager", "ssmmessages:CreateControlChannel", "*", nil, ssm)
		add("run command", "ec2messages:GetMessages", "*", nil, ssm)
		add("patching", "ssm:GetDeployablePatchSnapshotForInstance", "*", nil, ssm)
		secretsKey := ""
		for _, name := range t.Secrets {
			arn := m.secretARN(env.Stack, name)
			if arn == "" {
				add("secret "+name, "secretsmanager:GetSecretValue", "missing secret "+name, nil, "")
				continue
			}
			add("secret "+name, "secretsmanager:GetSecretValue", arn, nil, "Secrets Manager user guide, GetSecretValue")
			for _, s := range m.Find(env.Stack, "aws_secretsmanager_secret") {
				if s.OwnARN() == arn {
					secretsKey = str(s.Args["kms_key_id"])
				}
			}
			if secretsKey != "" {
				add("secret "+name, "kms:Decrypt", secretsKey, map[string][]string{
					"kms:ViaService": {"secretsmanager." + env.Region + ".amazonaws.com"}, "kms:CallerAccount": {role.Account},
					"kms:EncryptionContext:SecretARN": {arn}}, "Secrets Manager user guide, \"Secret encryption and decryption\"")
			}
		}
		s3job := func(verb, object string, actions []string, kmsActions []string) {
			bucket, _, _ := strings.Cut(strings.TrimPrefix(object, "arn:aws:s3:::"), "/")
			for _, a := range actions {
				add(verb, a, object, nil, "")
			}
			// Listing what it wrote or reads, under its prefix (the backup
			// script's retention and restore; the model sync).
			objectKey := strings.TrimPrefix(object, "arn:aws:s3:::"+bucket+"/")
			prefix := objectKey[:strings.LastIndex(objectKey, "/")+1]
			add(verb, "s3:ListBucket", "arn:aws:s3:::"+bucket, map[string][]string{"s3:prefix": {prefix}}, "")
			key := m.bucketKey(env.Stack, bucket)
			for _, a := range kmsActions {
				if key != "" {
					// S3 user guide, "Using SSE-KMS": with an S3 Bucket Key the
					// encryption context is the bucket ARN.
					add(verb, a, key, map[string][]string{"kms:ViaService": {"s3." + env.Region + ".amazonaws.com"},
						"kms:CallerAccount": {role.Account}, "kms:EncryptionContext:aws:s3:arn": {"arn:aws:s3:::" + bucket}}, "Amazon S3 user guide, \"Using server-side encryption with AWS KMS keys\"")
				}
			}
		}
		for _, o := range t.Writes {
			s3job("writes "+o, o, []string{"s3:PutObject", "s3:GetObject"}, []string{"kms:GenerateDataKey", "kms:Decrypt"})
		}
		for _, o := range t.Reads {
			s3job("reads "+o, o, []string{"s3:GetObject"}, []string{"kms:Decrypt"})
		}
		for _, repo := range t.Images {
			add("pulls "+repo, "ecr:GetAuthorizationToken", "*", nil, "Amazon ECR user guide, \"Private registry authentication\"")
			for _, a := range []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"} {
				add("pulls "+repo, a, repo, nil, "Amazon ECR user guide, \"Private repository policies\"")
			}
		}
		if t.FileSystem {
			for _, fs := range m.Find(env.Stack, "aws_efs_file_system") {
				ap := ""
				for _, a := range m.Find(env.Stack, "aws_efs_access_point") {
					ap, _ = Attribute(a, a.Args, "arn")
				}
				ctx := map[string][]string{"elasticfilesystem:AccessPointArn": {ap}, "elasticfilesystem:AccessedViaMountTarget": {"true"}}
				// Amazon EFS user guide, "Using IAM to control access to file
				// systems": a mount through an access point carries its ARN.
				add("mounts the file system", "elasticfilesystem:ClientMount", fs.OwnARN(), ctx, "Amazon EFS user guide, IAM for NFS clients")
				add("mounts the file system", "elasticfilesystem:ClientWrite", fs.OwnARN(), ctx, "Amazon EFS user guide, IAM for NFS clients")
			}
		}
	}
	return out
}

// bucketKey returns the KMS key ARN a bucket of the stack encrypts with.
func (m *Model) bucketKey(stack, bucket string) string {
	for _, r := range m.Find(stack, "aws_s3_bucket_server_side_encryption_configuration") {
		if str(r.Args["bucket"]) != bucket {
			continue
		}
		return m.expandArg(r, "rule.apply_server_side_encryption_by_default.kms_master_key_id")
	}
	return ""
}
