// Package controls is the policy suite: security and correctness controls
// read from the synthesized Terraform JSON, the way a scanner reads it. Each
// control names the checkov and trivy rules it mirrors. They cover what the
// scanners miss or see badly in Terraform JSON — above all the separate
// security-group rule resources trivy does not evaluate — and the project's
// own rules (CMK everywhere, production protections, least privilege).
package controls

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/synth"
)

// Control is one check.
type Control struct {
	// ID is this suite's identifier, e.g. "IG-IMDS".
	ID string
	// Mirrors names the checkov and trivy rules the control corresponds to.
	Mirrors string
	// Title says what the control requires.
	Title string
	// Check returns one finding per violating resource ("type.name: why").
	Check func(s synth.Stack, production bool) []string
}

// All is the suite, in a fixed order.
var All = []Control{
	{"IG-IMDS", "CKV_AWS_79, CKV_AWS_341 / AVD-AWS-0028", "IMDSv2 required (hop limit 1) on every instance and launch template", imdsv2},
	{"IG-EBS-CMK", "CKV_AWS_8, CKV_AWS_189, CKV_AWS_3 / AVD-AWS-0026, AVD-AWS-0027", "EBS root and data volumes encrypted with a customer-managed key", ebsCMK},
	{"IG-RDS-CMK", "CKV_AWS_16, CKV_AWS_354 / AVD-AWS-0080, AVD-AWS-0133", "RDS storage and Performance Insights encrypted with a CMK", rdsCMK},
	{"IG-EFS-CMK", "CKV_AWS_42, CKV_AWS_184 / AVD-AWS-0037", "EFS encrypted with a CMK", efsCMK},
	{"IG-CACHE-ENC", "CKV_AWS_29, CKV_AWS_30, CKV_AWS_191 / AVD-AWS-0045, AVD-AWS-0051", "ElastiCache encrypted at rest with a CMK and in transit", cacheEncryption},
	{"IG-S3", "CKV_AWS_145, CKV_AWS_21, CKV_AWS_53-56, CKV2_AWS_6 / AVD-AWS-0132, AVD-AWS-0090, AVD-AWS-0086..0094", "S3 buckets: SSE-KMS with a CMK, versioning, all public access blocked, TLS-only policy", s3Buckets},
	{"IG-SNS-CMK", "CKV_AWS_26 / AVD-AWS-0095, AVD-AWS-0136", "SNS topics encrypted with a CMK", snsCMK},
	{"IG-LOGS", "CKV_AWS_158, CKV_AWS_338 / AVD-AWS-0017", "CloudWatch log groups encrypted with a CMK and retained for a bounded time", logGroups},
	{"IG-SECRETS-CMK", "CKV_AWS_149 / AVD-AWS-0098", "Secrets Manager secrets encrypted with a CMK", secretsCMK},
	{"IG-KMS-ROTATION", "CKV_AWS_7 / AVD-AWS-0065", "KMS keys rotate", kmsRotation},
	{"IG-NO-PUBLIC-IP", "CKV_AWS_88, CKV_AWS_130 / AVD-AWS-0009, AVD-AWS-0164", "No public IPs on instances or subnets", noPublicIPs},
	{"IG-NO-PUBLIC-DB", "CKV_AWS_17 / AVD-AWS-0180, AVD-AWS-0082", "No publicly accessible database", noPublicDB},
	{"IG-INGRESS", "CKV_AWS_24, CKV_AWS_25, CKV_AWS_260 / AVD-AWS-0107, AVD-AWS-0104", "No world-open ingress except the load balancer's 80/443; no inline rules", ingress},
	{"IG-ALB", "CKV_AWS_2, CKV_AWS_103, CKV_AWS_131, CKV2_AWS_28 / AVD-AWS-0054, AVD-AWS-0047, AVD-AWS-0052", "ALB: HTTP redirects to HTTPS, TLS 1.3 policy, invalid headers dropped, WAF attached", alb},
	{"IG-PROD-PROTECT", "CKV_AWS_293, CKV_AWS_133, CKV_AWS_150, CKV2_AWS_18, CKV2_AWS_60 / AVD-AWS-0077, AVD-AWS-0177", "Production: deletion protection and prevent_destroy on everything stateful, backups, final snapshots, termination protection", productionProtection},
	{"IG-FLOW-LOGS", "CKV2_AWS_11 / AVD-AWS-0178", "Every VPC has flow logs", flowLogs},
	{"IG-TAGS", "CKV_AWS_* tagging policy (custom) / AVD tagging (custom)", "Every stack tags everything: default tags Project, Environment, ManagedBy, Repository", tags},
	{"IG-NO-LITERAL-SECRETS", "CKV_SECRET_2, CKV_SECRET_6 / trivy secret scanning", "No literal secret in any attribute", noLiteralSecrets},
	{"IG-IAM-LEAST-PRIVILEGE", "CKV_AWS_1, CKV_AWS_62, CKV_AWS_290, CKV_AWS_355 / AVD-AWS-0057", "No IAM policy allows * actions on * resources; no trust policy trusts everyone", iamLeastPrivilege},
	{"IG-IAM-BOUNDARY", "custom (IAM User Guide, permissions boundaries)", "Every role an environment stack creates carries a permissions boundary, the only kind its deploy role may create", iamBoundary},
	{"IG-REPLACEABLE", "custom (docs/deploy-readiness.md D8-D10)", "A resource replaced create-before-destroy does not keep a fixed name the new one would collide with", replaceable},
	{"IG-REDEPLOYABLE", "custom (docs/deploy-readiness.md D11-D13)", "Outside production, a destroy empties buckets and frees secret names, and every final snapshot has its own name", redeployable},
	{"IG-DATA-STAYS", "custom (docs/deploy-readiness.md D14, D15)", "Stateful resources never take a replaced-with-the-server value (a volume's zone from its instance) and subnets are pinned to zone IDs", dataStays},
	{"IG-EC2-RECOVER", "custom (EC2 User Guide, Recover your instance)", "EC2 recover alarm actions only for instance types that support automatic recovery", ec2Recover},
	{"IG-WAF", "CKV2_AWS_31 / AVD-AWS-0070 (logging)", "Every web ACL logs to an aws-waf-logs- group, redacting credentials, and matches only labels the managed rules really add", wafControl},
	{"IG-EFS-ACCESS", "CKV_AWS_184 (custom extension)", "EFS is mounted through an access point with a fixed POSIX user; no policy grants root access", efsAccess},
	{"IG-IAM-DELEGATION", "CKV_AWS_286, CKV_AWS_289 / custom", "Role writes are delegated only with a permissions boundary: iam:PermissionsBoundary on CreateRole/Put*/AttachRolePolicy, iam:PolicyARN on AttachRolePolicy, boundary removal and edits denied", iamBoundaryDelegation},
	{"IG-STATE-LIST", "custom (Terraform S3 backend)", "A role that lists its Terraform state may also list the backend's workspace prefix env:/", stateListing},
	{"IG-BACKUP", "CKV_AWS_166 / AVD-AWS-0179 (custom extension)", "Backup vaults are encrypted with a CMK; production's are locked, and its plan keeps recovery points 35 days or more and copies them to another region", backupControl},
	{"IG-BUDGET", "custom (AWS Well-Architected COST02-BP05)", "Every stack that runs servers has a monthly cost budget that notifies someone", budgetControl},
	{"IG-NO-PROD-SCHEDULE", "custom (Scale.OffHours)", "No schedule stops production's servers", noProductionSchedule},
	{"IG-CI-PLAN-ROLE", "CKV_AWS_358 / custom", "GitHub OIDC roles pin audience and exact subjects; a role pull requests can assume writes no object and reads no object but state and model manifests (file names, sizes and hashes: the deploy preflight's), and no secret outside one environment", githubPlanRoles},
}

