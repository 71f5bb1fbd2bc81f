package environments

// Production returns the reference environment. Every setting that says
// *what* runs is decided here, once, for production and staging alike.
func Production(a Account) ParityConfig {
	return ParityConfig{
		Identity: NewIdentity("production", "10.10.0.0/16", a.Domain),
		Kind:     Reference,
		Scale: Scale{
			AZCount:            3,
			NATGatewayPerAZ:    true,
			OdooInstances:      2,
			N8nWorkers:         2,
			AIServers:          2,
			LogRetentionDays:   365,
			DeletionProtection: true,
		},
		Region: a.PrimaryRegion,
		Network: NetworkSettings{
			FlowLogTrafficType: "ALL",
			InterfaceEndpoints: []string{"ssm", "ssmmessages", "ec2messages"},
		},
		Odoo: OdooSettings{InstanceType: "m6i.xlarge"},
		N8n: N8nSettings{
			MainInstanceType:   "m6i.large",
			WorkerInstanceType: "m6i.large",
		},
		// g5.xlarge: one NVIDIA A10G with 24 GB, the preferred size for
		// Flux LoRA in bf16.
		AI: AISettings{InstanceType: "g5.xlarge"},
	}
}

// Staging returns production with only its identity and scale replaced:
// same region, instance types, versions and rules, at a smaller scale.
func Staging(a Account) ParityConfig {
	return Production(a).Derive(
		NewIdentity("staging", "10.20.0.0/16", a.Domain),
		Scale{
			AZCount:            2,
			NATGatewayPerAZ:    false,
			OdooInstances:      1,
			N8nWorkers:         1,
			AIServers:          1,
			LogRetentionDays:   30,
			DeletionProtection: false,
		},
	)
}

// Dev returns the development sandbox. It starts from production and then
// overrides, on purpose and only here:
//   - Region: Account.DevRegion;
//   - instance types: burstable t3 servers and a 16 GB g4dn GPU (enough to
//     load Flux with CPU offload, not to serve it at production speed).
//
// Dev is not a parity environment: nothing that passes in dev proves
// anything about production. Staging does.
func Dev(a Account) ParityConfig {
	d := Production(a).Derive(
		NewIdentity("dev", "10.30.0.0/16", a.Domain),
		Scale{
			AZCount:            2,
			NATGatewayPerAZ:    false,
			OdooInstances:      1,
			N8nWorkers:         1,
			AIServers:          1,
			LogRetentionDays:   14,
			DeletionProtection: false,
		},
	)
	d.Kind = Sandbox
	d.Region = a.DevRegion
	d.Odoo.InstanceType = "t3.large"
	d.N8n.MainInstanceType = "t3.medium"
	d.N8n.WorkerInstanceType = "t3.medium"
	d.AI.InstanceType = "g4dn.xlarge"
	return d
}

// All returns every environment of the account, production first.
func All(a Account) []ParityConfig {
	return []ParityConfig{Production(a), Staging(a), Dev(a)}
}
