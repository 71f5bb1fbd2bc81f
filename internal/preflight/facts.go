// Package preflight computes, from the configuration, what the deploy
// preflight (scripts/preflight.sh) checks against the AWS account before a
// plan: the account and region, the zones and instance types, the counts
// that consume quotas, the names that must be free. `go run . facts ENV`
// prints it as JSON; the script never restates a number the configuration
// already decides.
package preflight

import (
	"slices"

	"github.com/influencegen/infrastructure/environments"
)

// Facts is what the preflight needs to know about one environment. The JSON
// names are the contract with scripts/preflight_checks.py.
type Facts struct {
	// Environment is the environment name (Identity.Name).
	Environment string `json:"environment"`
	// Kind is reference, parity or sandbox.
	Kind environments.Kind `json:"kind"`
	// Project is Account.Project: the Project tag of every resource.
	Project string `json:"project"`
	// AccountID is Account.ID, the only account the stacks may be applied
	// to. Empty when the configuration disables the guard.
	AccountID string `json:"account_id"`
	// Region is the environment's region.
	Region string `json:"region"`
	// ZoneIDs are the zones the environment's subnets use: the first
	// Scale.AZCount of Network.ZoneIDs.
	ZoneIDs []string `json:"zone_ids"`
	// Tiers are the environment's server tiers, in configuration order.
	Tiers []Tier `json:"tiers"`
	// InstanceTypes are the distinct instance types of the tiers that run
	// at least one server, sorted.
	InstanceTypes []string `json:"instance_types"`
	// RecoverInstanceTypes are the instance types whose system-check alarm
	// carries the EC2 recover action (environments.AutoRecoverySupported),
	// sorted: CloudWatch refuses the alarm if the type does not support it.
	RecoverInstanceTypes []string `json:"recover_instance_types"`
	// DatabaseInstanceClass is the RDS instance class.
	DatabaseInstanceClass string `json:"database_instance_class"`
	// CacheNodeType is the ElastiCache node type.
	CacheNodeType string `json:"cache_node_type"`
	// NATGateways is the number of NAT gateways, each holding one Elastic IP:
	// Scale.AZCount with Scale.NATGatewayPerAZ, otherwise 1.
	NATGateways int `json:"nat_gateways"`
	// ElasticIPs is the number of Elastic IPs the stack allocates (one per
	// NAT gateway).
	ElasticIPs int `json:"elastic_ips"`
	// VPCs is the number of VPCs the stack creates.
	VPCs int `json:"vpcs"`
	// Domain is Account.Domain: the public Route53 zone the stack looks up
	// (it is not created by the stack).
	Domain string `json:"domain"`
	// SecretPrefix is "<project>/<env>/", the prefix of every secret name
	// the stack creates.
	SecretPrefix string `json:"secret_prefix"`
	// DeletionProtection is Scale.DeletionProtection: the environment must
	// never lose data to a preflight suggestion.
	DeletionProtection bool `json:"deletion_protection"`
	// Tags are the default tags that mark the stack's own resources (Project
	// and Environment): resources carrying both are the stack's, and count
	// against no new quota.
	Tags map[string]string `json:"tags"`
	// Models is what scripts/models.sh and the preflight's models check
	// need to know about the environment's models.
	Models Models `json:"models"`
}

// Models describes an environment's model bucket and who fills it.
type Models struct {
	// Bucket is the model bucket, "<project>-<env>-models-<account>" (""
	// without Account.ID: then only the stack outputs know it).
	Bucket string `json:"bucket"`
	// BasePrefix, LoRAsPrefix and StatusPrefix are the bucket's layout
	// (environments.BaseModelsPrefix …).
	BasePrefix   string `json:"base_prefix"`
	LoRAsPrefix  string `json:"loras_prefix"`
	StatusPrefix string `json:"status_prefix"`
	// BaseModel is the Hugging Face repository of the base model.
	BaseModel string `json:"base_model"`
	// GPUInstanceTypes are the instance types of the GPU tiers that run
	// servers, sorted: app/memory.py gives each its memory plan, which a
	// model version must be able to load.
	GPUInstanceTypes []string `json:"gpu_instance_types"`
	// Quantizer is the quantization host's settings and whether
	// Scale.QuantizationHost is set.
	Quantizer Quantizer `json:"quantizer"`
	// Source is the environment model versions are promoted from
	// (Account.ModelSources), "" when it makes its own.
	Source string `json:"source"`
	// TokenSecret is the Hugging Face token secret's name.
	TokenSecret string `json:"token_secret"`
	// LoRAPublisherRole is the role that publishes adapters, by name.
	LoRAPublisherRole string `json:"lora_publisher_role"`
	// PromoterRole is the role that promotes versions into the
	// environment, by name ("" without a Source).
	PromoterRole string `json:"promoter_role"`
}

// Quantizer is the quantization host as the facts give it.
type Quantizer struct {
	// Enabled is Scale.QuantizationHost.
	Enabled bool `json:"enabled"`
	// InstanceType and RootVolumeGB are Models.Quantizer's.
	InstanceType string `json:"instance_type"`
	RootVolumeGB int    `json:"root_volume_gb"`
}

