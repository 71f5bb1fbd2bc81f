package environments

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestDefaultsAreValid(t *testing.T) {
	a := DefaultAccount()
	if err := Validate(a, All(a)); err != nil {
		t.Fatalf("the shipped configuration must be valid:\n%v", err)
	}
}

// TestInvalidConfigurations: each bad value is rejected with an error that
// names the environment, the field and a fix.
func TestInvalidConfigurations(t *testing.T) {
	cases := []struct {
		name      string
		mutate    func(a *Account, envs []ParityConfig) // envs: production, staging, dev
		env       string
		field     string
		wantInMsg string
	}{
		{"malformed CIDR", func(a *Account, e []ParityConfig) { e[2].Identity.VPCCIDR = "10.30.0/16" }, "dev", "Identity.VPCCIDR", "not a CIDR block"},
		{"host bits set", func(a *Account, e []ParityConfig) { e[2].Identity.VPCCIDR = "10.30.1.0/16" }, "dev", "Identity.VPCCIDR", "use the network address 10.30.0.0/16"},
		{"public CIDR", func(a *Account, e []ParityConfig) { e[2].Identity.VPCCIDR = "8.8.0.0/16" }, "dev", "Identity.VPCCIDR", "RFC 1918"},
		{"CIDR too small", func(a *Account, e []ParityConfig) { e[2].Identity.VPCCIDR = "10.30.0.0/24" }, "dev", "Identity.VPCCIDR", "between /16 and /22"},
		{"overlapping environments", func(a *Account, e []ParityConfig) { e[2].Identity.VPCCIDR = "10.10.128.0/20" }, "dev", "Identity.VPCCIDR", "overlaps 10.10.0.0/16 of production"},
		{"overlaps a peered network", func(a *Account, e []ParityConfig) { a.PeeredCIDRs = []string{"10.20.0.0/14"} }, "Account.PeeredCIDRs[0]", "Identity.VPCCIDR", "could never be peered"},
		{"one AZ in production", func(a *Account, e []ParityConfig) { e[0].Scale.AZCount = 1 }, "production", "Scale.AZCount", "loss of one availability zone"},
		{"one AZ in staging", func(a *Account, e []ParityConfig) { e[1].Scale.AZCount = 1 }, "staging", "Scale.AZCount", "between 2 and 4"},
		{"not a region", func(a *Account, e []ParityConfig) {
			a.PrimaryRegion = "eu-middle-9"
			e[0].Region = "eu-middle-9"
			e[1].Region = "eu-middle-9"
		}, "production", "Region", "not an AWS region"},
		{"zero Odoo servers", func(a *Account, e []ParityConfig) { e[1].Scale.Servers[TierOdoo] = 0 }, "staging", "Scale.Servers[odoo]", "every tier runs 1 to 20"},
		{"21 n8n workers", func(a *Account, e []ParityConfig) { e[2].Scale.Servers[TierN8nWorker] = 21 }, "dev", "Scale.Servers[n8n-worker]", "every tier runs 1 to 20"},
		{"a count for the fixed n8n main", func(a *Account, e []ParityConfig) { e[0].Scale.Servers[TierN8nMain] = 2 }, "production", "Scale.Servers[n8n-main]", "fixed count"},
		{"staging override outside Scale", func(a *Account, e []ParityConfig) {
			e[1].Servers[TierOdoo] = ServerSettings{InstanceType: "m6i.large", RootVolumeGB: 50}
		}, "staging", "Servers", "may change only Identity and Scale"},
		{"staging tier table changed", func(a *Account, e []ParityConfig) { e[1].Tiers[0].Route.HealthPath = "/" }, "staging", "Tiers", "may change only Identity and Scale"},
		{"tier without settings", func(a *Account, e []ParityConfig) {
			delete(e[2].Servers, TierAI)
			e[2].Tiers[3].Instance = ServerSettings{}
		}, "dev", "Tiers[ai].Instance", "no instance type or root volume"},
		{"settings without tier", func(a *Account, e []ParityConfig) {
			e[2].Servers["no-such-tier"] = ServerSettings{InstanceType: "m6i.large", RootVolumeGB: 30}
		}, "dev", "Servers[no-such-tier]", "does not exist"},
		{"tier reaches nothing known", func(a *Account, e []ParityConfig) { e[2].Tiers[0].Reaches = append(e[2].Tiers[0].Reaches, "mysql") }, "dev", "Tiers[odoo].Reaches", `"mysql" is neither a tier`},
		{"tier reaches a tier without a port", func(a *Account, e []ParityConfig) { e[2].Tiers[3].Reaches = []string{TierN8nWorker} }, "dev", "Tiers[ai].Reaches", "listens on no Port"},
		{"two routes, one priority", func(a *Account, e []ParityConfig) { e[2].Tiers[1].Route.Priority = e[2].Tiers[0].Route.Priority }, "dev", "Tiers[n8n-main].Route.Priority", "is taken"},
		{"two tiers, one group", func(a *Account, e []ParityConfig) { e[2].Tiers[2].AnsibleGroup = "odoo_servers" }, "dev", "Tiers[n8n-worker].AnsibleGroup", "also the group of odoo"},
		{"two tiers, one name", func(a *Account, e []ParityConfig) { e[2].Tiers[2].Name = TierOdoo }, "dev", "Tiers[2].Name", "name of an earlier tier"},
		{"a tier named like a part of the platform", func(a *Account, e []ParityConfig) { renameTier(&e[2], TierN8nWorker, "backup") }, "dev", "Tiers[2].Name", "a name the platform gives one of its own parts"},
		{"a tier named like a security-group peer", func(a *Account, e []ParityConfig) { renameTier(&e[2], TierN8nWorker, "internet") }, "dev", "Tiers[2].Name", "a name the platform gives one of its own parts"},
		{"a tier named like another tier's part", func(a *Account, e []ParityConfig) { renameTier(&e[2], TierN8nWorker, "odoo-sg") }, "dev", "Tiers[2].Name", "ends like a tier's part"},
		{"a tier without log files", func(a *Account, e []ParityConfig) { e[2].Tiers[3].LogFiles = nil }, "dev", "Tiers[ai].LogFiles", "ship nothing"},
		{"a relative log file", func(a *Account, e []ParityConfig) { e[2].Tiers[3].LogFiles = []string{"app.log"} }, "dev", "Tiers[ai].LogFiles", "not an absolute path"},
		{"a fixed count over 20", func(a *Account, e []ParityConfig) { e[2].Tiers[1].FixedCount = 21 }, "dev", "Tiers[n8n-main].FixedCount", "a tier runs 1 to 20"},
		{"unknown bucket", func(a *Account, e []ParityConfig) { e[2].Tiers[0].Buckets[0].Bucket = "logs" }, "dev", "Tiers[odoo].Buckets", "not an environment bucket"},
		{"unknown image", func(a *Account, e []ParityConfig) { e[2].Tiers[3].Images = []string{"comfyui"} }, "dev", "Tiers[ai].Images", "not a repository"},
		{"zone of another region", func(a *Account, e []ParityConfig) { e[2].Network.ZoneIDs[1] = "use1-az4" }, "dev", "Network.ZoneIDs[1]", "not a zone of eu-central-1"},
		{"fewer zones than AZs", func(a *Account, e []ParityConfig) { e[2].Network.ZoneIDs = e[2].Network.ZoneIDs[:1] }, "dev", "Network.ZoneIDs", "for Scale.AZCount 2"},
		{"GPU on a CPU tier", func(a *Account, e []ParityConfig) {
			e[2].Servers[TierOdoo] = ServerSettings{InstanceType: "g5.xlarge", RootVolumeGB: 50}
		}, "dev", "Servers[odoo].InstanceType", "GPU instance for a tier that uses none"},
		{"staging in another region", func(a *Account, e []ParityConfig) { e[1].Region = "eu-west-1" }, "staging", "Region", "may change only Identity and Scale"},
		{"bad log retention", func(a *Account, e []ParityConfig) { e[1].Scale.LogRetentionDays = 10 }, "staging", "Scale.LogRetentionDays", "not a retention"},
		{"production unprotected", func(a *Account, e []ParityConfig) { e[0].Scale.DeletionProtection = false }, "production", "Scale.DeletionProtection", "without deletion protection"},
		{"SSM endpoint removed", func(a *Account, e []ParityConfig) { e[2].Network.InterfaceEndpoints = []string{"ssm", "ec2messages"} }, "dev", "Network.InterfaceEndpoints", `"ssmmessages" is missing`},
		{"foreign state key", func(a *Account, e []ParityConfig) { e[2].Identity.StateKey = "production/terraform.tfstate" }, "dev", "Identity.StateKey", "dev/terraform.tfstate"},
		{"domain outside the account's", func(a *Account, e []ParityConfig) { e[2].Identity.Domain = "dev.example.org" }, "dev", "Identity.Domain", "must live under dev.influencegen.example.com"},
		{"duplicate environment", func(a *Account, e []ParityConfig) {
			e[2].Identity = e[1].Identity
			e[2].Identity.VPCCIDR = "10.30.0.0/16"
		}, "staging", "Identity.Name", "duplicate"},
		{"bad account ID", func(a *Account, e []ParityConfig) { a.ID = "12345" }, "account", "Account.ID", "12-digit"},
		{"bad state bucket", func(a *Account, e []ParityConfig) { a.StateBucket = "Bad_Bucket" }, "account", "Account.StateBucket", "not a valid S3 bucket name"},
		{"bad domain", func(a *Account, e []ParityConfig) { a.Domain = "influencegen" }, "account", "Account.Domain", "not a DNS domain"},
		{"bad instance type", func(a *Account, e []ParityConfig) {
			e[2].Servers[TierAI] = ServerSettings{InstanceType: "gpu-large", RootVolumeGB: 100}
		}, "dev", "Servers[ai].InstanceType", "not an EC2 instance type"},
		{"database storage under 20 GB", func(a *Account, e []ParityConfig) { e[2].Scale.DatabaseAllocatedGB = 10 }, "dev", "Scale.DatabaseAllocatedGB", "starts at 20 GB"},
		{"autoscaling ceiling below size", func(a *Account, e []ParityConfig) { e[2].Scale.DatabaseMaxAllocatedGB = 10 }, "dev", "Scale.DatabaseMaxAllocatedGB", "autoscaling ceiling"},
		{"backup retention above 35", func(a *Account, e []ParityConfig) { e[1].Scale.BackupRetentionDays = 40 }, "staging", "Scale.BackupRetentionDays", "1 to 35"},
		{"production backups under 14 days", func(a *Account, e []ParityConfig) { e[0].Scale.BackupRetentionDays = 7 }, "production", "Scale.BackupRetentionDays", "at least 14 days"},
		{"unsupported engine version", func(a *Account, e []ParityConfig) { e[2].Database.EngineVersion = "9.6" }, "dev", "Database.EngineVersion", "not a supported PostgreSQL"},
		{"six replicas", func(a *Account, e []ParityConfig) { e[0].Scale.DatabaseReplicas = 6 }, "production", "Scale.DatabaseReplicas", "0 to 5"},
		{"a replica of a managed-password database", func(a *Account, e []ParityConfig) { e[0].Scale.DatabaseReplicas = 1 }, "production", "Scale.DatabaseReplicas", "cannot create a read replica"},
		{"production without standby", func(a *Account, e []ParityConfig) { e[0].Scale.DatabaseMultiAZ = false }, "production", "Scale.DatabaseMultiAZ", "without a standby"},
		{"cache failover without replica", func(a *Account, e []ParityConfig) { e[1].Scale.CacheMultiAZ = true }, "staging", "Scale.CacheMultiAZ", "needs a replica"},
		{"unsupported Redis", func(a *Account, e []ParityConfig) { e[2].Cache.EngineVersion = "5.0.6" }, "dev", "Cache.EngineVersion", "not a supported Redis"},
		{"reserved master user", func(a *Account, e []ParityConfig) { e[2].Database.MasterUsername = "postgres" }, "dev", "Database.MasterUsername", "reserved"},
		{"bad maintenance window", func(a *Account, e []ParityConfig) { e[2].Database.MaintenanceWindow = "sunday 3am" }, "dev", "Database.MaintenanceWindow", "weekly UTC window"},
		{"GPU under 24 GB", func(a *Account, e []ParityConfig) {
			e[2].Servers[TierAI] = ServerSettings{InstanceType: "g3.4xlarge", RootVolumeGB: 100}
		}, "dev", "Servers[ai].InstanceType", "needs 24 GB of VRAM"},
		{"not a GPU", func(a *Account, e []ParityConfig) {
			e[2].Servers[TierAI] = ServerSettings{InstanceType: "m6i.xlarge", RootVolumeGB: 100}
		}, "dev", "Servers[ai].InstanceType", "not a known GPU"},
		{"AMD GPU", func(a *Account, e []ParityConfig) {
			e[2].Servers[TierAI] = ServerSettings{InstanceType: "g4ad.xlarge", RootVolumeGB: 100}
		}, "dev", "Servers[ai].InstanceType", "needs CUDA"},
		{"GPU root volume too small", func(a *Account, e []ParityConfig) {
			e[2].Servers[TierAI] = ServerSettings{InstanceType: "g5.xlarge", RootVolumeGB: 30}
		}, "dev", "Servers[ai].RootVolumeGB", "set it to 60 or more"},
		{"world-open SSH", func(a *Account, e []ParityConfig) { e[2].Compute.AdminSSHCIDR = "0.0.0.0/0" }, "dev", "Compute.AdminSSHCIDR", "opens SSH to the world"},
		{"malformed admin CIDR", func(a *Account, e []ParityConfig) { e[2].Compute.AdminSSHCIDR = "office" }, "dev", "Compute.AdminSSHCIDR", "not a CIDR"},
		{"weak TLS policy", func(a *Account, e []ParityConfig) { e[2].Edge.TLSPolicy = "ELBSecurityPolicy-2016-08" }, "dev", "Edge.TLSPolicy", "TLS below 1.2"},
		{"production without WAF", func(a *Account, e []ParityConfig) { e[0].Edge.WAF = false }, "production", "Edge.WAF", "without a WAF"},
		{"model volume too small", func(a *Account, e []ParityConfig) { e[1].Scale.ModelVolumeGB = 10 }, "staging", "Scale.ModelVolumeGB", "35 GB"},
		{"quantization host without bf16", func(a *Account, e []ParityConfig) {
			e[2].Models.Quantizer = ServerSettings{InstanceType: "g4dn.2xlarge", RootVolumeGB: 150}
		}, "dev", "Models.Quantizer.InstanceType", "needs a bf16 NVIDIA GPU"},
		{"quantization host without a GPU", func(a *Account, e []ParityConfig) {
			e[2].Models.Quantizer = ServerSettings{InstanceType: "r6i.2xlarge", RootVolumeGB: 150}
		}, "dev", "Models.Quantizer.InstanceType", "not a known GPU family"},
		{"quantization host disk too small", func(a *Account, e []ParityConfig) { e[2].Models.Quantizer.RootVolumeGB = 40 }, "dev", "Models.Quantizer.RootVolumeGB", "set it to 100 or more"},
		{"base model not a repository", func(a *Account, e []ParityConfig) { e[2].Models.BaseModel = "FLUX.1-dev" }, "dev", "Models.BaseModel", "not a Hugging Face repository"},
		{"staging serves another model", func(a *Account, e []ParityConfig) { e[1].Models.BaseModel = "black-forest-labs/FLUX.1-schnell" }, "staging", "Models.BaseModel", "may change only Identity and Scale"},
		{"models promoted from nowhere", func(a *Account, e []ParityConfig) { a.ModelSources["staging"] = "qa" }, "account", `Account.ModelSources["staging"]`, `"qa" is not an environment`},
		{"production promoted from dev", func(a *Account, e []ParityConfig) { a.ModelSources["production"] = "dev" }, "account", `Account.ModelSources["production"]`, "from staging only"},
		{"a promotion loop", func(a *Account, e []ParityConfig) { a.ModelSources["dev"] = "production" }, "account", `Account.ModelSources["dev"]`, "loops"},
		{"models copied from itself", func(a *Account, e []ParityConfig) { a.ModelSources["dev"] = "dev" }, "account", `Account.ModelSources["dev"]`, "from itself"},
		{"bad certificate ARN", func(a *Account, e []ParityConfig) { e[2].Edge.CertificateArn = "my-cert" }, "dev", "Edge.CertificateArn", "not an ACM certificate ARN"},
		{"alarm threshold unset", func(a *Account, e []ParityConfig) { e[0].Alarms.DatabaseConnections = 0 }, "production", "Alarms.DatabaseConnections", "positive threshold"},
		{"alarm percentage out of range", func(a *Account, e []ParityConfig) { e[2].Alarms.GPUMemoryPercent = 150 }, "dev", "Alarms.GPUMemoryPercent", "not a percentage"},
		{"bad alert email", func(a *Account, e []ParityConfig) { a.AlertEmails["staging"] = []string{"oncall"} }, "account", `Account.AlertEmails["staging"][0]`, "not an e-mail"},
		{"backup copy to the primary region", func(a *Account, e []ParityConfig) { a.BackupCopyRegion = "eu-central-1" }, "account", "Account.BackupCopyRegion", "does not survive the region"},
		{"backup copy out of the jurisdiction", func(a *Account, e []ParityConfig) { a.BackupCopyRegion = "us-east-1" }, "account", "Account.BackupCopyRegion", "choose one of eu-west-1, eu-west-3"},
		{"backup copy to Zurich", func(a *Account, e []ParityConfig) { a.BackupCopyRegion = "eu-central-2" }, "account", "Account.BackupCopyRegion", "outside eu-central-1's jurisdiction (EU)"},
		{"backup copy from a region alone in its country", func(a *Account, e []ParityConfig) {
			a.PrimaryRegion, a.BackupCopyRegion = "eu-west-2", "eu-west-1"
		}, "account", "Account.BackupCopyRegion", "has no other region in its jurisdiction"},
		{"production without a backup copy", func(a *Account, e []ParityConfig) { e[0].Scale.BackupCopy = false }, "production", "Scale.BackupCopy", "stay in one region"},
		{"production without a vault lock", func(a *Account, e []ParityConfig) { e[0].Scale.BackupVaultLock = false }, "production", "Scale.BackupVaultLock", "can be deleted"},
		{"production recovery points for a week", func(a *Account, e []ParityConfig) { e[0].Scale.RecoveryPointRetentionDays = 7 }, "production", "Scale.RecoveryPointRetentionDays", "at least 35 days"},
		{"recovery points beyond the lock's ceiling", func(a *Account, e []ParityConfig) { e[1].Scale.RecoveryPointRetentionDays = 400 }, "staging", "Scale.RecoveryPointRetentionDays", "7 to 365"},
		{"no budget", func(a *Account, e []ParityConfig) { e[2].Scale.MonthlyBudgetUSD = 0 }, "dev", "Scale.MonthlyBudgetUSD", "every environment has a budget"},
		{"off-hours in production", func(a *Account, e []ParityConfig) {
			e[0].Scale.OffHours = &OffHours{Start: "07:00", Stop: "20:00", Tiers: []string{TierAI}}
		}, "production", "Scale.OffHours", "stopped on a schedule"},
		{"off-hours backwards", func(a *Account, e []ParityConfig) { e[2].Scale.OffHours.Start = "21:00" }, "dev", "Scale.OffHours", "not before stop"},
		{"off-hours past midnight", func(a *Account, e []ParityConfig) { e[2].Scale.OffHours.Stop = "23:45" }, "dev", "Scale.OffHours", "after 23:00"},
		{"off-hours of no tier", func(a *Account, e []ParityConfig) { e[1].Scale.OffHours.Tiers = []string{"gpu"} }, "staging", "Scale.OffHours.Tiers[0]", `"gpu" is not a tier`},
		{"patch window while stopped", func(a *Account, e []ParityConfig) {
			a.PatchWindows["staging"] = "SAT 10:00"
			e[1].Identity.PatchWindow = "SAT 10:00"
		}, "staging", "Identity.PatchWindow", "stopped servers are not patched"},
		{"patch window running past stop", func(a *Account, e []ParityConfig) { e[2].Scale.PatchWindowHours = 12 }, "dev", "Identity.PatchWindow", "outside the servers' working hours"},
		{"staging patches with production", func(a *Account, e []ParityConfig) {
			a.PatchWindows["staging"] = "SUN 03:00"
			e[1].Identity.PatchWindow = "SUN 03:00"
			e[1].Scale.OffHours = nil
		}, "staging", "Identity.PatchWindow", "same time as production"},
		{"patch window in words", func(a *Account, e []ParityConfig) {
			a.PatchWindows["dev"] = "tuesday 10am"
			e[2].Identity.PatchWindow = "tuesday 10am"
		}, "dev", "Identity.PatchWindow", `not "<DAY> <HH:MM>"`},
		{"one-hour patch window", func(a *Account, e []ParityConfig) { e[0].Scale.PatchWindowHours = 1 }, "production", "Scale.PatchWindowHours", "2 to 24"},
		{"no such time zone", func(a *Account, e []ParityConfig) { a.Timezone = "Europe/Frankfurt" }, "account", "Account.Timezone", "not an IANA time zone"},
		{"cost center with a comma", func(a *Account, e []ParityConfig) { a.CostCenter = "platform,ai" }, "account", "Account.CostCenter", "not a cost-allocation tag value"},
		{"backup schedule in words", func(a *Account, e []ParityConfig) { e[2].Backup.Schedule = "daily" }, "dev", "Backup.Schedule", "not an AWS cron expression"},
		{"backup completes before it starts", func(a *Account, e []ParityConfig) { e[0].Backup.CompletionWindowMinutes = 90 }, "production", "Backup.CompletionWindowMinutes", "at least 60"},
	}
	if len(cases) < 8 {
		t.Fatal("fewer than 8 rejected configurations: the table lost its cases")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := DefaultAccount()
			a.AlertEmails = map[string][]string{"staging": {"a@b.example"}}
			envs := All(a)
			c.mutate(&a, envs)
			err := Validate(a, envs)
			if err == nil {
				t.Fatal("accepted an invalid configuration")
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("want Errors, got %T", err)
			}
			for _, e := range errs {
				if e.Env == c.env && e.Field == c.field && strings.Contains(e.Error(), c.wantInMsg) {
					if e.Fix == "" {
						t.Errorf("%s: no fix given", e.Field)
					}
					return
				}
			}
			t.Fatalf("no error for %s %s containing %q; got:\n%v", c.env, c.field, c.wantInMsg, err)
		})
	}
}

