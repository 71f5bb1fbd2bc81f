package e2etest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/constructs/envinfo"

	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/controls"
	"github.com/influencegen/infrastructure/internal/synth"
)

func TestDatabase(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		sc, db := cfg.Scale, cfg.Database
		p := named(t, s, "aws_db_instance", "database_primary")
		want := map[string]any{
			"engine":                                "postgres",
			"engine_version":                        db.EngineVersion,
			"instance_class":                        db.InstanceClass,
			"storage_type":                          "gp3",
			"storage_encrypted":                     true,
			"manage_master_user_password":           true,
			"multi_az":                              sc.DatabaseMultiAZ,
			"deletion_protection":                   sc.DeletionProtection,
			"skip_final_snapshot":                   !sc.FinalSnapshot,
			"publicly_accessible":                   false,
			"performance_insights_enabled":          true,
			"auto_minor_version_upgrade":            true,
			"copy_tags_to_snapshot":                 true,
			"iam_database_authentication_enabled":   true,
			"backup_window":                         db.BackupWindow,
			"maintenance_window":                    db.MaintenanceWindow,
			"allocated_storage":                     float64(sc.DatabaseAllocatedGB),
			"max_allocated_storage":                 float64(sc.DatabaseMaxAllocatedGB),
			"backup_retention_period":               float64(sc.BackupRetentionDays),
			"monitoring_interval":                   float64(db.MonitoringIntervalSeconds),
			"performance_insights_retention_period": float64(db.PerformanceInsightsRetentionDays),
		}
		for k, v := range want {
			if p[k] != v {
				t.Errorf("primary %s = %v, want %v", k, p[k], v)
			}
		}
		if _, has := p["password"]; has {
			t.Error("the primary carries a password: use manage_master_user_password")
		}
		for _, k := range []string{"kms_key_id", "performance_insights_kms_key_id"} {
			if !ref(p[k], "aws_kms_key", "kms_data") {
				t.Errorf("%s = %v, want the data key", k, p[k])
			}
		}
		if !ref(p["master_user_secret_kms_key_id"], "aws_kms_key", "kms_secrets") {
			t.Errorf("master secret key = %v, want the secrets key", p["master_user_secret_kms_key_id"])
		}
		if !ref(p["monitoring_role_arn"], "aws_iam_role", "database_monitoring-role") {
			t.Errorf("monitoring role = %v", p["monitoring_role_arn"])
		}
		if fmt.Sprint(p["enabled_cloudwatch_logs_exports"]) != "[postgresql upgrade]" {
			t.Errorf("log exports = %v", p["enabled_cloudwatch_logs_exports"])
		}
		if sc.FinalSnapshot && p["final_snapshot_identifier"] == nil {
			t.Error("final snapshot requested but not named")
		}
		// Exported logs go to pre-created, encrypted, retained log groups.
		lgs := withPrefix(s, "aws_cloudwatch_log_group", "database_")
		if len(lgs) != 2*(1+sc.DatabaseReplicas) {
			t.Errorf("%d database log groups, want 2 per instance", len(lgs))
		}
		replicas := withPrefix(s, "aws_db_instance", "database_replica-")
		if len(replicas) != sc.DatabaseReplicas {
			t.Fatalf("%d replicas, want %d", len(replicas), sc.DatabaseReplicas)
		}
		for name, r := range replicas {
			if !ref(r["replicate_source_db"], "aws_db_instance", "database_primary") || r["storage_encrypted"] != true || r["publicly_accessible"] != false {
				t.Errorf("replica %s: %v", name, r)
			}
		}
		pg := named(t, s, "aws_db_parameter_group", "database_params")
		params := map[string]string{}
		for _, x := range pg["parameter"].([]any) {
			m := x.(map[string]any)
			params[m["name"].(string)] = m["value"].(string)
		}
		if params["rds.force_ssl"] != "1" || params["log_min_duration_statement"] != fmt.Sprint(db.SlowStatementMs) || params["log_connections"] != "1" {
			t.Errorf("parameters: %v", params)
		}
		if pg["family"] != "postgres"+db.EngineVersion {
			t.Errorf("parameter group family %v", pg["family"])
		}
		// Reachable on 5432 only from other security groups, never a CIDR.
		for _, r := range ingressTo(s, sgLogicalName(t, s, "database")) {
			if r["cidr_ipv4"] != nil || r["referenced_security_group_id"] == nil || num(r["from_port"]) != 5432 || num(r["to_port"]) != 5432 {
				t.Errorf("database ingress rule: %v", r)
			}
		}
	})
}

