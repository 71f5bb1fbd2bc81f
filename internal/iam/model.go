// Package iam evaluates the synthesized stacks' IAM as AWS evaluates it.
//
// Load turns the parsed Terraform JSON of every stack into a Model: every
// role with its trust policy, inline policies, managed policies and
// permissions boundary; every resource policy (KMS key policies, bucket,
// topic and file-system policies) by the ARN it protects; every resource
// with the ARN and tags it will have. Terraform references
// ("${aws_kms_key.x.arn}") are resolved to the values AWS will give them,
// with stand-in IDs where AWS makes one up (a key ID, an instance ID), so a
// policy can be evaluated before anything exists.
//
// Evaluate sends requests (a principal, an action, a resource, the request
// context) to @cloud-copilot/iam-simulate, in one Node.js process per batch,
// with the identity policies, boundary and resource policy the Model holds
// for that principal and resource; Jobs lists, per principal, the requests
// its job makes and the ones it must never be allowed.
//
// The package has no jsii dependency: it reads the JSON that cdktf wrote.
package iam

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Stack is one synthesized stack: its parsed cdk.tf.json.
type Stack = map[string]any

// Resource is one resource of a stack, its arguments resolved.
type Resource struct {
	// Stack, Type and Name locate it: "dev-stack", "aws_kms_key", "kms_data_95CA98C2".
	Stack, Type, Name string
	// Region is its provider's region; Account the provider's account.
	Region, Account string
	// Args are its arguments with every reference the model knows resolved.
	Args map[string]any
	// Tags are the provider's default tags merged with its own.
	Tags map[string]string
}

// Role is an IAM role of the stacks.
type Role struct {
	Resource
	// ARN of the role.
	ARN string
	// Trust is the assume-role policy.
	Trust json.RawMessage
	// Inline are its inline policies, by name.
	Inline map[string]json.RawMessage
	// Managed are the ARNs of the managed policies attached to it.
	Managed []string
	// Boundary is the ARN of its permissions boundary ("" when none).
	Boundary string
}

// Document is one policy document of the stacks and where it comes from.
type Document struct {
	// Where names the resource: "dev-stack aws_iam_role_policy.odoo_policy_1EF3EBD0".
	Where string
	// Kind is "identity", "boundary", "resource" or "trust".
	Kind string
	// Policy is the resolved JSON.
	Policy json.RawMessage
}

// Model is what Load knows about the stacks.
type Model struct {
	// Partition is "aws".
	Partition string
	// Resources are every resource of every stack.
	Resources []*Resource
	// Roles by ARN.
	Roles map[string]*Role
	// ManagedPolicies are the customer-managed policies (boundaries) by ARN.
	ManagedPolicies map[string]json.RawMessage
	// ResourcePolicies are key, bucket, topic and file-system policies by
	// the ARN of what they protect.
	ResourcePolicies map[string]Document
	// Documents are every policy document, for the static checks.
	Documents []Document
	// Unresolved lists references Load could not resolve, by where they are.
	Unresolved []string
	byName     map[string]*Resource // "stack/type.name"
	arnIndex   map[string]*Resource // OwnARN → resource, built on first use
}

