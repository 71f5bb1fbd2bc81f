// Package backup is the environment's AWS Backup: a vault under the data
// key, a daily plan whose recovery points are kept Scale.RecoveryPointRetentionDays,
// a selection, by the tag envinfo.BackedUpTags sets, of the data that
// cannot be rebuilt from code (the RDS primary, the EFS filestore, the GPU
// servers' model volumes), optionally a copy of
// every recovery point to a vault in a second region of the same
// jurisdiction under a key of that region, and optionally compliance-mode
// vault locks. Failed backup and copy jobs notify the alarm topic.
//
// Restoring is docs/runbooks/restore.md.
package backup

import (
	"encoding/json"
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/backupplan"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/backupselection"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/backupvault"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/backupvaultlockconfiguration"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatcheventrule"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatcheventtarget"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrole"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicyattachment"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/encryption"
	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/policy"
	"github.com/influencegen/infrastructure/environments"
)

// Props configures the environment's backups.
type Props struct {
	// Info is the environment.
	Info envinfo.Info
	// Key encrypts the vault (the data key).
	Key encryption.Key
	// Settings are the plan's schedule and windows.
	Settings environments.BackupSettings
	// RetentionDays is how long recovery points, and their copies, are kept.
	RetentionDays int
	// Copy copies every recovery point to another region. Default: nil, no copy.
	Copy *Copy
	// Lock locks the vaults in compliance mode. Default: false.
	Lock bool
	// Protected keeps the vaults and their recovery points when the stack
	// is destroyed (prevent_destroy, no force_destroy); otherwise a destroy
	// deletes the recovery points with the vault, so the environment can
	// be re-created under the same names. Default: false.
	Protected bool
	// AlarmTopicArn receives failed backup and copy jobs.
	AlarmTopicArn string
}

// Copy is the second region backups are copied to.
type Copy struct {
	// Provider is the AWS provider configuration of that region.
	Provider cdktf.TerraformProvider
	// Region is that region.
	Region string
	// DeletionWindowDays is its key's deletion window.
	DeletionWindowDays int
}

// Backup is what the outputs and the runbook need.
type Backup struct {
	// VaultName is the environment's vault.
	VaultName string
	// CopyVaultArn is the vault in the copy region ("" without a copy).
	CopyVaultArn string
	// RoleArn is the role AWS Backup backs up and restores as.
	RoleArn string
}

// New creates the vaults, plan, selection, role and job-failure rule.
func New(scope constructs.Construct, id string, p Props) *Backup {
	c := constructs.NewConstruct(scope, jsii.String(id))
	i := p.Info
	b := &Backup{VaultName: i.Name("backup")}
	var lifecycle *cdktf.TerraformResourceLifecycle
	if p.Protected {
		lifecycle = &cdktf.TerraformResourceLifecycle{PreventDestroy: jsii.Bool(true)}
	}
	vault := backupvault.NewBackupVault(c, jsii.String("vault"), &backupvault.BackupVaultConfig{
		Name:         jsii.String(b.VaultName),
		KmsKeyArn:    jsii.String(p.Key.Arn),
		ForceDestroy: jsii.Bool(!p.Protected),
		Tags:         i.Tags(b.VaultName),
		Lifecycle:    lifecycle,
	})
	if p.Lock {
		lock(c, "vault-lock", vault.Name(), nil)
	}

	rule := backupplan.BackupPlanRule{
		RuleName:          jsii.String("daily"),
		TargetVaultName:   vault.Name(),
		Schedule:          jsii.String(p.Settings.Schedule),
		StartWindow:       jsii.Number(float64(p.Settings.StartWindowMinutes)),
		CompletionWindow:  jsii.Number(float64(p.Settings.CompletionWindowMinutes)),
		Lifecycle:         &backupplan.BackupPlanRuleLifecycle{DeleteAfter: jsii.Number(float64(p.RetentionDays))},
		RecoveryPointTags: &map[string]*string{"Project": jsii.String(i.Project), "Environment": jsii.String(i.Env)},
	}
	if cp := p.Copy; cp != nil {
		b.CopyVaultArn = copyVault(c, i, p, lifecycle)
		rule.CopyAction = []backupplan.BackupPlanRuleCopyAction{{
			DestinationVaultArn: jsii.String(b.CopyVaultArn),
			Lifecycle:           &backupplan.BackupPlanRuleCopyActionLifecycle{DeleteAfter: jsii.Number(float64(p.RetentionDays))},
		}}
	}
	plan := backupplan.NewBackupPlan(c, jsii.String("plan"), &backupplan.BackupPlanConfig{
		Name: jsii.String(i.BackupPlanName()),
		Rule: []backupplan.BackupPlanRule{rule},
		Tags: i.Tags(i.BackupPlanName()),
	})

	role := iamrole.NewIamRole(c, jsii.String("role"), &iamrole.IamRoleConfig{
		Name:                jsii.String(i.Name("backup")),
		Description:         jsii.String("AWS Backup backs up and restores InfluenceGen " + i.Env + " as this role"),
		AssumeRolePolicy:    jsii.String(policy.AssumeRole("backup.amazonaws.com", "")),
		PermissionsBoundary: jsii.String(i.BoundaryArn()),
		Tags:                i.Tags(i.Name("backup")),
	})
	for _, m := range []string{"AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"} {
		iamrolepolicyattachment.NewIamRolePolicyAttachment(c, jsii.String("role-"+m), &iamrolepolicyattachment.IamRolePolicyAttachmentConfig{
			Role:      role.Name(),
			PolicyArn: jsii.String(fmt.Sprintf("arn:%s:iam::aws:policy/service-role/%s", i.Partition, m)),
		})
	}
	b.RoleArn = *role.Arn()
	// By tag: every resource the constructs tag with the plan
	// (envinfo.BackedUpTags: the RDS primary, the EFS file system, the
	// model volumes), however many there are, so a new server's volume is
	// backed up without the selection changing (its arguments are all
	// ForceNew).
	backupselection.NewBackupSelection(c, jsii.String("selection"), &backupselection.BackupSelectionConfig{
		Name:       jsii.String(i.Name("data")),
		PlanId:     plan.Id(),
		IamRoleArn: role.Arn(),
		SelectionTag: []backupselection.BackupSelectionSelectionTag{{
			Type:  jsii.String("STRINGEQUALS"),
			Key:   jsii.String(envinfo.BackupTagKey),
			Value: jsii.String(i.BackupPlanName()),
		}},
	})
	failures(c, i, p.AlarmTopicArn)
	return b
}

