package platform

import (
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/aiserver"
	"github.com/influencegen/infrastructure/constructs/backup"
	"github.com/influencegen/infrastructure/constructs/bucket"
	"github.com/influencegen/infrastructure/constructs/budget"
	"github.com/influencegen/infrastructure/constructs/cache"
	"github.com/influencegen/infrastructure/constructs/compute"
	"github.com/influencegen/infrastructure/constructs/database"
	"github.com/influencegen/infrastructure/constructs/edge"
	"github.com/influencegen/infrastructure/constructs/encryption"
	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/filestore"
	"github.com/influencegen/infrastructure/constructs/models"
	"github.com/influencegen/infrastructure/constructs/network"
	"github.com/influencegen/infrastructure/constructs/observability"
	"github.com/influencegen/infrastructure/constructs/offhours"
	"github.com/influencegen/infrastructure/constructs/patching"
	"github.com/influencegen/infrastructure/constructs/policy"
	"github.com/influencegen/infrastructure/constructs/registry"
	"github.com/influencegen/infrastructure/constructs/secrets"
	"github.com/influencegen/infrastructure/environments"
)

// OdooUID is the POSIX user and group every Odoo server acts as on the EFS
// filestore, through its access point. The odoo_setup role creates the
// odoo user with exactly this uid and gid (odoo_uid, odoo_gid; a test
// keeps them equal).
const OdooUID = 8069

// EnvironmentStack is the stack of one environment, "<env>-stack".
type EnvironmentStack struct {
	// Stack is the cdktf stack.
	Stack cdktf.TerraformStack
	// Config is the environment it was built from.
	Config environments.ParityConfig
	// Keys are the environment's KMS keys.
	Keys encryption.Keys
	// Network is the environment's VPC.
	Network *network.Network
	// Secrets are the generated application secrets.
	Secrets *secrets.Secrets
	// Database is RDS PostgreSQL.
	Database *database.Database
	// Cache is the Redis replication group for n8n queue mode.
	Cache *cache.Cache
	// Filestore is the EFS file system for Odoo's data_dir.
	Filestore *filestore.Filestore
	// Buckets are the buckets tiers may be granted, by name
	// (environments.Buckets): "models" holds Flux weights and LoRA
	// adapters, "backups" Odoo database dumps and filestore archives.
	Buckets map[string]bucket.Bucket
	// TransferBucket carries Ansible's files to the servers over Session
	// Manager (kept one day).
	TransferBucket bucket.Bucket
	// Edge is the internet-facing load balancer.
	Edge *edge.Edge
	// Tiers are the server tiers, by name, as the tier table declares them.
	Tiers map[string]*TierServers
	// ModelVolumeIDs are the GPU servers' model volumes, in server order.
	ModelVolumeIDs []string
	// Observability is the alarm topic, log groups, alarms and dashboard.
	Observability *observability.Observability
	// Backup is the AWS Backup vault, plan and selection.
	Backup *backup.Backup
	// BudgetName is the environment's AWS Budget.
	BudgetName string
	// OffHours are the schedules that stop and start servers outside
	// working hours, in the order they fire (none without Scale.OffHours).
	OffHours []offhours.Schedule
	// Patching is the weekly patch window.
	Patching patching.Window
	// LoRAPublisherArn is the role that publishes and withdraws LoRA
	// adapters (constructs/models).
	LoRAPublisherArn string
	// Quantizer is the quantization host, nil without
	// Scale.QuantizationHost.
	Quantizer *compute.Group

	info        envinfo.Info
	account     environments.Account
	ecrRegistry string
	order       []string // tier names in table order
	place       compute.Placement
}

// TierServers is one tier, built.
type TierServers struct {
	// Spec is the tier's row in the tier table.
	Spec environments.Tier
	// SecurityGroup is its servers' group.
	SecurityGroup *network.SecurityGroup
	// Servers are its servers.
	Servers *compute.Group
}