// Load builds the model of the given stacks (by stack name).
func Load(stacks map[string]Stack) (*Model, error) {
	m := &Model{Partition: "aws", Roles: map[string]*Role{}, ManagedPolicies: map[string]json.RawMessage{},
		ResourcePolicies: map[string]Document{}, byName: map[string]*Resource{}}
	names := make([]string, 0, len(stacks))
	for n := range stacks {
		names = append(names, n)
	}
	sort.Strings(names)
	raw := map[*Resource]map[string]any{}
	for _, sn := range names {
		s := stacks[sn]
		providers, err := stackProviders(sn, s)
		if err != nil {
			return nil, err
		}
		all, _ := s["resource"].(map[string]any)
		for _, typ := range slices.Sorted(maps.Keys(all)) {
			byName, _ := all[typ].(map[string]any)
			for _, name := range slices.Sorted(maps.Keys(byName)) {
				args, _ := byName[name].(map[string]any)
				p := providers[""]
				if alias, ok := args["provider"].(string); ok {
					p, ok = providers[strings.TrimPrefix(alias, "aws.")]
					if !ok {
						return nil, fmt.Errorf("%s %s.%s: unknown provider %s", sn, typ, name, alias)
					}
				}
				r := &Resource{Stack: sn, Type: typ, Name: name, Region: p.region, Account: p.account, Tags: map[string]string{}}
				for k, v := range p.tags {
					r.Tags[k] = v
				}
				raw[r] = args
				m.Resources = append(m.Resources, r)
				m.byName[sn+"/"+typ+"."+name] = r
			}
		}
	}
	// Resolve in two passes: attributes of a resource may depend on the
	// resolved arguments of another (a bucket policy's bucket is a bucket's
	// id), so each reference resolves the referenced resource's raw
	// arguments on demand.
	for _, r := range m.Resources {
		r.Args = m.resolveMap(r, raw[r], raw, 0)
		if tags, ok := r.Args["tags"].(map[string]any); ok {
			for k, v := range tags {
				r.Tags[k] = fmt.Sprint(v)
			}
		}
	}
	m.collectIAM()
	return m, nil
}

type provider struct {
	region, account string
	tags            map[string]string
}

func stackProviders(name string, s Stack) (map[string]provider, error) {
	out := map[string]provider{}
	ps, _ := s["provider"].(map[string]any)
	list, _ := ps["aws"].([]any)
	for _, x := range list {
		p, _ := x.(map[string]any)
		pr := provider{region: str(p["region"]), tags: map[string]string{}}
		if ids, _ := p["allowed_account_ids"].([]any); len(ids) > 0 {
			pr.account = str(ids[0])
		}
		if dts, _ := p["default_tags"].([]any); len(dts) > 0 {
			dt, _ := dts[0].(map[string]any)
			tags, _ := dt["tags"].(map[string]any)
			for k, v := range tags {
				pr.tags[k] = str(v)
			}
		}
		out[str(p["alias"])] = pr
	}
	if _, ok := out[""]; !ok {
		return nil, fmt.Errorf("%s: no default aws provider", name)
	}
	if out[""].account == "" {
		return nil, fmt.Errorf("%s: the aws provider has no allowed_account_ids: the model needs the account", name)
	}
	for k, p := range out {
		if p.account == "" {
			p.account = out[""].account
			out[k] = p
		}
	}
	return out, nil
}

var reference = regexp.MustCompile(`\$\{([A-Za-z0-9_.\-]+)\}`)

func (m *Model) resolveMap(r *Resource, args map[string]any, raw map[*Resource]map[string]any, depth int) map[string]any {
	out := make(map[string]any, len(args))
	for k, v := range args {
		if k == "//" || k == "lifecycle" || k == "depends_on" || k == "provider" {
			continue
		}
		out[k] = m.resolveValue(r, v, raw, depth)
	}
	return out
}

func (m *Model) resolveValue(r *Resource, v any, raw map[*Resource]map[string]any, depth int) any {
	switch t := v.(type) {
	case string:
		return m.resolveString(r, t, raw, depth)
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = m.resolveValue(r, x, raw, depth)
		}
		return out
	case map[string]any:
		return m.resolveMap(r, t, raw, depth)
	}
	return v
}

// resolveString replaces every simple reference in s. A reference the
// model cannot resolve stays as written and is recorded in Unresolved.
func (m *Model) resolveString(r *Resource, s string, raw map[*Resource]map[string]any, depth int) string {
	if !strings.Contains(s, "${") {
		return s
	}
	return reference.ReplaceAllStringFunc(s, func(ref string) string {
		expr := ref[2 : len(ref)-1]
		v, ok := m.attribute(r, expr, raw, depth)
		if !ok {
			m.Unresolved = append(m.Unresolved, fmt.Sprintf("%s %s.%s: %s", r.Stack, r.Type, r.Name, ref))
			return ref
		}
		return v
	})
}