// TestProductionDataTier: production's database is Multi-AZ, protected,
// encrypted, with its master password managed by RDS, Performance Insights
// and backups; the rest of its data tier as the properties above say.
func TestProductionDataTier(t *testing.T) {
	s := envStack(t, "production")
	prod, _ := environments.Find(envs, "production")
	p := named(t, s, "aws_db_instance", "database_primary")
	if p["multi_az"] != true || p["deletion_protection"] != true || p["storage_encrypted"] != true ||
		p["manage_master_user_password"] != true || num(p["backup_retention_period"]) < 14 ||
		p["performance_insights_enabled"] != true || p["skip_final_snapshot"] != false {
		t.Errorf("production primary: %v", p)
	}
	// No read replica: RDS cannot create one of a primary whose master
	// password Secrets Manager manages (environments.Validate refuses it;
	// the replica's form is still proven by TestScaleOnlyAdds).
	if n := len(withPrefix(s, "aws_db_instance", "database_replica-")); n != 0 {
		t.Errorf("%d replicas, want none", n)
	}
	rg := only(t, s, "aws_elasticache_replication_group")
	if rg["at_rest_encryption_enabled"] != "true" || rg["transit_encryption_enabled"] != true {
		t.Errorf("redis encryption: %v", rg)
	}
	if only(t, s, "aws_efs_file_system")["encrypted"] != true {
		t.Error("EFS not encrypted")
	}
	if n, want := len(s.Resources("aws_secretsmanager_secret")), len(environments.SecretNames(prod.Tiers))+len(environments.SuppliedSecrets); n != want {
		t.Errorf("%d secrets, want %d (one per generated secret of the tier table, and the supplied ones)", n, want)
	}
}

func TestCache(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		sc := cfg.Scale
		rg := only(t, s, "aws_elasticache_replication_group")
		want := map[string]any{
			"engine":                     "redis",
			"engine_version":             cfg.Cache.EngineVersion,
			"node_type":                  cfg.Cache.NodeType,
			"num_cache_clusters":         float64(sc.CacheNodes),
			"automatic_failover_enabled": sc.CacheMultiAZ,
			"multi_az_enabled":           sc.CacheMultiAZ,
			"at_rest_encryption_enabled": "true",
			"transit_encryption_enabled": true,
			"transit_encryption_mode":    "required",
			"snapshot_retention_limit":   float64(sc.CacheSnapshotRetentionDays),
		}
		for k, v := range want {
			if rg[k] != v {
				t.Errorf("%s = %v, want %v", k, rg[k], v)
			}
		}
		if !ref(rg["kms_key_id"], "aws_kms_key", "kms_data") {
			t.Errorf("kms_key_id = %v", rg["kms_key_id"])
		}
		if !ref(rg["auth_token"], "aws_secretsmanager_secret_version", "secrets_redis-auth-token-version") {
			t.Errorf("auth_token must come from the Secrets Manager secret, got %v", rg["auth_token"])
		}
		if lc := rg["lifecycle"].(map[string]any); fmt.Sprint(lc["ignore_changes"]) != "[auth_token]" || lc["prevent_destroy"] != cfg.Scale.DeletionProtection {
			t.Errorf("a rotated AUTH token would be reverted by the next apply: %v", rg["lifecycle"])
		}
		pg := only(t, s, "aws_elasticache_parameter_group")
		if !strings.Contains(fmt.Sprint(pg["parameter"]), "maxmemory-policy value:noeviction") {
			t.Errorf("BullMQ needs noeviction: %v", pg["parameter"])
		}
		for _, r := range ingressTo(s, sgLogicalName(t, s, "cache")) {
			if r["cidr_ipv4"] != nil || num(r["from_port"]) != 6379 {
				t.Errorf("redis ingress rule: %v", r)
			}
		}
	})
}

