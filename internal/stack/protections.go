package stack

import (
	"fmt"
	"sort"
)

// Holds says, for each resource type that holds data, what is lost when
// one is destroyed or replaced: what no `terraform apply` can bring back.
// A day-2 operation must never replace one (e2etest), and the plan
// review reports every plan that does (internal/review).
var Holds = map[string]string{
	"aws_db_instance":                   "the database",
	"aws_rds_cluster":                   "the database cluster",
	"aws_ebs_volume":                    "every block of the volume",
	"aws_efs_file_system":               "every file",
	"aws_s3_bucket":                     "every object and object version",
	"aws_elasticache_replication_group": "the cache's data not yet in a snapshot",
	"aws_dynamodb_table":                "every item",
	"aws_secretsmanager_secret":         "the secret and every version of its value",
	"aws_secretsmanager_secret_version": "this version of the secret's value",
	"aws_kms_key":                       "the key: what it encrypts is unreadable once its deletion window ends",
	"aws_backup_vault":                  "its recovery points",
	"aws_ecr_repository":                "every image",
}

// Protection kinds, as Protections reports them.
const (
	// Blocks: `terraform destroy` fails, or refuses to start, until it is
	// lifted.
	Blocks = "BLOCKS"
	// Outlives: the destroy succeeds but this is left behind (and billed,
	// or reserved) afterwards.
	Outlives = "OUTLIVES"
	// DoesNotBlock: looks like a protection but does not stop Terraform.
	DoesNotBlock = "DOES NOT BLOCK"
)

// Protection is one thing that blocks, outlives or only seems to guard
// against the destruction of a resource.
type Protection struct {
	// Kind is Blocks, Outlives or DoesNotBlock.
	Kind string
	// What says what it does.
	What string
}

// ResourceProtections lists what protects one resource against its
// destruction, from its arguments: a synthesized resource's, or its values
// in a state or a plan (which have no lifecycle block).
//
//   - deletion_protection (RDS), enable_deletion_protection (ALB) and
//     lifecycle.prevent_destroy block the destroy;
//   - a bucket without force_destroy blocks it as soon as it holds an object
//     (DeleteBucket fails BucketNotEmpty; provider internal/service/s3/bucket.go
//     empties it only with force_destroy);
//   - final snapshots, automated backups kept after deletion, secrets in
//     their recovery window (the name stays taken) and KMS keys in their
//     deletion window outlive it;
//   - disable_api_termination does NOT block it: the provider turns
//     termination protection off before it terminates an instance
//     (internal/service/ec2/ec2_instance.go, resourceInstanceDelete).
func ResourceProtections(typ string, attrs map[string]any) []Protection {
	var out []Protection
	add := func(kind, what string) { out = append(out, Protection{kind, what}) }
	if lc, ok := attrs["lifecycle"].(map[string]any); ok && lc["prevent_destroy"] == true {
		add(Blocks, "prevent_destroy: Terraform refuses to plan its destruction")
	}
	if attrs["deletion_protection"] == true || attrs["enable_deletion_protection"] == true {
		add(Blocks, "deletion protection: AWS refuses to delete it until it is turned off and applied")
	}
	if attrs["disable_api_termination"] == true {
		add(DoesNotBlock, "termination protection guards against console and API termination; Terraform turns it off before it destroys the instance")
	}
	switch typ {
	case "aws_s3_bucket":
		if attrs["force_destroy"] != true {
			add(Blocks, "no force_destroy: the destroy fails BucketNotEmpty once it holds any object version")
		}
	case "aws_db_instance":
		if attrs["skip_final_snapshot"] == false {
			add(Outlives, "takes a final snapshot (kept, and billed, until deleted by hand)")
		}
		if attrs["delete_automated_backups"] == false {
			add(Outlives, "keeps its automated backups for their retention period")
		}
	case "aws_ebs_volume":
		if attrs["final_snapshot"] == true {
			add(Outlives, "takes a final snapshot (kept, and billed, until deleted by hand)")
		}
	case "aws_secretsmanager_secret":
		if d, ok := attrs["recovery_window_in_days"].(float64); ok && d > 0 {
			add(Outlives, fmt.Sprintf("scheduled for deletion for %d days: its name stays taken, so a re-deploy fails until then (or restore it)", int(d)))
		}
	case "aws_kms_key":
		if d, ok := attrs["deletion_window_in_days"].(float64); ok {
			add(Outlives, fmt.Sprintf("pending deletion for %d days (restorable; billed)", int(d)))
		}
	case "aws_backup_vault":
		add(Outlives, "its recovery points: a vault with recovery points cannot be deleted (Terraform deletes them first only with force_destroy)")
	}
	return out
}

// Protections lists, for one stack, what really blocks `terraform destroy`,
// what outlives it, and what only looks like a protection
// (ResourceProtections). One line per finding, sorted, each starting with
// its kind.
func Protections(s Stack) []string {
	var out []string
	all, _ := s["resource"].(map[string]any)
	for typ, byName := range all {
		resources, _ := byName.(map[string]any)
		for name, r := range resources {
			attrs, _ := r.(map[string]any)
			for _, p := range ResourceProtections(typ, attrs) {
				out = append(out, fmt.Sprintf("%s %s.%s: %s", p.Kind, typ, name, p.What))
			}
		}
	}
	sort.Strings(out)
	return out
}