// attribute resolves "data.aws_partition.x.partition",
// "data.aws_caller_identity.x.account_id" and "<type>.<name>.<attribute>".
func (m *Model) attribute(from *Resource, expr string, raw map[*Resource]map[string]any, depth int) (string, bool) {
	parts := strings.Split(expr, ".")
	if parts[0] == "data" && len(parts) == 4 {
		switch parts[1] + "." + parts[3] {
		case "aws_partition.partition":
			return m.Partition, true
		case "aws_caller_identity.account_id":
			return from.Account, true
		case "aws_region.name", "aws_region.region":
			return from.Region, true
		case "aws_route53_zone.zone_id":
			return "Z0" + standIn(from, "")[:16], true
		case "aws_ami.id":
			return "ami-0123456789abcdef0", true
		}
		return "", false
	}
	if len(parts) != 3 || depth > 8 {
		return "", false
	}
	target, ok := m.byName[from.Stack+"/"+parts[0]+"."+parts[1]]
	if !ok {
		return "", false
	}
	args := target.Args
	if args == nil {
		args = m.resolveMap(target, raw[target], raw, depth+1)
	}
	return Attribute(target, args, parts[2])
}

// standIn is a stable made-up identifier for what AWS names at create
// time: prefix + 17 hex digits of the resource's address.
func standIn(r *Resource, prefix string) string {
	return prefix + digest(r)[:17]
}

func digest(r *Resource) string {
	h := sha256.Sum256([]byte(r.Stack + "/" + r.Type + "." + r.Name))
	return hex.EncodeToString(h[:])
}