// Tier is one server tier as the preflight sees it.
type Tier struct {
	// Name is the tier name.
	Name string `json:"name"`
	// InstanceType is its servers' EC2 instance type.
	InstanceType string `json:"instance_type"`
	// Count is how many servers it runs (ParityConfig.Count).
	Count int `json:"count"`
	// GPU says the tier needs a GPU instance type.
	GPU bool `json:"gpu"`
	// ZoneIDs are the distinct zones its servers are placed in, in order:
	// server n runs in the subnet n % Scale.AZCount (constructs/compute,
	// Props.Count and Placement), so in zone ZoneIDs[n % AZCount].
	ZoneIDs []string `json:"zone_ids"`
	// RecoverAlarm says its system-check alarms carry the EC2 recover
	// action (environments.AutoRecoverySupported of its instance type).
	RecoverAlarm bool `json:"recover_alarm"`
}

// For returns the facts of environment cfg of account a. cfg must be valid
// (environments.Validate): it indexes Network.ZoneIDs by Scale.AZCount.
func For(a environments.Account, cfg environments.ParityConfig) Facts {
	sc := cfg.Scale
	zones := slices.Clone(cfg.Network.ZoneIDs[:sc.AZCount])
	nat := 1
	if sc.NATGatewayPerAZ {
		nat = sc.AZCount
	}
	f := Facts{
		Environment:           cfg.Identity.Name,
		Kind:                  cfg.Kind,
		Project:               a.Project,
		AccountID:             a.ID,
		Region:                cfg.Region,
		ZoneIDs:               zones,
		Tiers:                 []Tier{},
		InstanceTypes:         []string{},
		RecoverInstanceTypes:  []string{},
		DatabaseInstanceClass: cfg.Database.InstanceClass,
		CacheNodeType:         cfg.Cache.NodeType,
		NATGateways:           nat,
		ElasticIPs:            nat,
		VPCs:                  1,
		Domain:                a.Domain,
		SecretPrefix:          a.Project + "/" + cfg.Identity.Name + "/",
		DeletionProtection:    sc.DeletionProtection,
		Tags:                  map[string]string{"Project": a.Project, "Environment": cfg.Identity.Name},
	}
	for _, t := range cfg.Tiers {
		typ := cfg.ServerSettings(t).InstanceType
		n := cfg.Count(t)
		tier := Tier{
			Name:         t.Name,
			InstanceType: typ,
			Count:        n,
			GPU:          t.GPU,
			ZoneIDs:      []string{},
			RecoverAlarm: n > 0 && environments.AutoRecoverySupported(typ),
		}
		for i := 0; i < n; i++ {
			if z := zones[i%len(zones)]; !slices.Contains(tier.ZoneIDs, z) {
				tier.ZoneIDs = append(tier.ZoneIDs, z)
			}
		}
		f.Tiers = append(f.Tiers, tier)
		if n > 0 && !slices.Contains(f.InstanceTypes, typ) {
			f.InstanceTypes = append(f.InstanceTypes, typ)
		}
		if tier.RecoverAlarm && !slices.Contains(f.RecoverInstanceTypes, typ) {
			f.RecoverInstanceTypes = append(f.RecoverInstanceTypes, typ)
		}
	}
	f.Models = modelFacts(a, cfg)
	if sc.QuantizationHost {
		// It draws on the same vCPU quota and needs its type in its zone:
		// server 1 runs in the first subnet (constructs/compute).
		q := cfg.Models.Quantizer.InstanceType
		f.Tiers = append(f.Tiers, Tier{Name: environments.QuantizerRole, InstanceType: q, Count: 1, GPU: true, ZoneIDs: zones[:1]})
		if !slices.Contains(f.InstanceTypes, q) {
			f.InstanceTypes = append(f.InstanceTypes, q)
		}
	}
	slices.Sort(f.InstanceTypes)
	slices.Sort(f.RecoverInstanceTypes)
	return f
}

// modelFacts are the environment's model facts; names follow
// constructs/models (BucketName, LoRAPublisherName, PromoterName), which a
// test holds them to.
func modelFacts(a environments.Account, cfg environments.ParityConfig) Models {
	env := cfg.Identity.Name
	m := Models{
		BasePrefix:        environments.BaseModelsPrefix,
		LoRAsPrefix:       environments.LoRAsPrefix,
		StatusPrefix:      environments.ModelStatusPrefix,
		BaseModel:         cfg.Models.BaseModel,
		GPUInstanceTypes:  []string{},
		Source:            a.ModelSource(env),
		TokenSecret:       a.Project + "/" + env + "/" + environments.HuggingFaceTokenSecret,
		LoRAPublisherRole: a.Project + "-" + env + "-lora-publisher",
		Quantizer: Quantizer{
			Enabled:      cfg.Scale.QuantizationHost,
			InstanceType: cfg.Models.Quantizer.InstanceType,
			RootVolumeGB: cfg.Models.Quantizer.RootVolumeGB,
		},
	}
	if a.ID != "" {
		m.Bucket = a.Project + "-" + env + "-models-" + a.ID
	}
	if m.Source != "" {
		m.PromoterRole = a.Project + "-promote-models-to-" + env
	}
	for _, t := range cfg.Tiers {
		if typ := cfg.ServerSettings(t).InstanceType; t.GPU && cfg.Count(t) > 0 && !slices.Contains(m.GPUInstanceTypes, typ) {
			m.GPUInstanceTypes = append(m.GPUInstanceTypes, typ)
		}
	}
	slices.Sort(m.GPUInstanceTypes)
	return m
}
