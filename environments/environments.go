package environments

// Production returns the reference environment. Every setting that says
// *what* runs is decided here, once, for production and staging alike.
func Production(a Account) ParityConfig {
	return ParityConfig{
		Identity: NewIdentity("production", "10.10.0.0/16", a),
		Kind:     Reference,
		Scale: Scale{
			AZCount:            3,
			NATGatewayPerAZ:    true,
			Servers:            map[string]int{TierOdoo: 2, TierN8nWorker: 2, TierAI: 2}, // the others: 1
			LogRetentionDays:   365,
			DeletionProtection: true,

			DatabaseAllocatedGB:    100,
			DatabaseMaxAllocatedGB: 500,
			DatabaseMultiAZ:        true,
			// No read replica: RDS cannot create one of an instance whose
			// master password it manages in Secrets Manager (Validate).
			DatabaseReplicas:    0,
			BackupRetentionDays: 14,
			FinalSnapshot:       true,

			CacheNodes:                 2,
			CacheMultiAZ:               true,
			CacheSnapshotRetentionDays: 7,

			BackupBucketRetentionDays: 365,
			ModelVolumeGB:             500,

			RecoveryPointRetentionDays: 35,
			BackupCopy:                 true,
			BackupVaultLock:            true,
			// About 1.35 × `go run . cost`, which leaves usage out (NAT and
			// S3 traffic, stored files, requests): each environment alike.
			MonthlyBudgetUSD: 5000,
			PatchWindowHours: 4,
		},
		Region: a.PrimaryRegion,
		Network: NetworkSettings{
			FlowLogTrafficType: "ALL",
			InterfaceEndpoints: []string{"ssm", "ssmmessages", "ec2messages"},
			ZoneIDs:            append([]string(nil), a.PrimaryZoneIDs...),
		},
		Tiers: DefaultTiers(),
		// Production runs every tier's Instance: no overrides.
		Servers: map[string]ServerSettings{},
		Database: DatabaseSettings{
			EngineVersion:                    "16",
			InstanceClass:                    "db.r6g.large",
			MasterUsername:                   "dbadmin",
			SlowStatementMs:                  500,
			MonitoringIntervalSeconds:        60,
			PerformanceInsightsRetentionDays: 7,
			BackupWindow:                     "02:00-03:00",
			MaintenanceWindow:                "sun:03:30-sun:04:30",
		},
		Cache: CacheSettings{
			EngineVersion:     "7.1",
			NodeType:          "cache.m6g.large",
			SnapshotWindow:    "01:00-02:00",
			MaintenanceWindow: "sun:04:30-sun:05:30",
		},
		Storage: StorageSettings{
			EFSTransitionToIA:        "AFTER_30_DAYS",
			BackupTransitionToIADays: 30,
		},
		Compute: ComputeSettings{
			AMIOwner:       "099720109477",
			AMINamePattern: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*",
		},
		Edge: EdgeSettings{
			TLSPolicy:          "ELBSecurityPolicy-TLS13-1-2-2021-06",
			IdleTimeoutSeconds: 120,
			WAF:                true,
			WAFRateLimit:       2000,
			WAFLoginRateLimit:  100,
			// The first week of real traffic counts what the core rule set
			// would block; docs/runbooks/waf-rollout.md switches to block.
			WAFMode: "count",
		},
		Models: ModelSettings{
			BaseModel: "black-forest-labs/FLUX.1-dev",
			// The cheapest bf16 GPU with the 32 GiB of RAM quantizing
			// needs (app/memory.py quantize_host_gib: 26.2 GiB).
			Quantizer: ServerSettings{InstanceType: "g6.2xlarge", RootVolumeGB: 150},
		},
		Backup: BackupSettings{
			// After RDS's backup window (02:00–03:00) and the Odoo dump
			// (ansible odoo_backup_on_calendar).
			Schedule:                "cron(0 4 * * ? *)",
			StartWindowMinutes:      60,
			CompletionWindowMinutes: 480,
		},
		Alarms: AlarmSettings{
			PeriodSeconds:            60,
			EvaluationPeriods:        5,
			ELB5xxCount:              10,
			Target5xxCount:           20,
			TargetResponseP95Seconds: 3,
			DatabaseCPUPercent:       80,
			DatabaseFreeStorageGB:    10,
			DatabaseFreeMemoryMB:     512,
			DatabaseConnections:      400,
			ReplicaLagSeconds:        60,
			CacheCPUPercent:          75,
			CacheMemoryPercent:       80,
			ServerCPUPercent:         85,
			GPUUtilizationPercent:    97,
			GPUMemoryPercent:         95,
			FilestoreIOLimitPercent:  90,
		},
	}
}