// Attribute returns the value an attribute of a resource will have, from
// its (resolved) arguments: ARNs follow each service's ARN format (IAM
// service authorization reference, "Resource types"), IDs AWS assigns are
// stand-ins. It reports false for an attribute it does not know, so a new
// reference in a policy fails Load's caller instead of being guessed.
func Attribute(r *Resource, args map[string]any, attr string) (string, bool) {
	p, reg, acct := "aws", r.Region, r.Account
	arn := func(service, region, account, res string) string {
		return fmt.Sprintf("arn:%s:%s:%s:%s:%s", p, service, region, account, res)
	}
	name := str(args["name"])
	if name == "" && str(args["name_prefix"]) != "" {
		name = str(args["name_prefix"]) + "20261206000000000000000001"
	}
	switch r.Type + "." + attr {
	case "aws_kms_key.key_id", "aws_kms_key.id":
		return uuid(r), true
	case "aws_kms_key.arn":
		return arn("kms", reg, acct, "key/"+uuid(r)), true
	case "aws_s3_bucket.id", "aws_s3_bucket.bucket":
		return str(args["bucket"]), true
	case "aws_s3_bucket.arn":
		return "arn:" + p + ":s3:::" + str(args["bucket"]), true
	case "aws_s3_bucket_policy.bucket":
		return str(args["bucket"]), true
	case "aws_sns_topic.arn", "aws_sns_topic.id":
		return arn("sns", reg, acct, name), true
	case "aws_cloudwatch_log_group.name", "aws_cloudwatch_log_group.id":
		return name, true
	case "aws_cloudwatch_log_group.arn":
		// The provider trims the ":*" DescribeLogGroups returns
		// (internal/service/logs/group.go, resourceGroupRead).
		return arn("logs", reg, acct, "log-group:"+name), true
	case "aws_iam_role.name", "aws_iam_role.id", "aws_iam_instance_profile.name", "aws_iam_policy.name":
		return name, true
	case "aws_iam_role.arn":
		return arn("iam", "", acct, "role/"+name), true
	case "aws_iam_policy.arn", "aws_iam_policy.id":
		return arn("iam", "", acct, "policy/"+name), true
	case "aws_iam_openid_connect_provider.arn":
		return arn("iam", "", acct, "oidc-provider/"+strings.TrimPrefix(str(args["url"]), "https://")), true
	case "aws_secretsmanager_secret.arn", "aws_secretsmanager_secret.id":
		// Secrets Manager appends a hyphen and six random characters.
		return arn("secretsmanager", reg, acct, "secret:"+name+"-AbCdEf"), true
	case "aws_efs_file_system.id":
		return standIn(r, "fs-"), true
	case "aws_efs_file_system.arn":
		return arn("elasticfilesystem", reg, acct, "file-system/"+standIn(r, "fs-")), true
	case "aws_efs_access_point.arn":
		return arn("elasticfilesystem", reg, acct, "access-point/"+standIn(r, "fsap-")), true
	case "aws_instance.id":
		return standIn(r, "i-"), true
	case "aws_ebs_volume.id":
		return standIn(r, "vol-"), true
	case "aws_vpc.id":
		return standIn(r, "vpc-"), true
	case "aws_subnet.id":
		return standIn(r, "subnet-"), true
	case "aws_subnet.availability_zone":
		return reg + "a", true
	case "aws_security_group.id":
		return standIn(r, "sg-"), true
	case "aws_route_table.id":
		return standIn(r, "rtb-"), true
	case "aws_internet_gateway.id":
		return standIn(r, "igw-"), true
	case "aws_nat_gateway.id":
		return standIn(r, "nat-"), true
	case "aws_eip.id":
		return standIn(r, "eipalloc-"), true
	case "aws_lb.arn", "aws_lb.id":
		return arn("elasticloadbalancing", reg, acct, "loadbalancer/app/"+name+"/"+standIn(r, "")[:16]), true
	case "aws_lb.arn_suffix":
		return "app/" + name + "/" + standIn(r, "")[:16], true
	case "aws_lb.dns_name":
		return name + "-1234567890." + reg + ".elb.amazonaws.com", true
	case "aws_lb.zone_id":
		return "Z215JYRZR1TBD5", true
	case "aws_lb_listener.arn", "aws_lb_listener.id":
		return arn("elasticloadbalancing", reg, acct, "listener/app/lb/"+standIn(r, "")[:16]+"/"+standIn(r, "")[1:17]), true
	case "aws_lb_listener_rule.arn", "aws_lb_listener_rule.id":
		return arn("elasticloadbalancing", reg, acct, "listener-rule/app/lb/"+digest(r)[:16]+"/"+digest(r)[16:32]+"/"+digest(r)[32:48]), true
	case "aws_lb_target_group.arn", "aws_lb_target_group.id":
		return arn("elasticloadbalancing", reg, acct, "targetgroup/"+tgName(r, name)+"/"+standIn(r, "")[:16]), true
	case "aws_lb_target_group.arn_suffix":
		return "targetgroup/" + tgName(r, name) + "/" + standIn(r, "")[:16], true
	case "aws_wafv2_web_acl.arn":
		return arn("wafv2", reg, acct, "regional/webacl/"+name+"/"+uuid(r)), true
	case "aws_backup_vault.name", "aws_backup_vault.id":
		return name, true
	case "aws_backup_vault.arn":
		return arn("backup", reg, acct, "backup-vault:"+name), true
	case "aws_backup_plan.id":
		return uuid(r), true
	case "aws_backup_plan.arn":
		return arn("backup", reg, acct, "backup-plan:"+uuid(r)), true
	case "aws_db_instance.identifier", "aws_db_instance.id":
		return str(args["identifier"]), true
	case "aws_db_instance.arn":
		return arn("rds", reg, acct, "db:"+str(args["identifier"])), true
	case "aws_db_parameter_group.name", "aws_db_subnet_group.name", "aws_elasticache_parameter_group.name",
		"aws_elasticache_subnet_group.name", "aws_ecr_repository.name", "aws_cloudwatch_event_rule.name":
		return name, true
	case "aws_elasticache_replication_group.id":
		return str(args["replication_group_id"]), true
	case "aws_ssm_maintenance_window.id":
		return standIn(r, "mw-"), true
	case "aws_ssm_maintenance_window_target.id":
		return uuid(r), true
	case "aws_ssm_patch_baseline.id":
		return standIn(r, "pb-"), true
	case "aws_acm_certificate.arn", "aws_acm_certificate_validation.certificate_arn":
		return arn("acm", reg, acct, "certificate/"+uuid(r)), true
	case "aws_ecr_repository.arn":
		return arn("ecr", reg, acct, "repository/"+name), true
	case "aws_cloudwatch_event_rule.arn":
		return arn("events", reg, acct, "rule/"+name), true
	}
	return "", false
}

