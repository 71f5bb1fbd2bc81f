package review

import (
	"fmt"
	"slices"
	"strings"

	"github.com/influencegen/infrastructure/internal/stack"
)

// selection is an AWS Backup selection of the plan, as the plan leaves it.
type selection struct {
	address string
	name    string
	// tags are the "key=value" pairs it selects by (STRINGEQUALS).
	tags []string
	// resources are the ARNs it selects by.
	resources []string
	// plan is the backup plan's values (nil when the plan does not show it).
	plan map[string]any
	// removed: this plan destroys the selection.
	removed bool
}

// backupSelections reads the plan's backup selections and their plans.
func backupSelections(idx *index) []selection {
	var out []selection
	for _, c := range idx.ofType("aws_backup_selection") {
		v := c.after
		if c.destroys() {
			v = c.before
		}
		if v == nil {
			continue
		}
		s := selection{address: c.Address, name: str(v, "name"), resources: stringList(v["resources"]), removed: c.destroys()}
		for _, t := range blocks(v["selection_tag"]) {
			if str(t, "type") == "STRINGEQUALS" {
				s.tags = append(s.tags, str(t, "key")+"="+str(t, "value"))
			}
		}
		for _, p := range idx.byValue[str(v, "plan_id")] {
			if p.Type == "aws_backup_plan" {
				s.plan = p.after
				if p.after == nil {
					s.plan = p.before
				}
			}
		}
		out = append(out, s)
	}
	return out
}

// selects reports whether a selection backs up a resource with these
// values.
func (s selection) selects(values map[string]any) (string, bool) {
	tags := tagsOf(values)
	for _, t := range s.tags {
		k, v, _ := strings.Cut(t, "=")
		if tags[k] == v {
			return "tag " + t, true
		}
	}
	if arn := str(values, "arn"); arn != "" && slices.Contains(s.resources, arn) {
		return "its ARN", true
	}
	return "", false
}

// describe says what a selection's backup plan keeps.
func (s selection) describe() string {
	name := str(s.plan, "name")
	if name == "" {
		return fmt.Sprintf("selection %s", s.name)
	}
	var rules []string
	for _, r := range blocks(s.plan["rule"]) {
		d := str(r, "schedule")
		if lc := blocks(r["lifecycle"]); len(lc) > 0 && num(lc[0], "delete_after") > 0 {
			d += fmt.Sprintf(", kept %g days", num(lc[0], "delete_after"))
		}
		for _, cp := range blocks(r["copy_action"]) {
			if parts := strings.Split(str(cp, "destination_vault_arn"), ":"); len(parts) > 3 {
				d += ", copied to " + parts[3]
			}
		}
		rules = append(rules, d)
	}
	return fmt.Sprintf("selection %s of backup plan %s (%s)", s.name, name, strings.Join(rules, "; "))
}

// dataLoss reports every destruction or replacement of a resource that
// holds data or is backed up.
func dataLoss(changes []change, idx *index) []Finding {
	selections := backupSelections(idx)
	var out []Finding
	for i := range changes {
		c := &changes[i]
		if !c.deletes() || c.Deposed != "" || c.before == nil {
			continue
		}
		holds, isData := stack.Holds[c.Type]
		var recovery []string
		backedUp := false
		for _, s := range selections {
			how, ok := s.selects(c.before)
			if !ok {
				continue
			}
			backedUp = true
			r := "AWS Backup, by " + how + ": " + s.describe()
			if s.removed {
				r += ", which this plan also removes"
			}
			recovery = append(recovery, r)
		}
		if !isData && !backedUp {
			continue
		}
		if !isData {
			holds = "what it stores (AWS Backup backs it up)"
		}
		recovery = append(recovery, ownRecovery(c, idx)...)
		if len(recovery) == 0 {
			recovery = []string{"none: no recovery point covers it"}
		}
		text := fmt.Sprintf("%s; loses %s; recovery: %s", c.why(), holds, strings.Join(recovery, "; "))
		for _, p := range stack.ResourceProtections(c.Type, c.before) {
			if p.Kind == stack.Blocks {
				text += "; " + stack.Blocks + " " + p.What
			}
		}
		out = append(out, Finding{Severity: High, Class: Data, Address: c.Address, Text: text})
	}
	return out
}

// ownRecovery is what a resource keeps of itself when it is deleted:
// snapshots, automated backups, recovery windows.
func ownRecovery(c *change, idx *index) []string {
	b := c.before
	var out []string
	switch c.Type {
	case "aws_db_instance", "aws_rds_cluster":
		if b["skip_final_snapshot"] == false {
			out = append(out, "a final snapshot is taken")
		}
		if days := num(b, "backup_retention_period"); days > 0 {
			kept := "deleted with it"
			if b["delete_automated_backups"] == false {
				kept = "kept after it is deleted, for their retention"
			}
			out = append(out, fmt.Sprintf("automated backups (point-in-time restore, %g days; %s)", days, kept))
		}
	case "aws_ebs_volume":
		if b["final_snapshot"] == true {
			out = append(out, "a final snapshot is taken")
		}
	case "aws_efs_file_system":
		for _, p := range idx.ofType("aws_efs_backup_policy") {
			v := p.after
			if v == nil {
				v = p.before
			}
			if str(v, "file_system_id") == str(b, "id") && strings.Contains(fmt.Sprint(v["backup_policy"]), "ENABLED") {
				out = append(out, "EFS automatic backups (AWS Backup's default plan)")
			}
		}
	case "aws_secretsmanager_secret":
		if days := num(b, "recovery_window_in_days"); days > 0 {
			out = append(out, fmt.Sprintf("restorable for %g days (aws secretsmanager restore-secret)", days))
		}
	case "aws_kms_key":
		if days := num(b, "deletion_window_in_days"); days > 0 {
			out = append(out, fmt.Sprintf("restorable for %g days (aws kms cancel-key-deletion)", days))
		}
	}
	return out
}