func TestFilestore(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		fs := only(t, s, "aws_efs_file_system")
		if fs["encrypted"] != true || !ref(fs["kms_key_id"], "aws_kms_key", "kms_data") {
			t.Errorf("EFS encryption: %v", fs)
		}
		if !strings.Contains(fmt.Sprint(fs["lifecycle_policy"]), "transition_to_ia:"+cfg.Storage.EFSTransitionToIA) {
			t.Errorf("lifecycle: %v", fs["lifecycle_policy"])
		}
		if n := len(s.Resources("aws_efs_mount_target")); n != cfg.Scale.AZCount {
			t.Errorf("%d mount targets, want one per private-app subnet (%d)", n, cfg.Scale.AZCount)
		}
		for _, mt := range s.Resources("aws_efs_mount_target") {
			if !ref(mt["subnet_id"], "aws_subnet", "network_private-app") {
				t.Errorf("mount target outside the private-app subnets: %v", mt["subnet_id"])
			}
		}
		// Backed up by the environment's AWS Backup plan (under the data
		// key, copied and locked like the rest), not by EFS's automatic
		// backups into an AWS-managed vault: one backup, not two.
		if !strings.Contains(fmt.Sprint(only(t, s, "aws_efs_backup_policy")["backup_policy"]), "DISABLED") {
			t.Error("EFS automatic backups on, beside the AWS Backup plan")
		}
		if tags, _ := fs["tags"].(map[string]any); tags[envinfo.BackupTagKey] != account.Project+"-"+cfg.Identity.Name+"-daily" {
			t.Errorf("the file system is not tagged for the backup plan: %v", fs["tags"])
		}
		if !strings.Contains(only(t, s, "aws_efs_file_system_policy")["policy"].(string), `"aws:SecureTransport":["false"]`) {
			t.Error("EFS does not require TLS")
		}
		for _, r := range ingressTo(s, sgLogicalName(t, s, "filestore")) {
			if r["cidr_ipv4"] != nil || num(r["from_port"]) != 2049 {
				t.Errorf("EFS ingress rule: %v", r)
			}
		}
	})
}

func TestBuckets(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		for _, b := range []string{"model-bucket", "backup-bucket"} {
			named(t, s, "aws_s3_bucket", b)
			checkSecureBucket(t, s, b, "aws_kms_key.kms_data_")
		}
		lc := fmt.Sprint(named(t, s, "aws_s3_bucket_lifecycle_configuration", "backup-bucket_lifecycle")["rule"])
		if !strings.Contains(lc, fmt.Sprintf("expiration:[map[days:%d]]", cfg.Scale.BackupBucketRetentionDays)) {
			t.Errorf("backup bucket lifecycle: %s", lc)
		}
	})
}