// OwnARN is the ARN a resource will have, for the types whose requests
// name it; "" for the others.
func (r *Resource) OwnARN() string {
	switch r.Type {
	case "aws_cloudwatch_metric_alarm":
		return fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", r.Region, r.Account, str(r.Args["alarm_name"]))
	case "aws_scheduler_schedule":
		group := str(r.Args["group_name"])
		if group == "" {
			group = "default"
		}
		return fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule/%s/%s", r.Region, r.Account, group, str(r.Args["name"]))
	case "aws_budgets_budget":
		return fmt.Sprintf("arn:aws:budgets::%s:budget/%s", r.Account, str(r.Args["name"]))
	case "aws_flow_log":
		return fmt.Sprintf("arn:aws:ec2:%s:%s:vpc-flow-log/%s", r.Region, r.Account, standIn(r, "fl-"))
	case "aws_instance":
		return fmt.Sprintf("arn:aws:ec2:%s:%s:instance/%s", r.Region, r.Account, standIn(r, "i-"))
	case "aws_ebs_volume":
		return fmt.Sprintf("arn:aws:ec2:%s:%s:volume/%s", r.Region, r.Account, standIn(r, "vol-"))
	case "aws_ssm_parameter":
		return fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s", r.Region, r.Account, strings.TrimPrefix(str(r.Args["name"]), "/"))
	case "aws_ssm_maintenance_window":
		return fmt.Sprintf("arn:aws:ssm:%s:%s:maintenancewindow/%s", r.Region, r.Account, standIn(r, "mw-"))
	case "aws_elasticache_replication_group":
		return fmt.Sprintf("arn:aws:elasticache:%s:%s:replicationgroup:%s", r.Region, r.Account, str(r.Args["replication_group_id"]))
	}
	v, _ := Attribute(r, r.Args, "arn")
	return v
}

func tgName(r *Resource, name string) string {
	if name != "" {
		return name
	}
	return "tf-" + digest(r)[:24]
}