// tierExtensions add to a tier what its row cannot say, keyed by tier
// name: its own construct package.
var tierExtensions = map[string]func(e *EnvironmentStack, t *TierServers){
	environments.TierAI: func(e *EnvironmentStack, t *TierServers) {
		sc := e.Config.Scale
		e.ModelVolumeIDs = aiserver.AddModelVolumes(e.Stack, t.Spec.Name+"-volumes", aiserver.Props{
			Info:           e.info,
			Servers:        t.Servers,
			Network:        e.Network,
			VolumeGB:       sc.ModelVolumeGB,
			DataKey:        e.Keys.Data,
			FinalSnapshot:  sc.DeletionProtection,
			PreventDestroy: sc.DeletionProtection,
		})
	},
}

// NewEnvironmentStack builds the stack of one environment, with its state at
// <env>/terraform.tfstate in the state bucket.
func NewEnvironmentStack(scope constructs.Construct, a environments.Account, cfg environments.ParityConfig) *EnvironmentStack {
	name := cfg.Identity.Name
	stack := stackBase(scope, cfg.StackName(), cfg.Region, name, a)
	s3Backend(stack, a, cfg.Identity.StateKey)
	info := envinfo.New(stack, a.Project, name, cfg.Region)
	sc := cfg.Scale
	e := &EnvironmentStack{Stack: stack, Config: cfg, info: info, account: a, Tiers: map[string]*TierServers{}}

	e.Keys = encryption.New(stack, "kms", encryption.Props{Info: info, DeletionWindowDays: sc.DeletionWindowDays(), PreventDestroy: sc.DeletionProtection})
	e.Network = network.New(stack, "network", network.Props{
		Info:               info,
		CIDR:               cfg.Identity.VPCCIDR,
		AZCount:            sc.AZCount,
		ZoneIDs:            cfg.Network.ZoneIDs,
		NATGatewayPerAZ:    sc.NATGatewayPerAZ,
		FlowLogTrafficType: cfg.Network.FlowLogTrafficType,
		LogRetentionDays:   sc.LogRetentionDays,
		LogsKey:            e.Keys.Logs,
		InterfaceEndpoints: cfg.Network.InterfaceEndpoints,
	})
	e.buildDataTier()
	e.ecrRegistry = fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com", info.AccountID, a.PrimaryRegion)
	e.buildTiers()
	e.buildModels()
	e.Observability = observability.New(stack, "observability", observability.Props{
		Info:                  info,
		Alarms:                cfg.Alarms,
		AlertEmails:           cfg.Identity.AlertEmails,
		LogsKey:               e.Keys.Logs,
		LogRetentionDays:      sc.LogRetentionDays,
		LoadBalancerArnSuffix: e.Edge.ArnSuffix,
		TargetGroups:          e.Edge.TargetGroups,
		Tiers:                 e.watchedTiers(),
		DatabaseID:            e.Database.Identifier,
		ReplicaIDs:            e.Database.ReplicaIdentifiers,
		CacheID:               e.Cache.ID,
		CacheNodes:            sc.CacheNodes,
		FilestoreID:           e.Filestore.ID,
	})
	e.buildOperations()
	e.outputs()
	return e
}

// BackupCopyProviderAlias is the alias of the AWS provider of
// Account.BackupCopyRegion, declared only with Scale.BackupCopy.
const BackupCopyProviderAlias = "backup_copy"