// Run applies every control to a stack and returns findings by control ID.
func Run(s synth.Stack, production bool) map[string][]string {
	out := map[string][]string{}
	for _, c := range All {
		if f := c.Check(s, production); len(f) > 0 {
			sort.Strings(f)
			out[c.ID] = f
		}
	}
	return out
}

// --- helpers -----------------------------------------------------------------

type resource struct {
	typ, name string
	attrs     map[string]any
}

func (r resource) String() string { return r.typ + "." + r.name }

func each(s synth.Stack, types ...string) []resource {
	var out []resource
	for _, t := range types {
		for name, attrs := range s.Resources(t) {
			out = append(out, resource{t, name, attrs})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func block(v any) map[string]any {
	switch t := v.(type) {
	case map[string]any:
		return t
	case []any:
		if len(t) > 0 {
			m, _ := t[0].(map[string]any)
			return m
		}
	}
	return nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// isCMK reports whether v references a customer-managed key of the stack
// (not an AWS-managed alias such as alias/aws/s3).
func isCMK(v any) bool {
	s := str(v)
	return strings.Contains(s, "${aws_kms_key.") || regexp.MustCompile(`^arn:aws[a-z-]*:kms:[^:]+:\d{12}:key/`).MatchString(s)
}

func finding(r resource, format string, args ...any) string {
	return r.String() + ": " + fmt.Sprintf(format, args...)
}

// --- controls ----------------------------------------------------------------

func imdsv2(s synth.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_instance", "aws_launch_template") {
		md := block(r.attrs["metadata_options"])
		if md == nil || md["http_tokens"] != "required" {
			out = append(out, finding(r, "IMDSv1 allowed (metadata_options.http_tokens is not \"required\")"))
		} else if hop, _ := md["http_put_response_hop_limit"].(float64); hop > 1 {
			out = append(out, finding(r, "metadata hop limit %v lets containers reach instance credentials", hop))
		}
	}
	return out
}

func ebsCMK(s synth.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_instance") {
		root := block(r.attrs["root_block_device"])
		if root == nil || root["encrypted"] != true || !isCMK(root["kms_key_id"]) {
			out = append(out, finding(r, "root volume not encrypted with a CMK"))
		}
		for _, d := range asList(r.attrs["ebs_block_device"]) {
			if d["encrypted"] != true || !isCMK(d["kms_key_id"]) {
				out = append(out, finding(r, "EBS block device not encrypted with a CMK"))
			}
		}
	}
	for _, r := range each(s, "aws_ebs_volume") {
		if r.attrs["encrypted"] != true || !isCMK(r.attrs["kms_key_id"]) {
			out = append(out, finding(r, "volume not encrypted with a CMK"))
		}
	}
	return out
}

func asList(v any) []map[string]any {
	var out []map[string]any
	if l, ok := v.([]any); ok {
		for _, x := range l {
			if m, ok := x.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

func rdsCMK(s synth.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_db_instance", "aws_rds_cluster") {
		if r.attrs["storage_encrypted"] != true || !isCMK(r.attrs["kms_key_id"]) {
			out = append(out, finding(r, "storage not encrypted with a CMK"))
		}
		if r.attrs["performance_insights_enabled"] == true && !isCMK(r.attrs["performance_insights_kms_key_id"]) {
			out = append(out, finding(r, "Performance Insights not encrypted with a CMK"))
		}
	}
	return out
}

func efsCMK(s synth.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_efs_file_system") {
		if r.attrs["encrypted"] != true || !isCMK(r.attrs["kms_key_id"]) {
			out = append(out, finding(r, "not encrypted with a CMK"))
		}
	}
	return out
}

func cacheEncryption(s synth.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_elasticache_replication_group") {
		if fmt.Sprint(r.attrs["at_rest_encryption_enabled"]) != "true" || !isCMK(r.attrs["kms_key_id"]) {
			out = append(out, finding(r, "not encrypted at rest with a CMK"))
		}
		if r.attrs["transit_encryption_enabled"] != true {
			out = append(out, finding(r, "not encrypted in transit"))
		}
	}
	return out
}

// s3Buckets checks every bucket's companion resources. The load balancer's
// access-log bucket is the one documented exception to SSE-KMS: ELB writes
// with SSE-S3 only.
func s3Buckets(s synth.Stack, _ bool) []string {
	var out []string
	byBucket := func(typ string) map[string]map[string]any {
		m := map[string]map[string]any{}
		for _, r := range each(s, typ) {
			m[synth.ReferencedName(r.attrs["bucket"])] = r.attrs
		}
		return m
	}
	sse, ver, pab, pol := byBucket("aws_s3_bucket_server_side_encryption_configuration"), byBucket("aws_s3_bucket_versioning"),
		byBucket("aws_s3_bucket_public_access_block"), byBucket("aws_s3_bucket_policy")
	for _, b := range each(s, "aws_s3_bucket") {
		// ELB delivers access logs only to SSE-S3 buckets.
		logExempt := strings.Contains(str(b.attrs["bucket"]), "-edge-logs-")
		rule := block(block(sse[b.name]["rule"])["apply_server_side_encryption_by_default"])
		switch {
		case rule == nil:
			out = append(out, finding(b, "no default encryption"))
		case !logExempt && (rule["sse_algorithm"] != "aws:kms" || !isCMK(rule["kms_master_key_id"])):
			out = append(out, finding(b, "not SSE-KMS with a CMK"))
		}
		if !strings.Contains(fmt.Sprint(ver[b.name]["versioning_configuration"]), "Enabled") {
			out = append(out, finding(b, "versioning off"))
		}
		p := pab[b.name]
		for _, k := range []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"} {
			if p == nil || p[k] != true {
				out = append(out, finding(b, "public access block %s is off", k))
				break
			}
		}
		if !strings.Contains(str(pol[b.name]["policy"]), `"aws:SecureTransport":["false"]`) {
			out = append(out, finding(b, "no TLS-only bucket policy"))
		}
	}
	return out
}

func snsCMK(s synth.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_sns_topic") {
		if !isCMK(r.attrs["kms_master_key_id"]) {
			out = append(out, finding(r, "not encrypted with a CMK"))
		}
	}
	return out
}

