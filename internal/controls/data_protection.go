package controls

// Data protection: production's stateful resources cannot be deleted or
// lost (deletion protection, prevent_destroy, backups), backups are
// encrypted and kept, and every resource can be replaced and re-deployed
// without colliding with itself or taking its data with it.

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/influencegen/infrastructure/internal/stack"
)

func productionProtection(s stack.Stack, production bool) []string {
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
			backedUp[stack.ReferencedName(b.attrs["file_system_id"])] = true
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
					transient[stack.ReferencedName(lc.attrs["bucket"])] = true
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

func backupControl(s stack.Stack, production bool) []string {
	var out []string
	locked := map[string]bool{}
	for _, l := range each(s, "aws_backup_vault_lock_configuration") {
		locked[stack.ReferencedName(l.attrs["backup_vault_name"])] = true
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

func replaceable(s stack.Stack, _ bool) []string {
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

// digestSuffix is how a resource without name_prefix keeps a name that
// changes with whatever forces its replacement (constructs/cache).
var digestSuffix = regexp.MustCompile(`-[0-9a-f]{8}$`)

func redeployable(s stack.Stack, production bool) []string {
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

func dataStays(s stack.Stack, _ bool) []string {
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