// buildOperations creates what runs the environment after the first day:
// backups, the budget, the off-hours schedules and the patch window.
func (e *EnvironmentStack) buildOperations() {
	cfg, sc, stack, info := e.Config, e.Config.Scale, e.Stack, e.info
	var copyTo *backup.Copy
	if sc.BackupCopy {
		copyTo = &backup.Copy{
			Provider:           awsProvider(stack, "aws-backup-copy", BackupCopyProviderAlias, e.account.BackupCopyRegion, info.Env, e.account),
			Region:             e.account.BackupCopyRegion,
			DeletionWindowDays: sc.DeletionWindowDays(),
		}
	}
	e.Backup = backup.New(stack, "backup", backup.Props{
		Info:          info,
		Key:           e.Keys.Data,
		Settings:      cfg.Backup,
		RetentionDays: sc.RecoveryPointRetentionDays,
		Copy:          copyTo,
		Lock:          sc.BackupVaultLock,
		Protected:     sc.DeletionProtection,
		AlarmTopicArn: e.Observability.TopicArn,
	})
	e.BudgetName = budget.New(stack, "budget", budget.Props{Info: info, MonthlyUSD: sc.MonthlyBudgetUSD, Emails: cfg.Identity.AlertEmails})

	if o := sc.OffHours; o != nil {
		var tiers []offhours.Tier
		for _, name := range cfg.OffHoursTiers() {
			t := e.Tiers[name]
			tiers = append(tiers, offhours.Tier{
				Name:        name,
				InstanceIDs: t.Servers.IDs(),
				Alarms:      e.Observability.TierAlarms[name],
				Routed:      t.Spec.Route != nil,
			})
		}
		e.OffHours = offhours.New(stack, "offhours", offhours.Props{
			Info:       info,
			Timezone:   e.account.Timezone,
			Hours:      *o,
			Tiers:      tiers,
			EdgeAlarms: e.Observability.EdgeAlarms,
			DataKeyArn: e.Keys.Data.Arn,
		})
	}

	e.Patching = patching.New(stack, "patching", patching.Props{
		Info:             info,
		Schedule:         cfg.Identity.PatchCron(),
		Timezone:         e.account.Timezone,
		Hours:            sc.PatchWindowHours,
		Tiers:            e.patchOrder(),
		LogsKeyArn:       e.Keys.Logs.Arn,
		LogRetentionDays: sc.LogRetentionDays,
	})
}

// patchOrder lists the tiers in the order the patch window takes them:
// the tiers nobody reaches directly first (queue workers), then the ones
// other tiers call, then the routed tiers users see; table order within
// each.
func (e *EnvironmentStack) patchOrder() []patching.Tier {
	rank := func(t environments.Tier) int {
		switch {
		case t.Route != nil:
			return 2
		case t.Port != 0:
			return 1
		}
		return 0
	}
	var out []patching.Tier
	for r := 0; r <= 2; r++ {
		for _, name := range e.order {
			if t := e.Tiers[name]; rank(t.Spec) == r {
				out = append(out, patching.Tier{Name: name})
			}
		}
	}
	return out
}