func logGroups(s synth.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_cloudwatch_log_group") {
		if !isCMK(r.attrs["kms_key_id"]) {
			out = append(out, finding(r, "not encrypted with a CMK"))
		}
		if d, _ := r.attrs["retention_in_days"].(float64); d < 1 {
			out = append(out, finding(r, "kept forever (no retention_in_days)"))
		}
	}
	return out
}

func secretsCMK(s synth.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_secretsmanager_secret") {
		if !isCMK(r.attrs["kms_key_id"]) {
			out = append(out, finding(r, "encrypted with the AWS-managed key, not a CMK"))
		}
	}
	return out
}

func kmsRotation(s synth.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_kms_key") {
		if r.attrs["enable_key_rotation"] != true {
			out = append(out, finding(r, "rotation off"))
		}
	}
	return out
}

func noPublicIPs(s synth.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_instance") {
		if r.attrs["associate_public_ip_address"] != false {
			out = append(out, finding(r, "may get a public IP (associate_public_ip_address is not false)"))
		}
	}
	for _, r := range each(s, "aws_subnet") {
		if r.attrs["map_public_ip_on_launch"] == true {
			out = append(out, finding(r, "maps public IPs on launch"))
		}
	}
	return out
}

func noPublicDB(s synth.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_db_instance") {
		if r.attrs["publicly_accessible"] != false {
			out = append(out, finding(r, "publicly accessible"))
		}
	}
	return out
}

// ingress allows world-open ingress only to security groups attached to an
// internet-facing load balancer, and only on 80 and 443.
func ingress(s synth.Stack, _ bool) []string {
	var out []string
	albGroups := map[string]bool{}
	for _, lb := range each(s, "aws_lb") {
		if lb.attrs["internal"] == false {
			for _, g := range lb.attrs["security_groups"].([]any) {
				albGroups[synth.ReferencedName(g)] = true
			}
		}
	}
	for _, r := range each(s, "aws_security_group") {
		if r.attrs["ingress"] != nil || r.attrs["egress"] != nil {
			out = append(out, finding(r, "inline rules (scanners miss them in JSON): use aws_vpc_security_group_*_rule"))
		}
	}
	for _, r := range each(s, "aws_security_group_rule") {
		out = append(out, finding(r, "legacy aws_security_group_rule: use aws_vpc_security_group_ingress_rule/egress_rule"))
	}
	for _, r := range each(s, "aws_vpc_security_group_ingress_rule") {
		world := r.attrs["cidr_ipv4"] == "0.0.0.0/0" || r.attrs["cidr_ipv6"] == "::/0"
		if !world {
			continue
		}
		from, _ := r.attrs["from_port"].(float64)
		to, _ := r.attrs["to_port"].(float64)
		if !albGroups[synth.ReferencedName(r.attrs["security_group_id"])] || from != to || (from != 80 && from != 443) {
			out = append(out, finding(r, "open to the world on %v-%v", from, to))
		}
		if r.attrs["ip_protocol"] == "-1" {
			out = append(out, finding(r, "open to the world on every protocol"))
		}
	}
	return out
}

func alb(s synth.Stack, _ bool) []string {
	var out []string
	waf := map[string]bool{}
	for _, a := range each(s, "aws_wafv2_web_acl_association") {
		waf[synth.ReferencedName(a.attrs["resource_arn"])] = true
	}
	listeners := each(s, "aws_lb_listener")
	for _, lb := range each(s, "aws_lb") {
		if lb.attrs["load_balancer_type"] != "application" {
			continue
		}
		if lb.attrs["drop_invalid_header_fields"] != true {
			out = append(out, finding(lb, "invalid header fields are not dropped"))
		}
		if lb.attrs["internal"] == false && !waf[lb.name] {
			out = append(out, finding(lb, "internet-facing without a WAF web ACL"))
		}
		if block(lb.attrs["access_logs"])["enabled"] != true {
			out = append(out, finding(lb, "access logs off"))
		}
	}
	for _, l := range listeners {
		switch l.attrs["protocol"] {
		case "HTTPS":
			if !strings.HasPrefix(str(l.attrs["ssl_policy"]), "ELBSecurityPolicy-TLS13-") {
				out = append(out, finding(l, "TLS policy %v allows TLS below 1.2 or lacks TLS 1.3", l.attrs["ssl_policy"]))
			}
		case "HTTP":
			a := block(l.attrs["default_action"])
			if a["type"] != "redirect" || block(a["redirect"])["protocol"] != "HTTPS" {
				out = append(out, finding(l, "plain HTTP is served instead of redirected to HTTPS"))
			}
		}
	}
	return out
}