// TestStagingCannotChangeNonScaleFields changes, one at a time, every field
// of Staging() outside Identity, Kind and Scale, and expects Validate to
// reject it naming that field. The API has no other way to make staging:
// Staging() is Production().Derive(identity, scale).
func TestStagingCannotChangeNonScaleFields(t *testing.T) {
	a := DefaultAccount()
	fields := 0
	base := Staging(a)
	for _, path := range leafPaths(reflect.TypeOf(base), "") {
		top := strings.SplitN(path, ".", 2)[0]
		if top == "Identity" || top == "Kind" || top == "Scale" {
			continue
		}
		fields++
		t.Run(path, func(t *testing.T) {
			envs := All(a)
			staging := &envs[1]
			mutateLeaf(t, reflect.ValueOf(staging).Elem(), path)
			err := Validate(a, envs)
			if err == nil {
				t.Fatalf("staging with a changed %s was accepted", path)
			}
			if !strings.Contains(err.Error(), "staging: "+path+": differs from production") {
				t.Fatalf("error does not name %s:\n%v", path, err)
			}
		})
	}
	if fields < 6 {
		t.Fatalf("only %d non-scale fields found", fields)
	}
}

// TestScaleAndIdentityMayDiffer: the fields staging is allowed to change do
// not trip the parity check.
func TestScaleAndIdentityMayDiffer(t *testing.T) {
	a := DefaultAccount()
	if d := ParityDiff(Production(a), Staging(a)); len(d) != 0 {
		t.Fatalf("Staging() differs outside Scale: %+v", d)
	}
	if reflect.DeepEqual(Staging(a).Scale, Production(a).Scale) {
		t.Fatal("staging should run at a smaller scale than production")
	}
}