func TestSecrets(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		// Unprotected environments delete secrets at once, so a destroy
		// and a deploy the same day find the names free.
		window := map[bool]int{true: 30, false: 0}[cfg.Scale.DeletionProtection]
		secrets := s.Resources("aws_secretsmanager_secret")
		generated, supplied := environments.SecretNames(cfg.Tiers), environments.SuppliedSecrets
		if len(secrets) != len(generated)+len(supplied) {
			t.Fatalf("%d secrets, want %d generated (one per generated secret of the tier table) and %d supplied", len(secrets), len(generated), len(supplied))
		}
		// A supplied secret has no version: no generated value may ever
		// overwrite what an operator put.
		if n := len(s.Resources("aws_secretsmanager_secret_version")); n != len(generated) {
			t.Errorf("%d secret versions, want one per generated secret (%d)", n, len(generated))
		}
		for _, name := range supplied {
			if n := len(withPrefix(s, "aws_secretsmanager_secret_version", "secrets_"+strings.ReplaceAll(name, "/", "-")+"-version")); n != 0 {
				t.Errorf("the supplied secret %s has a generated value", name)
			}
		}
		for name, sec := range secrets {
			if !ref(sec["kms_key_id"], "aws_kms_key", "kms_secrets") || num(sec["recovery_window_in_days"]) != window {
				t.Errorf("%s: key %v, recovery %v", name, sec["kms_key_id"], sec["recovery_window_in_days"])
			}
		}
		// Every generated value but the AUTH token (no write-only
		// auth_token in the pinned provider) is an ephemeral password
		// written through secret_string_wo: it never enters the state or a
		// saved plan. secret_string_wo_version is what rotates it.
		ephemeral := s.Ephemeral("aws_secretsmanager_random_password")
		inState := "secrets_" + strings.ReplaceAll(environments.CacheAuthSecret, "/", "-") + "-version"
		for name, v := range s.Resources("aws_secretsmanager_secret_version") {
			if strings.HasPrefix(name, inState+"_") {
				if !ref(v["secret_string"], "data.aws_secretsmanager_random_password", "secrets") {
					t.Errorf("%s: value not generated by Secrets Manager: %v", name, v["secret_string"])
				}
				if fmt.Sprint(v["lifecycle"]) != "map[ignore_changes:[secret_string]]" {
					t.Errorf("%s would be regenerated on every plan: %v", name, v["lifecycle"])
				}
				continue
			}
			if _, ok := v["secret_string"]; ok {
				t.Errorf("%s: a generated value in secret_string (stored in the state and the plan): %v", name, v["secret_string"])
			}
			wo, _ := v["secret_string_wo"].(string)
			eph := strings.TrimSuffix(strings.TrimPrefix(wo, "${ephemeral.aws_secretsmanager_random_password."), ".random_password}")
			args, ok := ephemeral[eph]
			if !ok || eph == wo {
				t.Errorf("%s: secret_string_wo = %q, want an ephemeral aws_secretsmanager_random_password's value", name, wo)
				continue
			}
			if num(args["password_length"]) != 64 || args["exclude_punctuation"] != true || args["require_each_included_type"] != true {
				t.Errorf("%s: the ephemeral password's arguments %v, want 64 alphanumeric characters of each class", name, args)
			}
			if num(v["secret_string_wo_version"]) != 1 {
				t.Errorf("%s: secret_string_wo_version = %v, want 1 (the value is written once)", name, v["secret_string_wo_version"])
			}
		}
		if n := len(s.Data("aws_secretsmanager_random_password")); n != 1 {
			t.Errorf("%d random password data sources (their values are in the state), want only the AUTH token's", n)
		}
		// Outputs carry ARNs only.
		outputs := s["output"].(map[string]any)
		arns := outputs["secret_arns"].(map[string]any)["value"].(map[string]any)
		if len(arns) != len(secrets) {
			t.Errorf("secret_arns has %d entries for %d secrets", len(arns), len(secrets))
		}
		for k, v := range arns {
			if !ref(v, "aws_secretsmanager_secret", "secrets") || !strings.HasSuffix(v.(string), ".arn}") {
				t.Errorf("secret_arns[%s] = %v, want a secret ARN", k, v)
			}
		}
		for name, o := range outputs {
			v := fmt.Sprint(o.(map[string]any)["value"])
			if strings.Contains(v, ".secret_string}") || strings.Contains(v, ".random_password}") || strings.Contains(v, ".auth_token}") || strings.Contains(v, ".password}") {
				t.Errorf("output %s exposes a secret value: %s", name, v)
			}
		}
	})
}

// TestNoLiteralSecrets reads every file cdktf wrote, as a scanner would: no
// sensitive attribute holds a literal, and nothing looks like a key or
// password.
func TestNoLiteralSecrets(t *testing.T) {
	sensitive := regexp.MustCompile(`"(` + strings.Join(controls.SensitiveAttributes, "|") + `)"\s*:\s*"([^"]*)"`)
	patterns := controls.SecretShapes
	files := 0
	err := filepath.Walk(synthDir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, m := range sensitive.FindAllStringSubmatch(string(b), -1) {
			if !strings.HasPrefix(m[2], "${") {
				t.Errorf("%s: %s holds a literal value", path, m[1])
			}
		}
		for what, re := range patterns {
			if re.Match(b) {
				t.Errorf("%s: contains what looks like a %s", path, what)
			}
		}
		return nil
	})
	if err != nil || files < 4 {
		t.Fatalf("scanned %d files: %v", files, err)
	}
}