func productionProtection(s synth.Stack, production bool) []string {
	if !production {
		return nil
	}
	var out []string
	for _, r := range each(s, "aws_db_instance") {
		if r.attrs["deletion_protection"] != true {
			out = append(out, finding(r, "no deletion protection"))
		}
		if r.attrs["replicate_source_db"] == nil {
			if d, _ := r.attrs["backup_retention_period"].(float64); d < 7 {
				out = append(out, finding(r, "backups kept %v days (< 7)", d))
			}
			if r.attrs["skip_final_snapshot"] != false {
				out = append(out, finding(r, "no final snapshot"))
			}
			if r.attrs["multi_az"] != true {
				out = append(out, finding(r, "not Multi-AZ"))
			}
		}
	}
	for _, r := range each(s, "aws_lb") {
		if r.attrs["enable_deletion_protection"] != true {
			out = append(out, finding(r, "no deletion protection"))
		}
	}
	for _, r := range each(s, "aws_instance") {
		if r.attrs["disable_api_termination"] != true {
			out = append(out, finding(r, "no termination protection"))
		}
	}
	// Every file system, database and model volume is in an AWS Backup
	// selection, by ARN or by tag (or, for a file system, EFS's own
	// automatic backups).
	var selected string
	selectedTags := map[string]bool{}
	for _, sel := range each(s, "aws_backup_selection") {
		selected += fmt.Sprint(sel.attrs["resources"])
		for _, t := range asList(sel.attrs["selection_tag"]) {
			if str(t["type"]) == "STRINGEQUALS" {
				selectedTags[str(t["key"])+"="+str(t["value"])] = true
			}
		}
	}
	inSelection := func(r resource) bool {
		if strings.Contains(selected, r.typ+"."+r.name+".") {
			return true
		}
		for k, v := range block(r.attrs["tags"]) {
			if selectedTags[k+"="+fmt.Sprint(v)] {
				return true
			}
		}
		return false
	}
	backedUp := map[string]bool{}
	for _, b := range each(s, "aws_efs_backup_policy") {
		if strings.Contains(fmt.Sprint(b.attrs["backup_policy"]), "ENABLED") {
			backedUp[synth.ReferencedName(b.attrs["file_system_id"])] = true
		}
	}
	for _, r := range each(s, "aws_efs_file_system") {
		if !backedUp[r.name] && !inSelection(r) {
			out = append(out, finding(r, "not backed up: in no AWS Backup selection, and no EFS backup policy"))
		}
	}
	for _, r := range each(s, "aws_db_instance") {
		if r.attrs["replicate_source_db"] == nil && !inSelection(r) {
			out = append(out, finding(r, "in no AWS Backup selection"))
		}
	}
	for _, r := range each(s, "aws_ebs_volume") {
		if !inSelection(r) {
			out = append(out, finding(r, "in no AWS Backup selection"))
		}
	}
	for _, r := range each(s, "aws_elasticache_replication_group") {
		if d, _ := r.attrs["snapshot_retention_limit"].(float64); d < 1 {
			out = append(out, finding(r, "no snapshots"))
		}
	}
	// Where AWS has no deletion protection, prevent_destroy is the only
	// guard (and it also refuses a replacement cascading onto the data).
	// A bucket whose objects expire within a week (a staging area) is not
	// data, and may be emptied by a destroy.
	transient := map[string]bool{}
	for _, lc := range each(s, "aws_s3_bucket_lifecycle_configuration") {
		for _, rule := range asList(lc.attrs["rule"]) {
			for _, exp := range asList(rule["expiration"]) {
				if d, _ := exp["days"].(float64); d > 0 && d <= 7 {
					transient[synth.ReferencedName(lc.attrs["bucket"])] = true
				}
			}
		}
	}
	for _, r := range each(s, "aws_efs_file_system", "aws_elasticache_replication_group", "aws_kms_key",
		"aws_secretsmanager_secret", "aws_ebs_volume", "aws_s3_bucket") {
		if !preventsDestroy(r) && !(r.typ == "aws_s3_bucket" && transient[r.name] && r.attrs["force_destroy"] == true) {
			out = append(out, finding(r, "stateful, without prevent_destroy"))
		}
	}
	return out
}

func preventsDestroy(r resource) bool {
	return block(r.attrs["lifecycle"])["prevent_destroy"] == true
}

func flowLogs(s synth.Stack, _ bool) []string {
	var out []string
	logged := map[string]bool{}
	for _, f := range each(s, "aws_flow_log") {
		logged[synth.ReferencedName(f.attrs["vpc_id"])] = true
	}
	for _, v := range each(s, "aws_vpc") {
		if !logged[v.name] {
			out = append(out, finding(v, "no flow logs"))
		}
	}
	return out
}

var requiredTags = []string{"Project", "Environment", "ManagedBy", "Repository"}

func tags(s synth.Stack, _ bool) []string {
	var out []string
	providers, _ := s["provider"].(map[string]any)
	aws, _ := providers["aws"].([]any)
	if len(aws) == 0 {
		return []string{"provider.aws: none"}
	}
	for i, p := range aws {
		t := block(block(p.(map[string]any)["default_tags"])["tags"])
		for _, k := range requiredTags {
			if str(t[k]) == "" {
				out = append(out, fmt.Sprintf("provider.aws[%d]: default tag %s missing", i, k))
			}
		}
	}
	return out
}

// SensitiveAttributes are the attribute names whose value must be a
// reference, never a literal.
var SensitiveAttributes = []string{"password", "master_password", "auth_token", "secret_string", "secret_binary", "private_key", "access_key", "secret_key", "token"}

// SecretShapes are text patterns of credentials, by what they look like.
var SecretShapes = map[string]*regexp.Regexp{
	"AWS access key":  regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`),
	"private key":     regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`),
	"password in URL": regexp.MustCompile(`[a-z]+://[^/\s:@"]+:[^/\s@"]+@`),
}

var sensitiveKey = regexp.MustCompile(`(?i)^(` + strings.Join(SensitiveAttributes, "|") + `)$`)