// Staging returns production with only its identity and scale replaced:
// same region, instance types, versions and rules, at a smaller scale.
func Staging(a Account) ParityConfig {
	return Production(a).Derive(
		NewIdentity("staging", "10.20.0.0/16", a),
		Scale{
			AZCount:            2,
			NATGatewayPerAZ:    false,
			Servers:            map[string]int{TierOdoo: 1, TierN8nWorker: 1, TierAI: 1},
			LogRetentionDays:   30,
			DeletionProtection: false,

			DatabaseAllocatedGB:    50,
			DatabaseMaxAllocatedGB: 200,
			DatabaseMultiAZ:        false,
			DatabaseReplicas:       0,
			BackupRetentionDays:    7,
			FinalSnapshot:          true,

			CacheNodes:                 1,
			CacheMultiAZ:               false,
			CacheSnapshotRetentionDays: 1,

			BackupBucketRetentionDays: 30,
			ModelVolumeGB:             200,

			RecoveryPointRetentionDays: 14,
			MonthlyBudgetUSD:           1700,
			// Staging's GPU server runs in working hours only.
			OffHours:         &OffHours{Start: "07:00", Stop: "20:00", Tiers: []string{TierAI}},
			PatchWindowHours: 2,
		},
	)
}

// Dev returns the development sandbox. It starts from production and then
// overrides, on purpose and only here:
//   - Region: Account.DevRegion;
//   - instance types: burstable t3 servers, a t4g database and cache, and a
//     g6.xlarge GPU (NVIDIA L4, 24 GB: the same 4-bit memory plan as
//     staging and production's A10G, slower; the cheapest GPU that runs
//     FLUX.1-dev at all — a 16 GB T4 cannot).
//
// Dev is not a parity environment: nothing that passes in dev proves
// anything about production. Staging does.
func Dev(a Account) ParityConfig {
	d := Production(a).Derive(
		NewIdentity("dev", "10.30.0.0/16", a),
		Scale{
			AZCount:            2,
			NATGatewayPerAZ:    false,
			Servers:            map[string]int{TierOdoo: 1, TierN8nWorker: 1, TierAI: 1},
			LogRetentionDays:   14,
			DeletionProtection: false,

			DatabaseAllocatedGB:    20,
			DatabaseMaxAllocatedGB: 50,
			DatabaseMultiAZ:        false,
			DatabaseReplicas:       0,
			BackupRetentionDays:    1,
			FinalSnapshot:          false,

			CacheNodes:                 1,
			CacheMultiAZ:               false,
			CacheSnapshotRetentionDays: 0,

			BackupBucketRetentionDays: 30,
			ModelVolumeGB:             100,

			RecoveryPointRetentionDays: 7,
			MonthlyBudgetUSD:           850,
			// Every tier, the GPU first (OffHours.Tiers' default).
			OffHours:         &OffHours{Start: "07:00", Stop: "20:00"},
			PatchWindowHours: 2,
		},
	)
	d.Kind = Sandbox
	d.Region = a.DevRegion
	d.Network.ZoneIDs = append([]string(nil), a.DevZoneIDs...)
	// Smaller instance types, the same root volumes.
	d.Servers = map[string]ServerSettings{}
	for name, typ := range map[string]string{TierOdoo: "t3.large", TierN8nMain: "t3.medium", TierN8nWorker: "t3.medium", TierAI: "g6.xlarge"} {
		t, _ := d.Tier(name)
		d.Servers[name] = ServerSettings{InstanceType: typ, RootVolumeGB: t.Instance.RootVolumeGB}
	}
	d.Database.InstanceClass = "db.t4g.medium"
	d.Cache.NodeType = "cache.t4g.small"
	return d
}

// All returns every environment of the account, production first.
func All(a Account) []ParityConfig {
	return []ParityConfig{Production(a), Staging(a), Dev(a)}
}