// lock puts a compliance-mode lock on a vault.
func lock(scope constructs.Construct, id string, vault *string, provider cdktf.TerraformProvider) {
	backupvaultlockconfiguration.NewBackupVaultLockConfiguration(scope, jsii.String(id), &backupvaultlockconfiguration.BackupVaultLockConfigurationConfig{
		BackupVaultName:   vault,
		ChangeableForDays: jsii.Number(environments.VaultLockGraceDays),
		MinRetentionDays:  jsii.Number(environments.VaultLockMinRetentionDays),
		MaxRetentionDays:  jsii.Number(environments.VaultLockMaxRetentionDays),
		Provider:          provider,
	})
}

// copyVault creates the copy region's (p.Copy) key and vault, with the
// primary vault's lifecycle, and returns the vault ARN.
func copyVault(c constructs.Construct, i envinfo.Info, p Props, lifecycle *cdktf.TerraformResourceLifecycle) string {
	cp := p.Copy
	there := i
	there.Region = cp.Region
	key := encryption.NewKey(c, encryption.KeyProps{
		Info: there, ID: "copy-key", AliasID: "copy-key-alias", Alias: i.Name("backup-copy"),
		Description:        "InfluenceGen " + i.Env + ": copies of its backups in " + cp.Region,
		DeletionWindowDays: cp.DeletionWindowDays,
		// AWS Backup re-encrypts a copy with the destination vault's key;
		// RDS and EBS copy their snapshots through their own services.
		Statements: []policy.Statement{encryption.UseThroughServices(there, "UseThroughBackupServices",
			append(append([]string{}, encryption.KeyUse...), "kms:CreateGrant", "kms:ListGrants"),
			"backup", "rds", "ec2", "elasticfilesystem")},
		PreventDestroy: p.Protected,
		Provider:       cp.Provider,
	})
	name := i.Name("backup-copy")
	vault := backupvault.NewBackupVault(c, jsii.String("copy-vault"), &backupvault.BackupVaultConfig{
		Name:         jsii.String(name),
		KmsKeyArn:    jsii.String(key.Arn),
		ForceDestroy: jsii.Bool(!p.Protected),
		Tags:         i.Tags(name),
		Lifecycle:    lifecycle,
		Provider:     cp.Provider,
	})
	if p.Lock {
		lock(c, "copy-vault-lock", vault.Name(), cp.Provider)
	}
	return *vault.Arn()
}

// failures sends failed, aborted and expired backup jobs, and failed copy
// jobs, of this environment's vaults to the alarm topic. AWS Backup's own
// notification API has no "failed" event (a failure is a COMPLETED event
// with a status), so EventBridge it is (AWS Backup developer guide,
// "Monitoring AWS Backup events using Amazon EventBridge").
func failures(c constructs.Construct, i envinfo.Info, topic string) {
	name := i.Name("backup-failures")
	pattern := map[string]any{
		"source":      []string{"aws.backup"},
		"detail-type": []string{"Backup Job State Change", "Copy Job State Change"},
		"detail": map[string]any{
			"state": []string{"FAILED", "ABORTED", "EXPIRED", "PARTIAL"},
			// Backup jobs name their vault; copy jobs their source vault.
			"$or": []map[string]any{
				{"backupVaultName": []map[string]string{{"prefix": i.Prefix + "-"}}},
				{"sourceBackupVaultArn": []map[string]string{{"wildcard": "*:backup-vault:" + i.Prefix + "-*"}}},
			},
		},
	}
	rule := cloudwatcheventrule.NewCloudwatchEventRule(c, jsii.String("failures"), &cloudwatcheventrule.CloudwatchEventRuleConfig{
		Name:         jsii.String(name),
		Description:  jsii.String("Failed AWS Backup jobs of InfluenceGen " + i.Env),
		EventPattern: jsii.String(mustJSON(pattern)),
		Tags:         i.Tags(name),
	})
	cloudwatcheventtarget.NewCloudwatchEventTarget(c, jsii.String("failures-topic"), &cloudwatcheventtarget.CloudwatchEventTargetConfig{
		Rule:     rule.Name(),
		TargetId: jsii.String("alarm-topic"),
		Arn:      jsii.String(topic),
	})
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only literal maps of strings reach here
	}
	return string(b)
}