func noLiteralSecrets(s synth.Stack, _ bool) []string {
	var out []string
	for _, typ := range s.ResourceTypes() {
		for _, r := range each(s, typ) {
			walkStrings(r.attrs, "", func(path, v string) {
				key := path[strings.LastIndex(path, ".")+1:]
				if sensitiveKey.MatchString(key) && v != "" && !strings.HasPrefix(v, "${") {
					out = append(out, finding(r, "%s holds a literal value", path))
				}
				for what, re := range SecretShapes {
					if re.MatchString(v) {
						out = append(out, finding(r, "%s looks like a %s", path, what))
					}
				}
			})
		}
	}
	return out
}

func walkStrings(v any, path string, f func(path, v string)) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			walkStrings(x, strings.TrimPrefix(path+"."+k, "."), f)
		}
	case []any:
		for _, x := range t {
			walkStrings(x, path, f)
		}
	case string:
		f(path, t)
	}
}

// iamLeastPrivilege reads every policy document in the stack.
func iamLeastPrivilege(s synth.Stack, _ bool) []string {
	var out []string
	docs := []struct{ typ, attr string }{
		{"aws_iam_role_policy", "policy"}, {"aws_iam_policy", "policy"}, {"aws_iam_user_policy", "policy"},
		{"aws_iam_group_policy", "policy"}, {"aws_iam_role", "assume_role_policy"},
	}
	for _, d := range docs {
		for _, r := range each(s, d.typ) {
			var doc struct {
				Statement []map[string]any `json:"Statement"`
			}
			if err := json.Unmarshal([]byte(str(r.attrs[d.attr])), &doc); err != nil {
				out = append(out, finding(r, "%s is not a JSON policy: %v", d.attr, err))
				continue
			}
			for _, st := range doc.Statement {
				if st["Effect"] != "Allow" {
					continue
				}
				if anyIs(st["Action"], "*") && anyIs(st["Resource"], "*") {
					out = append(out, finding(r, "allows * on *"))
				}
				if p, ok := st["Principal"]; ok && (p == "*" || anyIs(block(p)["AWS"], "*")) {
					out = append(out, finding(r, "trusts every principal"))
				}
			}
		}
	}
	return out
}

func anyIs(v any, want string) bool {
	switch t := v.(type) {
	case string:
		return t == want
	case []any:
		for _, x := range t {
			if x == want {
				return true
			}
		}
	}
	return false
}

// physicalNameAttrs are the arguments that name a resource in AWS, by type.
// IAM and S3 names are unique in the account (S3: in the partition);
// every other name is unique in its region.
var physicalNameAttrs = map[string]string{
	"aws_s3_bucket": "bucket", "aws_iam_role": "name", "aws_iam_instance_profile": "name", "aws_iam_policy": "name",
	"aws_iam_openid_connect_provider": "url",
	"aws_db_instance":                 "identifier", "aws_db_subnet_group": "name", "aws_db_parameter_group": "name_prefix",
	"aws_elasticache_replication_group": "replication_group_id", "aws_elasticache_subnet_group": "name",
	"aws_elasticache_parameter_group": "name", "aws_lb": "name", "aws_secretsmanager_secret": "name",
	"aws_kms_alias": "name", "aws_cloudwatch_log_group": "name", "aws_sns_topic": "name", "aws_ssm_parameter": "name",
	"aws_efs_file_system": "creation_token", "aws_cloudwatch_metric_alarm": "alarm_name",
	"aws_cloudwatch_dashboard": "dashboard_name", "aws_wafv2_web_acl": "name", "aws_ecr_repository": "name",
	"aws_security_group": "name_prefix", "aws_backup_vault": "name", "aws_backup_plan": "name",
	"aws_budgets_budget": "name", "aws_ssm_maintenance_window": "name", "aws_ssm_patch_baseline": "name",
	"aws_scheduler_schedule": "name", "aws_scheduler_schedule_group": "name",
}

// accountWide are the types whose names are unique in the whole account.
var accountWide = map[string]bool{
	"aws_s3_bucket": true, "aws_iam_role": true, "aws_iam_instance_profile": true, "aws_iam_policy": true,
	"aws_iam_openid_connect_provider": true, "aws_budgets_budget": true,
}

// DuplicateNames lists the physical names that two resources of the given
// stacks would both take in one account (and region, for regional types):
// the second `apply` would fail "already exists". Every construct takes its
// names from its own construct ID, so any construct can exist twice; this
// proves the stacks of one account never collide.
func DuplicateNames(stacks map[string]synth.Stack) []string {
	seen := map[string]string{}
	var out []string
	names := make([]string, 0, len(stacks))
	for n := range stacks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, stackName := range names {
		s := stacks[stackName]
		region := ""
		if p, ok := s["provider"].(map[string]any); ok {
			if cfgs, ok := p["aws"].([]any); ok && len(cfgs) > 0 {
				region = str(block(cfgs[0])["region"])
			}
		}
		for typ, attr := range physicalNameAttrs {
			for _, r := range each(s, typ) {
				name := str(r.attrs[attr])
				if name == "" {
					continue
				}
				scope := region
				if accountWide[typ] {
					scope = "account"
				}
				key := scope + "|" + typ + "|" + name
				where := stackName + ":" + r.String()
				if prev, dup := seen[key]; dup {
					out = append(out, fmt.Sprintf("%s %q (%s) is also %s", typ, name, where, prev))
					continue
				}
				seen[key] = where
			}
		}
	}
	sort.Strings(out)
	return out
}

// environmentStack reports whether a stack is an environment's (its
// provider's default Environment tag is not "shared").
func environmentStack(s synth.Stack) bool {
	p, _ := s["provider"].(map[string]any)
	cfgs, _ := p["aws"].([]any)
	if len(cfgs) == 0 {
		return true
	}
	dt := asList(block(cfgs[0])["default_tags"])
	if len(dt) == 0 {
		return true
	}
	return fmt.Sprint(block(dt[0]["tags"])["Environment"]) != "shared"
}

func iamBoundary(s synth.Stack, _ bool) []string {
	if !environmentStack(s) {
		return nil
	}
	var out []string
	for _, r := range each(s, "aws_iam_role") {
		if !strings.Contains(str(r.attrs["permissions_boundary"]), ":policy/") {
			out = append(out, finding(r, "no permissions boundary"))
		}
	}
	return out
}