// buildDataTier creates the secrets, database, cache, filestore and buckets.
func (e *EnvironmentStack) buildDataTier() {
	cfg, sc, stack, net, info := e.Config, e.Config.Scale, e.Stack, e.Network, e.info
	window := 0
	if sc.DeletionProtection {
		window = sc.DeletionWindowDays()
	}
	e.Secrets = secrets.New(stack, "secrets", secrets.Props{
		Info: info, Key: e.Keys.Secrets, Names: environments.SecretNames(cfg.Tiers), Supplied: environments.SuppliedSecrets,
		RecoveryWindowDays: window, PreventDestroy: sc.DeletionProtection,
		// ElastiCache's auth_token has no write-only form in the pinned
		// provider: the one secret in the state (constructs/secrets).
		InState: []string{environments.CacheAuthSecret},
	})
	e.Database = database.New(stack, "database", database.Props{
		Info:                info,
		Network:             net,
		Keys:                e.Keys,
		Settings:            cfg.Database,
		AllocatedGB:         sc.DatabaseAllocatedGB,
		MaxAllocatedGB:      sc.DatabaseMaxAllocatedGB,
		MultiAZ:             sc.DatabaseMultiAZ,
		Replicas:            sc.DatabaseReplicas,
		BackupRetentionDays: sc.BackupRetentionDays,
		DeletionProtection:  sc.DeletionProtection,
		FinalSnapshot:       sc.FinalSnapshot,
		LogRetentionDays:    sc.LogRetentionDays,
	})
	e.Cache = cache.New(stack, "cache", cache.Props{
		Info:                  info,
		Network:               net,
		Keys:                  e.Keys,
		Settings:              cfg.Cache,
		Nodes:                 sc.CacheNodes,
		MultiAZ:               sc.CacheMultiAZ,
		SnapshotRetentionDays: sc.CacheSnapshotRetentionDays,
		AuthToken:             e.Secrets.Get(environments.CacheAuthSecret).Value(),
		LogRetentionDays:      sc.LogRetentionDays,
		PreventDestroy:        sc.DeletionProtection,
	})
	e.Filestore = filestore.New(stack, "filestore", filestore.Props{
		Info:           info,
		Network:        net,
		DataKey:        e.Keys.Data,
		TransitionToIA: cfg.Storage.EFSTransitionToIA,
		OwnerUID:       OdooUID,
		OwnerGID:       OdooUID,
		RootPath:       "/odoo",
		PreventDestroy: sc.DeletionProtection,
	})
	e.Buckets = map[string]bucket.Bucket{
		"models": bucket.New(stack, "model-bucket", bucket.Props{
			Info:                  info,
			Name:                  models.BucketName(info),
			Label:                 models.BucketLabel,
			KMSKeyArn:             e.Keys.Data.Arn,
			NoncurrentVersionDays: 30,
			PreventDestroy:        sc.DeletionProtection,
			Tags:                  map[string]string{"Purpose": "Flux weights and LoRA adapters"},
		}),
		"backups": bucket.New(stack, "backup-bucket", bucket.Props{
			Info:                  info,
			Name:                  info.Name("backups-" + info.AccountID),
			Label:                 "Backups",
			KMSKeyArn:             e.Keys.Data.Arn,
			NoncurrentVersionDays: 30,
			ExpireAfterDays:       sc.BackupBucketRetentionDays,
			TransitionToIADays:    cfg.Storage.BackupTransitionToIADays,
			PreventDestroy:        sc.DeletionProtection,
			Tags:                  map[string]string{"Purpose": "Odoo database dumps and filestore archives"},
		}),
	}
	e.TransferBucket = bucket.New(stack, "transfer-bucket", bucket.Props{
		Info:                  info,
		Name:                  info.Name("ansible-" + info.AccountID),
		Label:                 "Transfer",
		KMSKeyArn:             e.Keys.Data.Arn,
		NoncurrentVersionDays: 1,
		ExpireAfterDays:       1,
		// A day's staging area, never data: destroyed with its environment.
		PreventDestroy: false,
		// Tag values take letters, digits, spaces and _ . : / = + - @ only
		// (S3 refuses the bucket's tags otherwise; apimodel.Rules).
		Tags: map[string]string{"Purpose": "Ansible file transfer over Session Manager: community.aws.aws_ssm"},
	})
}

// buildTiers creates the load balancer and, for every row of the tier
// table, its security group, servers, grants, route and wiring.
func (e *EnvironmentStack) buildTiers() {
	cfg, sc, stack, net, info := e.Config, e.Config.Scale, e.Stack, e.Network, e.info
	var hosts []string
	var waf []edge.WAFRoute
	for _, t := range cfg.Tiers {
		if r := t.Route; r != nil {
			hosts = append(hosts, cfg.Hostname(*r))
			waf = append(waf, edge.WAFRoute{Host: cfg.Hostname(*r), Exceptions: r.WAFExceptions, LoginPaths: r.LoginPaths})
		}
	}
	e.Edge = edge.New(stack, "edge", edge.Props{
		Info:               info,
		Network:            net,
		Zone:               e.account.Domain,
		Hosts:              hosts,
		Settings:           cfg.Edge,
		DeletionProtection: sc.DeletionProtection,
		LogRetentionDays:   sc.LogRetentionDays,
		LogsKey:            e.Keys.Logs,
		WAFRoutes:          waf,
	})
	place := compute.Placement{
		Info:                  info,
		Network:               net,
		ZoneIDs:               cfg.Network.ZoneIDs[:len(net.AppSubnetIDs)],
		AMI:                   compute.AMI(stack, compute.AMISource{ID: cfg.Compute.AMIID, Owner: cfg.Compute.AMIOwner, NamePattern: cfg.Compute.AMINamePattern}),
		AdminSSHCIDR:          cfg.Compute.AdminSSHCIDR,
		TerminationProtection: sc.DeletionProtection,
		DataKey:               e.Keys.Data,
	}
	e.place = place
	for _, spec := range cfg.Tiers {
		settings := cfg.ServerSettings(spec)
		sg := place.SecurityGroup(stack, spec.Name+"-sg", spec.Name, describeTier(spec))
		for _, port := range spec.EgressPorts {
			sg.AllowEgressToCIDR("0.0.0.0/0", "internet", port, fmt.Sprintf("TCP %d out for %s", port, spec.Name))
		}
		props := compute.Props{
			Placement:     place,
			Role:          spec.Name,
			AnsibleGroup:  spec.AnsibleGroup,
			Count:         cfg.Count(spec),
			InstanceType:  settings.InstanceType,
			RootVolumeGB:  settings.RootVolumeGB,
			SecurityGroup: sg,
			Grants:        e.grants(spec),
		}
		if spec.GPU {
			props.OfferedZoneIDs = compute.OfferedZones(stack, spec.Name+"-offerings", settings.InstanceType)
		}
		t := &TierServers{Spec: spec, SecurityGroup: sg, Servers: compute.New(stack, spec.Name, props)}
		if r := spec.Route; r != nil {
			e.Edge.Route(spec.Name, edge.RouteProps{
				Host:          cfg.Hostname(*r),
				Priority:      r.Priority,
				Port:          r.Port,
				HealthPath:    r.HealthPath,
				Sticky:        r.Sticky,
				Servers:       t.Servers,
				SecurityGroup: sg,
			})
		}
		if extend := tierExtensions[spec.Name]; extend != nil {
			extend(e, t)
		}
		e.Tiers[spec.Name] = t
		e.order = append(e.order, spec.Name)
	}
	e.wire()
}