func uuid(r *Resource) string {
	h := digest(r)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (m *Model) collectIAM() {
	roleByName := map[string]*Role{}
	for _, r := range m.Resources {
		switch r.Type {
		case "aws_iam_role":
			arn, _ := Attribute(r, r.Args, "arn")
			role := &Role{Resource: *r, ARN: arn, Trust: json.RawMessage(str(r.Args["assume_role_policy"])),
				Inline: map[string]json.RawMessage{}, Boundary: str(r.Args["permissions_boundary"])}
			m.Roles[arn] = role
			roleByName[r.Stack+"/"+str(r.Args["name"])] = role
			trust := Document{Where: r.where(), Kind: "trust", Policy: role.Trust}
			m.Documents = append(m.Documents, trust)
			m.ResourcePolicies[arn] = trust // what sts:AssumeRole on the role is evaluated against
		case "aws_iam_policy":
			arn, _ := Attribute(r, r.Args, "arn")
			doc := json.RawMessage(str(r.Args["policy"]))
			m.ManagedPolicies[arn] = doc
			m.Documents = append(m.Documents, Document{Where: r.where(), Kind: "boundary", Policy: doc})
		}
	}
	for _, r := range m.Resources {
		var protected []string
		doc := Document{Where: r.where(), Kind: "resource", Policy: json.RawMessage(str(r.Args["policy"]))}
		switch r.Type {
		case "aws_iam_role_policy":
			role := roleByName[r.Stack+"/"+str(r.Args["role"])]
			if role == nil {
				m.Unresolved = append(m.Unresolved, r.where()+": role "+str(r.Args["role"])+" not in the stacks")
				continue
			}
			role.Inline[str(r.Args["name"])] = doc.Policy
			doc.Kind = "identity"
		case "aws_iam_role_policy_attachment":
			role := roleByName[r.Stack+"/"+str(r.Args["role"])]
			if role == nil {
				m.Unresolved = append(m.Unresolved, r.where()+": role "+str(r.Args["role"])+" not in the stacks")
				continue
			}
			role.Managed = append(role.Managed, str(r.Args["policy_arn"]))
			continue
		case "aws_kms_key":
			arn, _ := Attribute(r, r.Args, "arn")
			protected = []string{arn}
		case "aws_s3_bucket_policy":
			b := "arn:aws:s3:::" + str(r.Args["bucket"])
			protected = []string{b, b + "/*"}
		case "aws_sns_topic_policy", "aws_efs_file_system_policy", "aws_ecr_repository_policy", "aws_backup_vault_policy":
			protected = []string{str(r.Args["arn"])}
			if r.Type == "aws_efs_file_system_policy" {
				protected = []string{m.fileSystemARN(r)}
			}
			if r.Type == "aws_ecr_repository_policy" || r.Type == "aws_backup_vault_policy" {
				continue // none in the stacks; a Document would need its ARN
			}
		default:
			continue
		}
		if len(doc.Policy) == 0 {
			continue
		}
		m.Documents = append(m.Documents, doc)
		for _, p := range protected {
			m.ResourcePolicies[p] = doc
		}
	}
}

func (m *Model) fileSystemARN(policy *Resource) string {
	id := str(policy.Args["file_system_id"])
	for _, r := range m.Resources {
		if r.Stack == policy.Stack && r.Type == "aws_efs_file_system" && standIn(r, "fs-") == id {
			v, _ := Attribute(r, r.Args, "arn")
			return v
		}
	}
	return ""
}

func (r *Resource) where() string { return r.Stack + " " + r.Type + "." + r.Name }

// Where names the resource as "<stack> <type>.<name>".
func (r *Resource) Where() string { return r.where() }

// ResourcePolicyFor returns the resource policy that governs an ARN: a key
// policy, a topic or file-system policy, or the bucket policy of a bucket or
// any of its objects.
func (m *Model) ResourcePolicyFor(arn string) (Document, bool) {
	if d, ok := m.ResourcePolicies[arn]; ok {
		return d, true
	}
	if strings.HasPrefix(arn, "arn:aws:s3:::") {
		bucket, _, _ := strings.Cut(strings.TrimPrefix(arn, "arn:aws:s3:::"), "/")
		d, ok := m.ResourcePolicies["arn:aws:s3:::"+bucket+"/*"]
		return d, ok
	}
	return Document{}, false
}

// Find returns the resources of a stack of the given type.
func (m *Model) Find(stack, typ string) []*Resource {
	var out []*Resource
	for _, r := range m.Resources {
		if r.Stack == stack && r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// RoleNamed returns a role by its name ("influencegen-dev-odoo").
func (m *Model) RoleNamed(name string) *Role {
	for _, r := range m.Roles {
		if str(r.Args["name"]) == name {
			return r
		}
	}
	return nil
}

func str(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case nil:
		return ""
	case float64:
		return fmt.Sprint(t)
	case bool:
		return fmt.Sprint(t)
	}
	return ""
}