// digestSuffix is how a resource without name_prefix keeps a name that
// changes with whatever forces its replacement (constructs/cache).
var digestSuffix = regexp.MustCompile(`-[0-9a-f]{8}$`)

func replaceable(s synth.Stack, _ bool) []string {
	var out []string
	cbd := func(r resource) bool { return block(r.attrs["lifecycle"])["create_before_destroy"] == true }
	for _, r := range each(s, "aws_security_group", "aws_db_parameter_group") {
		if cbd(r) && r.attrs["name"] != nil {
			out = append(out, finding(r, "create_before_destroy with a fixed name: the replacement fails \"already exists\" (use name_prefix)"))
		}
	}
	for _, r := range each(s, "aws_elasticache_parameter_group") {
		if cbd(r) && !digestSuffix.MatchString(str(r.attrs["name"])) {
			out = append(out, finding(r, "create_before_destroy with a name that does not change with its family and description"))
		}
	}
	for _, r := range each(s, "aws_lb_target_group") {
		if r.attrs["name"] != nil || !cbd(r) {
			out = append(out, finding(r, "a target group must be replaced create-before-destroy, without a fixed name (a listener rule still uses the old one)"))
		}
	}
	return out
}

func redeployable(s synth.Stack, production bool) []string {
	var out []string
	for _, r := range each(s, "aws_db_instance") {
		if r.attrs["skip_final_snapshot"] != false {
			continue
		}
		if !strings.Contains(str(r.attrs["final_snapshot_identifier"]), "${") || !strings.Contains(fmt.Sprint(block(r.attrs["lifecycle"])["ignore_changes"]), "final_snapshot_identifier") {
			out = append(out, finding(r, "a fixed final snapshot name: the second destroy fails DBSnapshotAlreadyExists"))
		}
	}
	if production || !environmentStack(s) {
		return out
	}
	for _, r := range each(s, "aws_s3_bucket") {
		if r.attrs["force_destroy"] != true && !preventsDestroy(r) {
			out = append(out, finding(r, "no force_destroy: destroy fails BucketNotEmpty"))
		}
	}
	for _, r := range each(s, "aws_secretsmanager_secret") {
		d, set := r.attrs["recovery_window_in_days"].(float64)
		if !set {
			d = 30 // the API's default (Secrets Manager, DeleteSecret)
		}
		if d != 0 {
			out = append(out, finding(r, "a %v-day recovery window keeps the name taken: a re-deploy the same day fails", d))
		}
	}
	return out
}

func dataStays(s synth.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_ebs_volume") {
		if strings.Contains(str(r.attrs["availability_zone"]), "${aws_instance.") {
			out = append(out, finding(r, "its zone follows an instance: replacing the server replaces the volume"))
		}
	}
	for _, r := range each(s, "aws_subnet") {
		id := str(r.attrs["availability_zone_id"])
		if id == "" || strings.Contains(id, "${") || strings.Contains(str(r.attrs["availability_zone"]), "${") {
			out = append(out, finding(r, "not pinned to a literal zone ID: a change in the zone list moves it"))
		}
	}
	return out
}

func ec2Recover(s synth.Stack, _ bool) []string {
	types := map[string]string{}
	for _, r := range each(s, "aws_instance") {
		types["${aws_instance."+r.name+".id}"] = str(r.attrs["instance_type"])
	}
	var out []string
	for _, r := range each(s, "aws_cloudwatch_metric_alarm") {
		if !strings.Contains(fmt.Sprint(r.attrs["alarm_actions"]), ":ec2:recover") {
			continue
		}
		typ := types[str(block(r.attrs["dimensions"])["InstanceId"])]
		if !environments.AutoRecoverySupported(typ) {
			out = append(out, finding(r, "recover action on %q, which EC2 cannot recover: CloudWatch refuses the alarm", typ))
		}
	}
	return out
}

func wafControl(s synth.Stack, _ bool) []string {
	known := map[string]bool{}
	for _, l := range environments.WAFRelaxableRules {
		known[l] = true
	}
	logging := map[string]map[string]any{}
	for _, r := range each(s, "aws_wafv2_web_acl_logging_configuration") {
		logging[synth.ReferencedName(r.attrs["resource_arn"])] = r.attrs
	}
	groups := map[string]string{}
	for _, r := range each(s, "aws_cloudwatch_log_group") {
		groups[r.name] = str(r.attrs["name"])
	}
	var out []string
	for _, r := range each(s, "aws_wafv2_web_acl") {
		l, ok := logging[r.name]
		if !ok {
			out = append(out, finding(r, "no logging: nobody can see what it blocks or would block"))
		} else {
			dest := fmt.Sprint(l["log_destination_configs"])
			named := false
			for name, group := range groups {
				if strings.Contains(dest, "aws_cloudwatch_log_group."+name+".") && strings.HasPrefix(group, "aws-waf-logs-") {
					named = true
				}
			}
			redacted := fmt.Sprint(l["redacted_fields"])
			if !named || !strings.Contains(redacted, "authorization") || !strings.Contains(redacted, "cookie") {
				out = append(out, finding(r, "logs to %s without redacting authorization and cookie, or not to an aws-waf-logs- group", dest))
			}
		}
		walkStrings(r.attrs["rule_json"], "", func(_, v string) {
			var rules any
			if json.Unmarshal([]byte(v), &rules) != nil {
				return
			}
			for _, key := range labelKeys(rules) {
				if strings.HasPrefix(key, "awswaf:managed:") && !known[key] {
					out = append(out, finding(r, "matches label %q, which no managed rule adds: the rule never fires", key))
				}
			}
		})
	}
	return out
}

// labelKeys finds every LabelMatchStatement key in a decoded rule list.
func labelKeys(v any) []string {
	var out []string
	switch t := v.(type) {
	case map[string]any:
		if lm, ok := t["LabelMatchStatement"].(map[string]any); ok {
			out = append(out, str(lm["Key"]))
		}
		for _, val := range t {
			out = append(out, labelKeys(val)...)
		}
	case []any:
		for _, val := range t {
			out = append(out, labelKeys(val)...)
		}
	}
	return out
}