// buildModels creates the LoRA publisher role and, while
// Scale.QuantizationHost asks for it, the quantization host.
func (e *EnvironmentStack) buildModels() {
	c := constructs.NewConstruct(e.Stack, jsii.String("models"))
	e.LoRAPublisherArn = models.NewLoRAPublisher(c, "lora-publisher", e.info, e.Buckets["models"])
	if e.Config.Scale.QuantizationHost {
		e.Quantizer = models.NewQuantizer(c, "quantizer", models.QuantizerProps{
			Placement:          e.place,
			Settings:           e.Config.Models.Quantizer,
			Bucket:             e.Buckets["models"],
			Token:              e.Secrets.Get(environments.HuggingFaceTokenSecret),
			ImageRepositoryArn: RepositoryArn(e.info.Partition, e.account, environments.ModelServerImage),
		})
	}
}

func describeTier(t environments.Tier) string {
	switch {
	case t.Route != nil:
		return fmt.Sprintf("%s servers: %d from the load balancer only", t.Name, t.Route.Port)
	case t.Port != 0:
		return fmt.Sprintf("%s servers: %d from the tiers that reach it only", t.Name, t.Port)
	}
	return t.Name + " servers: no ingress"
}

// grants collects what a tier's servers may use, from the owners of each
// thing: secrets, buckets, the filestore, image repositories.
func (e *EnvironmentStack) grants(t environments.Tier) []policy.Statement {
	var out []policy.Statement
	names := t.SecretNames()
	if slices.Contains(t.Reaches, environments.ReachFilestore) {
		out = append(out, e.Filestore.GrantMount()...)
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, e.Secrets.Get(n).GrantRead()...)
	}
	// One Access per bucket: its statements are named after the bucket.
	access := map[string]*bucket.Access{}
	var order []string
	for _, b := range t.Buckets {
		a := access[b.Bucket]
		if a == nil {
			a = &bucket.Access{}
			access[b.Bucket] = a
			order = append(order, b.Bucket)
		}
		if b.Write {
			a.Write = append(a.Write, b.Prefix)
		} else {
			a.Read = append(a.Read, b.Prefix)
		}
	}
	for _, name := range order {
		out = append(out, e.Buckets[name].Grant(*access[name])...)
	}
	if len(t.Images) > 0 {
		var arns []string
		for _, img := range t.Images {
			arns = append(arns, RepositoryArn(e.info.Partition, e.account, img))
		}
		out = append(out, registry.GrantPull(arns...)...)
	}
	return out
}