// TestDeriveSharesNothing: changing the derived environment's slices cannot
// change the reference.
func TestDeriveSharesNothing(t *testing.T) {
	p := Production(DefaultAccount())
	s := p.Derive(p.Identity, p.Scale)
	s.Network.InterfaceEndpoints[0] = "changed"
	s.Network.ZoneIDs[0] = "changed"
	s.Servers[TierOdoo] = ServerSettings{InstanceType: "changed"}
	s.Scale.Servers[TierOdoo] = 99
	s.Tiers[0].Route.Port = 1
	s.Tiers[0].Reaches[0] = "changed"
	if p.Network.InterfaceEndpoints[0] == "changed" || p.Network.ZoneIDs[0] == "changed" ||
		p.Servers[TierOdoo].InstanceType == "changed" || p.Scale.Servers[TierOdoo] == 99 ||
		p.Tiers[0].Route.Port == 1 || p.Tiers[0].Reaches[0] == "changed" {
		t.Fatal("Derive shares a slice, map or pointer with the reference")
	}
}

func TestDevIsASandbox(t *testing.T) {
	a := DefaultAccount()
	d := Dev(a)
	if d.Kind != Sandbox {
		t.Fatalf("dev kind = %s", d.Kind)
	}
	if len(ParityDiff(Production(a), d)) == 0 {
		t.Fatal("dev is documented to override instance types")
	}
}