func efsAccess(s synth.Stack, _ bool) []string {
	points := map[string]bool{}
	for _, r := range each(s, "aws_efs_access_point") {
		if block(r.attrs["posix_user"])["uid"] != nil {
			points[synth.ReferencedName(r.attrs["file_system_id"])] = true
		}
	}
	policies := map[string]string{}
	for _, r := range each(s, "aws_efs_file_system_policy") {
		policies[synth.ReferencedName(r.attrs["file_system_id"])] = str(r.attrs["policy"])
	}
	var out []string
	for _, r := range each(s, "aws_efs_file_system") {
		if !points[r.name] {
			out = append(out, finding(r, "no access point with a POSIX user: root is squashed, nothing can own the files"))
		}
		if p := policies[r.name]; !strings.Contains(p, "elasticfilesystem:AccessPointArn") {
			out = append(out, finding(r, "the file system policy allows mounts outside the access point"))
		}
	}
	for _, r := range each(s, "aws_iam_role_policy", "aws_efs_file_system_policy") {
		if strings.Contains(str(r.attrs["policy"]), "ClientRootAccess") {
			out = append(out, finding(r, "grants elasticfilesystem:ClientRootAccess"))
		}
	}
	return out
}

// --- CI/CD roles (deploy-readiness D5–D7) ------------------------------------

// rolePolicies returns, per aws_iam_role logical name, the parsed inline
// policies attached to it (aws_iam_role_policy), and the managed policy
// ARNs attached (aws_iam_role_policy_attachment).
func rolePolicies(s synth.Stack) (inline map[string][]resourcePolicy, managed map[string][]string) {
	inline, managed = map[string][]resourcePolicy{}, map[string][]string{}
	for _, r := range each(s, "aws_iam_role_policy") {
		doc, err := ParsePolicy(str(r.attrs["policy"]))
		role := synth.ReferencedName(r.attrs["role"])
		inline[role] = append(inline[role], resourcePolicy{r, doc, err})
	}
	for _, r := range each(s, "aws_iam_role_policy_attachment") {
		role := synth.ReferencedName(r.attrs["role"])
		managed[role] = append(managed[role], str(r.attrs["policy_arn"]))
	}
	return inline, managed
}

type resourcePolicy struct {
	r   resource
	doc []Statement
	err error
}

// identityPolicies parses every identity policy document of the stack.
func identityPolicies(s synth.Stack) []resourcePolicy {
	var out []resourcePolicy
	for _, t := range []string{"aws_iam_role_policy", "aws_iam_policy", "aws_iam_user_policy", "aws_iam_group_policy"} {
		for _, r := range each(s, t) {
			doc, err := ParsePolicy(str(r.attrs["policy"]))
			out = append(out, resourcePolicy{r, doc, err})
		}
	}
	return out
}

// allowsAny reports the first of the actions an Allow statement covers on
// some resource (conditions aside), or "".
func allowsAny(st Statement, actions ...string) string {
	if st.Effect != "Allow" {
		return ""
	}
	for _, a := range actions {
		if len(st.Action) > 0 && anyGlob(st.Action, a, true) || len(st.Action) == 0 && len(st.NotAction) > 0 && !anyGlob(st.NotAction, a, true) {
			return a
		}
	}
	return ""
}

// iamBoundaryDelegation: whoever may create or change roles' permissions
// may do so only with a fixed permissions boundary (IAM user guide,
// "Permissions boundaries for IAM entities", delegation example): the
// actions that accept iam:PermissionsBoundary carry it, AttachRolePolicy is
// limited by iam:PolicyARN, removing a boundary is denied, and the boundary
// policies named in the conditions cannot be edited.
func iamBoundaryDelegation(s synth.Stack, _ bool) []string {
	var out []string
	grants := []string{"iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary"}
	edits := []string{"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion"}
	for _, p := range identityPolicies(s) {
		if p.err != nil {
			continue // iamLeastPrivilege reports unparsable documents
		}
		delegates := false
		var boundaries []string
		for _, st := range p.doc {
			a := allowsAny(st, grants...)
			if a == "" {
				if allowsAny(st, "iam:DeleteRolePermissionsBoundary") != "" {
					out = append(out, finding(p.r, "statement %q allows iam:DeleteRolePermissionsBoundary", st.Sid))
				}
				continue
			}
			delegates = true
			b := st.ConditionValues("iam:PermissionsBoundary")
			if len(b) == 0 {
				out = append(out, finding(p.r, "statement %q allows %s without an iam:PermissionsBoundary condition", st.Sid, a))
			}
			boundaries = append(boundaries, b...)
			if allowsAny(st, "iam:AttachRolePolicy") != "" && len(st.ConditionValues("iam:PolicyARN")) == 0 {
				out = append(out, finding(p.r, "statement %q allows iam:AttachRolePolicy of any policy (no iam:PolicyARN condition)", st.Sid))
			}
			if allowsAny(st, "iam:DeleteRolePermissionsBoundary") != "" {
				out = append(out, finding(p.r, "statement %q allows iam:DeleteRolePermissionsBoundary", st.Sid))
			}
		}
		if !delegates {
			continue
		}
		if Evaluate(p.doc, "iam:DeleteRolePermissionsBoundary", "*", nil) != ExplicitDeny {
			out = append(out, finding(p.r, "delegates role writes but does not deny iam:DeleteRolePermissionsBoundary"))
		}
		for _, b := range boundaries {
			for _, e := range edits {
				if d := Evaluate(p.doc, e, b, map[string][]string{}); d == Allowed {
					out = append(out, finding(p.r, "allows %s on its own boundary %s", e, b))
				}
			}
		}
	}
	return out
}

// stateListing: Terraform's S3 backend lists the workspace prefix "env:/"
// on init and whenever it opens the state (Workspaces() in
// internal/backend/remote-state/s3/backend_state.go); a role allowed to
// list only its state key gets that request refused on every run.
func stateListing(s synth.Stack, _ bool) []string {
	var out []string
	for _, p := range identityPolicies(s) {
		for _, st := range p.doc {
			if allowsAny(st, "s3:ListBucket") == "" {
				continue
			}
			prefixes := st.ConditionValues("s3:prefix")
			state := false
			for _, v := range prefixes {
				state = state || strings.HasSuffix(v, "terraform.tfstate")
			}
			if state && !anyGlob(prefixes, "env:/", false) {
				out = append(out, finding(p.r, "statement %q lists Terraform state but not the workspace prefix env:/", st.Sid))
			}
		}
	}
	return out
}