// wire is the platform's network policy, from the tier table: who may
// reach whom. Every rule is between security groups; none is a CIDR list.
func (e *EnvironmentStack) wire() {
	for _, name := range e.order {
		t := e.Tiers[name]
		reaches := append([]string(nil), t.Spec.Reaches...)
		if t.Spec.Database != "" {
			reaches = append(reaches, environments.ReachDatabase)
		}
		seen := map[string]bool{}
		for _, r := range reaches {
			if seen[r] {
				continue
			}
			seen[r] = true
			switch r {
			case environments.ReachDatabase:
				e.Database.AllowClient(t.SecurityGroup)
			case environments.ReachCache:
				e.Cache.AllowClient(t.SecurityGroup)
			case environments.ReachFilestore:
				e.Filestore.AllowClient(t.SecurityGroup)
			default:
				target := e.Tiers[r]
				network.Service{SecurityGroup: target.SecurityGroup, Port: target.Spec.Port, Label: r + " API"}.AllowClient(t.SecurityGroup)
			}
		}
	}
}

// watchedTiers lists the tiers for observability, in table order.
func (e *EnvironmentStack) watchedTiers() []observability.Tier {
	var out []observability.Tier
	for _, name := range e.order {
		t := e.Tiers[name]
		out = append(out, observability.Tier{Name: name, GPU: t.Spec.GPU, LogFiles: t.Spec.LogFiles, Servers: t.Servers, InstanceType: e.Config.ServerSettings(t.Spec).InstanceType})
	}
	return out
}

// appDatabase is one application database the app_databases role creates.
type appDatabase struct {
	Name           string `json:"name"`
	Owner          string `json:"owner"`
	PasswordSecret string `json:"password_secret"`
}