func leafPaths(t reflect.Type, prefix string) []string {
	if t.Kind() != reflect.Struct {
		return []string{prefix}
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		p := t.Field(i).Name
		if prefix != "" {
			p = prefix + "." + p
		}
		out = append(out, leafPaths(t.Field(i).Type, p)...)
	}
	return out
}

func mutateLeaf(t *testing.T, v reflect.Value, path string) {
	for _, name := range strings.Split(path, ".") {
		v = v.FieldByName(name)
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Int:
		v.SetInt(v.Int() + 1)
	case reflect.Float64:
		v.SetFloat(v.Float() + 0.5)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Slice:
		v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for _, k := range v.MapKeys() {
			m.SetMapIndex(k, v.MapIndex(k))
		}
		m.SetMapIndex(reflect.ValueOf("extra"), reflect.Zero(v.Type().Elem()))
		v.Set(m)
	default:
		t.Fatalf("cannot mutate %s of kind %s: extend mutateLeaf", path, v.Kind())
	}
}

func TestFind(t *testing.T) {
	envs := All(DefaultAccount())
	if e, err := Find(envs, "staging"); err != nil || e.Identity.Name != "staging" {
		t.Fatalf("Find(staging) = %v, %v", e, err)
	}
	if _, err := Find(envs, "qa"); err == nil || !strings.Contains(err.Error(), "production, staging, dev") {
		t.Fatalf("Find(qa) error = %v", err)
	}
}

