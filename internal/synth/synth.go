// Package synth turns validated environments into Terraform JSON: it builds
// the cdktf app, synthesizes it, and reads the stacks back as parsed JSON
// for the tests and the parity report.
package synth

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/platform"
	"github.com/influencegen/infrastructure/environments"
)

// Options says what to synthesize and where.
type Options struct {
	// Outdir is where cdktf writes; empty lets cdktf decide (cdktf.out, or
	// the directory the cdktf CLI passes in CDKTF_OUTDIR).
	Outdir string
	// Account and Environments are validated, then built.
	Account      environments.Account
	Environments []environments.ParityConfig
	// Extra adds further stacks to the app before synthesis: the parity
	// proof's probe, test fixtures. They are not validated. Default: none.
	Extra func(app constructs.Construct)
}

// Run validates the configuration and, only if it is valid, synthesizes
// every stack. On a validation error nothing is written.
func Run(o Options) error {
	if err := environments.Validate(o.Account, o.Environments); err != nil {
		return err
	}
	var cfg *cdktf.AppConfig
	if o.Outdir != "" {
		cfg = &cdktf.AppConfig{Outdir: jsii.String(o.Outdir)}
	}
	app := cdktf.NewApp(cfg)
	platform.Build(app, o.Account, o.Environments)
	if o.Extra != nil {
		o.Extra(app)
	}
	app.Synth()
	return nil
}

// Stack is one synthesized stack: the parsed cdk.tf.json.
type Stack map[string]any

// Load reads every stack under outdir/stacks.
func Load(outdir string) (map[string]Stack, error) {
	files, err := filepath.Glob(filepath.Join(outdir, "stacks", "*", "cdk.tf.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no stacks under %s", outdir)
	}
	sort.Strings(files)
	out := map[string]Stack{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var s Stack
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out[filepath.Base(filepath.Dir(f))] = s
	}
	return out, nil
}

// Resources returns the resources of one type in a stack, by logical name.
func (s Stack) Resources(typ string) map[string]map[string]any { return s.blocks("resource", typ) }

// Data returns the data sources of one type in a stack, by logical name.
func (s Stack) Data(typ string) map[string]map[string]any { return s.blocks("data", typ) }

// Ephemeral returns the ephemeral resources of one type in a stack, by
// logical name.
func (s Stack) Ephemeral(typ string) map[string]map[string]any { return s.blocks("ephemeral", typ) }

// blocks returns the blocks of one kind ("resource", "data", "ephemeral")
// and type, by logical name.
func (s Stack) blocks(kind, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	all, _ := s[kind].(map[string]any)
	byType, _ := all[typ].(map[string]any)
	for name, r := range byType {
		if m, ok := r.(map[string]any); ok {
			out[name] = m
		}
	}
	return out
}

// ReferencedName returns the logical name of the resource a Terraform
// reference points to: "${aws_security_group.odoo_sg_1234.id}" →
// "odoo_sg_1234"; "" for anything else.
func ReferencedName(v any) string {
	s, _ := v.(string)
	parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(s, "${"), "}"), ".")
	if len(parts) < 2 {
		return ""
	}
	return parts[1]
}

// ResourceTypes lists the resource types present in a stack, sorted.
func (s Stack) ResourceTypes() []string {
	all, _ := s["resource"].(map[string]any)
	out := make([]string, 0, len(all))
	for t := range all {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
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

// Protections lists, for one stack, what really blocks `terraform destroy`,
// what outlives it, and what only looks like a protection. One line per
// finding, sorted, each starting with its kind.
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
func Protections(s Stack) []string {
	var out []string
	add := func(kind, typ, name, what string) {
		out = append(out, fmt.Sprintf("%s %s.%s: %s", kind, typ, name, what))
	}
	all, _ := s["resource"].(map[string]any)
	for typ, byName := range all {
		resources, _ := byName.(map[string]any)
		for name, r := range resources {
			attrs, _ := r.(map[string]any)
			if lc, ok := attrs["lifecycle"].(map[string]any); ok && lc["prevent_destroy"] == true {
				add(Blocks, typ, name, "prevent_destroy: Terraform refuses to plan its destruction")
			}
			if attrs["deletion_protection"] == true || attrs["enable_deletion_protection"] == true {
				add(Blocks, typ, name, "deletion protection: AWS refuses to delete it until it is turned off and applied")
			}
			if attrs["disable_api_termination"] == true {
				add(DoesNotBlock, typ, name, "termination protection guards against console and API termination; Terraform turns it off before it destroys the instance")
			}
			switch typ {
			case "aws_s3_bucket":
				if attrs["force_destroy"] != true {
					add(Blocks, typ, name, "no force_destroy: the destroy fails BucketNotEmpty once it holds any object version")
				}
			case "aws_db_instance":
				if attrs["skip_final_snapshot"] == false {
					add(Outlives, typ, name, "takes a final snapshot (kept, and billed, until deleted by hand)")
				}
				if attrs["delete_automated_backups"] == false {
					add(Outlives, typ, name, "keeps its automated backups for their retention period")
				}
			case "aws_ebs_volume":
				if attrs["final_snapshot"] == true {
					add(Outlives, typ, name, "takes a final snapshot (kept, and billed, until deleted by hand)")
				}
			case "aws_secretsmanager_secret":
				if d, ok := attrs["recovery_window_in_days"].(float64); ok && d > 0 {
					add(Outlives, typ, name, fmt.Sprintf("scheduled for deletion for %d days: its name stays taken, so a re-deploy fails until then (or restore it)", int(d)))
				}
			case "aws_kms_key":
				if d, ok := attrs["deletion_window_in_days"].(float64); ok {
					add(Outlives, typ, name, fmt.Sprintf("pending deletion for %d days (restorable; billed)", int(d)))
				}
			case "aws_backup_vault":
				add(Outlives, typ, name, "its recovery points: a vault with recovery points cannot be deleted (Terraform deletes them first only with force_destroy)")
			}
		}
	}
	sort.Strings(out)
	return out
}