// outputs declares the stack outputs: the contract Ansible and the scripts
// read (README "Outputs"). Secrets appear as ARNs only, never values.
func (e *EnvironmentStack) outputs() {
	stack, net, cfg := e.Stack, e.Network, e.Config
	output(stack, "vpc_id", "ID of the environment's VPC", net.VPCID)
	output(stack, "public_subnet_ids", "Public subnets (load balancer, NAT), one per AZ", net.PublicSubnetIDs)
	output(stack, "app_subnet_ids", "Private-app subnets (servers), one per AZ", net.AppSubnetIDs)
	output(stack, "data_subnet_ids", "Private-data subnets (RDS, ElastiCache), one per AZ", net.DataSubnetIDs)
	output(stack, "kms_key_arns", "KMS keys by purpose (data, logs, secrets)", map[string]string{
		"data": e.Keys.Data.Arn, "logs": e.Keys.Logs.Arn, "secrets": e.Keys.Secrets.Arn,
	})
	output(stack, "db_endpoint", "RDS PostgreSQL primary address (port 5432, TLS required)", e.Database.Address)
	output(stack, "db_replica_endpoints", "RDS read replica addresses", e.Database.ReplicaAddresses)
	output(stack, "db_master_secret_arn", "ARN of the RDS-managed master credentials secret", e.Database.MasterSecretArn)
	output(stack, "redis_endpoint", "Redis primary endpoint (port 6379, TLS and AUTH required)", e.Cache.PrimaryEndpoint)
	output(stack, "efs_id", "EFS file system ID of the Odoo filestore", e.Filestore.ID)
	output(stack, "efs_access_point_id", "EFS access point Odoo mounts the filestore through (uid/gid 8069)", e.Filestore.AccessPointID)
	output(stack, "model_bucket", "S3 bucket with Flux weights and LoRA adapters", e.Buckets["models"].Name)
	output(stack, "backup_bucket", "S3 bucket for Odoo database dumps and filestore archives", e.Buckets["backups"].Name)
	output(stack, "ecr_registry", "ECR registry of the account-wide repositories (shared-stack)", e.ecrRegistry)
	output(stack, "ansible_transfer_bucket", "S3 bucket the Ansible aws_ssm connection stages files in", e.TransferBucket.Name)
	arns := map[string]string{}
	for _, s := range e.Secrets.All() {
		arns[s.OutputKey()] = s.Arn
	}
	output(stack, "secret_arns", "Secrets Manager ARNs by name (values are never output)", arns)
	var dbs []appDatabase
	seen := map[string]bool{}
	for _, t := range cfg.Tiers {
		if t.Database != "" && !seen[t.Database] {
			seen[t.Database] = true
			dbs = append(dbs, appDatabase{Name: t.Database, Owner: t.Database, PasswordSecret: secrets.OutputKey(environments.DatabaseSecret(t.Database))})
		}
	}
	output(stack, "app_databases", "Application databases and their owners (the app_databases role creates them); password_secret is a key of secret_arns", dbs)

	urls, ids, groups, services := map[string]string{}, map[string][]string{}, map[string]string{}, map[string][]string{}
	for _, name := range e.order {
		t := e.Tiers[name]
		ids[name] = t.Servers.IDs()
		groups[name] = t.Spec.AnsibleGroup
		if r := t.Spec.Route; r != nil {
			urls[name] = "https://" + cfg.Hostname(*r)
		}
		if t.Spec.Port != 0 {
			for _, in := range t.Servers.Instances {
				services[name] = append(services[name], fmt.Sprintf("http://%s:%d", in.PrivateIP(), t.Spec.Port))
			}
		}
	}
	output(stack, "urls", "Public URL of every routed tier, by tier", urls)
	output(stack, "alb_dns_name", "DNS name of the load balancer", e.Edge.DNSName)
	output(stack, "instance_ids", "Instance IDs by tier (Session Manager targets; Ansible inventory)", ids)
	output(stack, "ansible_groups", "Ansible inventory group of every tier (the servers' AnsibleGroup tag)", groups)
	output(stack, "service_urls", "Private URLs of the tiers other tiers reach (e.g. the GPU model servers on 8000), by tier", services)
	output(stack, "ai_model_volume_ids", "Model volume of each GPU server, in instance order", e.ModelVolumeIDs)
	quantizer := []string{}
	if e.Quantizer != nil {
		quantizer = e.Quantizer.IDs()
	}
	output(stack, "quantizer_instance_ids", "The quantization host while Scale.QuantizationHost is set (scripts/models.sh supply), else empty", quantizer)
	output(stack, "lora_publisher_role_arn", "Role that publishes and withdraws LoRA adapters (scripts/models.sh lora)", e.LoRAPublisherArn)
	output(stack, "alarm_topic_arn", "SNS topic every alarm notifies", e.Observability.TopicArn)
	output(stack, "dashboard_name", "CloudWatch dashboard of the environment's health", e.Observability.DashboardName)
	logGroups := maps.Clone(e.Observability.LogGroups)
	for tier, g := range e.Patching.LogGroups {
		logGroups[tier+"/patching"] = g
	}
	output(stack, "log_groups", "CloudWatch log groups: \"<tier>\" its application logs, \"<tier>/syslog\" its syslog and auth.log, \"<tier>/patching\" its patch runs", logGroups)
	output(stack, "cloudwatch_agent_parameters", "SSM parameters with each tier's CloudWatch agent configuration", e.Observability.AgentParameters)
	output(stack, "backup_vault", "AWS Backup vault of the daily recovery points (docs/runbooks/restore.md)", e.Backup.VaultName)
	output(stack, "backup_copy_vault_arn", "Vault in Account.BackupCopyRegion holding the copies (\"\" without Scale.BackupCopy)", e.Backup.CopyVaultArn)
	output(stack, "backup_role_arn", "Role AWS Backup backs up and restores as (pass it to start-restore-job)", e.Backup.RoleArn)
	output(stack, "budget_name", "AWS Budget of the environment", e.BudgetName)
	output(stack, "patch_window", "SSM maintenance window of the weekly patches (its runs' output: log_groups \"<tier>/patching\")", map[string]string{"name": e.Patching.Name})
	schedules := []string{}
	for _, s := range e.OffHours {
		schedules = append(schedules, s.Name)
	}
	output(stack, "offhours_schedules", "EventBridge Scheduler schedules that stop and start servers outside working hours, in firing order", schedules)
}