// githubPlanRoles: roles GitHub Actions assumes through OIDC pin the
// audience and name repository subjects without wildcards (checkov
// CKV_AWS_358); a role any pull request can assume — its workflow is the
// author's to edit — reads no data: it writes no object, reads no object
// but Terraform state (an explicit Deny, since ReadOnlyAccess reads every
// object), and reads the secrets of one environment path at most.
func githubPlanRoles(s synth.Stack, _ bool) []string {
	var out []string
	inline, managed := rolePolicies(s)
	for _, r := range each(s, "aws_iam_role") {
		trust, err := ParsePolicy(str(r.attrs["assume_role_policy"]))
		if err != nil {
			continue
		}
		pullRequests := false
		for _, st := range trust {
			subs := st.ConditionValues("token.actions.githubusercontent.com:sub")
			if len(subs) == 0 {
				continue
			}
			if aud := st.ConditionValues("token.actions.githubusercontent.com:aud"); len(aud) != 1 || aud[0] != "sts.amazonaws.com" {
				out = append(out, finding(r, "GitHub OIDC trust does not pin the audience sts.amazonaws.com"))
			}
			for _, sub := range subs {
				if !strings.HasPrefix(sub, "repo:") || strings.ContainsAny(sub, "*?") {
					out = append(out, finding(r, "GitHub OIDC subject %q is not one repository's exact subject", sub))
				}
				pullRequests = pullRequests || strings.HasSuffix(sub, ":pull_request")
			}
		}
		if !pullRequests {
			continue
		}
		for _, m := range managed[r.name] {
			if strings.HasSuffix(m, "/AdministratorAccess") || strings.HasSuffix(m, "/PowerUserAccess") {
				out = append(out, finding(r, "trusted for pull requests with %s", m))
			}
		}
		deniesObjects := false
		for _, p := range inline[r.name] {
			for _, st := range p.doc {
				if a := allowsAny(st, "s3:PutObject", "s3:DeleteObject"); a != "" {
					out = append(out, finding(r, "trusted for pull requests, and %s allows %s", p.r.name, a))
				}
				if allowsAny(st, "secretsmanager:GetSecretValue") != "" {
					for _, res := range st.Resource {
						if !oneEnvironmentSecrets.MatchString(res) {
							out = append(out, finding(r, "trusted for pull requests, and %s reads secrets %s (not one environment's path)", p.r.name, res))
						}
					}
				}
				if st.Effect == "Deny" && len(st.Condition) == 0 && anyGlob(st.Action, "s3:GetObject", true) {
					onlyState := len(st.NotResource) > 0
					for _, nr := range st.NotResource {
						onlyState = onlyState && (strings.HasSuffix(nr, "/terraform.tfstate") || modelManifests.MatchString(nr))
					}
					deniesObjects = deniesObjects || onlyState || anyIs(toAny(st.Resource), "*")
				}
			}
		}
		if !deniesObjects {
			out = append(out, finding(r, "trusted for pull requests without an explicit Deny of s3:GetObject on every object but its Terraform state"))
		}
	}
	return out
}

// modelManifests matches the object ARNs of one model bucket's version
// manifests (constructs/models.ManifestsArn) and nothing else of it.
var modelManifests = regexp.MustCompile(`^arn:[^:]+:s3:::[^/*?]+-models-[^/*?]+/models/base/\*/manifest\.json$`)

// oneEnvironmentSecrets matches a secret ARN pattern confined to one
// "<project>/<environment>/" path.
var oneEnvironmentSecrets = regexp.MustCompile(`:secret:[^*?/]+/[^*?/]+/\*$`)

func toAny(l []string) any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

func backupControl(s synth.Stack, production bool) []string {
	var out []string
	locked := map[string]bool{}
	for _, l := range each(s, "aws_backup_vault_lock_configuration") {
		locked[synth.ReferencedName(l.attrs["backup_vault_name"])] = true
	}
	for _, r := range each(s, "aws_backup_vault") {
		if !isCMK(r.attrs["kms_key_arn"]) {
			out = append(out, finding(r, "no customer-managed key"))
		}
		if production && !locked[r.name] {
			out = append(out, finding(r, "not locked: anyone with backup:DeleteRecoveryPoint can delete production's backups"))
		}
	}
	if !production {
		return out
	}
	for _, r := range each(s, "aws_backup_plan") {
		for _, rule := range asList(r.attrs["rule"]) {
			if d, _ := block(rule["lifecycle"])["delete_after"].(float64); d < 35 {
				out = append(out, finding(r, "recovery points kept %v days (< 35)", d))
			}
			if len(asList(rule["copy_action"])) == 0 {
				out = append(out, finding(r, "rule %v copies nothing to another region", rule["rule_name"]))
			}
		}
	}
	return out
}

func budgetControl(s synth.Stack, _ bool) []string {
	if len(each(s, "aws_instance")) == 0 {
		return nil
	}
	budgets := each(s, "aws_budgets_budget")
	if len(budgets) == 0 {
		return []string{"aws_budgets_budget: none in a stack that runs servers"}
	}
	var out []string
	for _, r := range budgets {
		notified := false
		for _, n := range asList(r.attrs["notification"]) {
			if list, _ := n["subscriber_email_addresses"].([]any); len(list) > 0 {
				notified = true
			}
			if list, _ := n["subscriber_sns_topic_arns"].([]any); len(list) > 0 {
				notified = true
			}
		}
		if !notified {
			out = append(out, finding(r, "notifies nobody"))
		}
	}
	return out
}

func noProductionSchedule(s synth.Stack, production bool) []string {
	if !production {
		return nil
	}
	var out []string
	for _, r := range each(s, "aws_scheduler_schedule") {
		if a := str(block(r.attrs["target"])["arn"]); strings.HasSuffix(a, ":ec2:stopInstances") {
			out = append(out, finding(r, "stops production servers on a schedule (%s)", a))
		}
	}
	return out
}