// renameTier renames a tier everywhere the configuration names it (its
// row, its settings, its count), so that only the name is wrong.
func renameTier(e *ParityConfig, from, to string) {
	for i := range e.Tiers {
		if e.Tiers[i].Name == from {
			e.Tiers[i].Name = to
		}
	}
	if s, ok := e.Servers[from]; ok {
		e.Servers[to] = s
		delete(e.Servers, from)
	}
	if n, ok := e.Scale.Servers[from]; ok {
		e.Scale.Servers[to] = n
		delete(e.Scale.Servers, from)
	}
}

// TestImagesHaveAUser: an image of the registry that no tier pulls is
// refused (it would be built, scanned and pushed for nothing).
func TestImagesHaveAUser(t *testing.T) {
	saved := Images
	t.Cleanup(func() { Images = saved })
	Images = append(slices.Clone(saved), "odoo")
	a := DefaultAccount()
	err := Validate(a, All(a))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Field != "environments.Images[1]" || !strings.Contains(errs[0].Problem, "pulled by no tier") {
		t.Fatalf("an image no tier pulls: %v", err)
	}
}

// TestCountDefaultsToOne: a tier the environment names no count for runs
// one server; a fixed count is the count.
func TestCountDefaultsToOne(t *testing.T) {
	a := DefaultAccount()
	dev := Dev(a)
	delete(dev.Scale.Servers, TierN8nWorker)
	worker, _ := dev.Tier(TierN8nWorker)
	main, _ := dev.Tier(TierN8nMain)
	if n := dev.Count(worker); n != 1 {
		t.Errorf("count without an entry = %d, want 1", n)
	}
	if n := dev.Count(main); n != main.FixedCount {
		t.Errorf("fixed count = %d, want %d", n, main.FixedCount)
	}
	envs := All(a)
	envs[2] = dev
	if err := Validate(a, envs); err != nil {
		t.Errorf("a tier without a count entry is valid (it runs one): %v", err)
	}
}
