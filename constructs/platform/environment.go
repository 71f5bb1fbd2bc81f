package platform

import (
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/aiserver"
	"github.com/influencegen/infrastructure/constructs/bucket"
	"github.com/influencegen/infrastructure/constructs/cache"
	"github.com/influencegen/infrastructure/constructs/compute"
	"github.com/influencegen/infrastructure/constructs/database"
	"github.com/influencegen/infrastructure/constructs/edge"
	"github.com/influencegen/infrastructure/constructs/encryption"
	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/filestore"
	"github.com/influencegen/infrastructure/constructs/n8n"
	"github.com/influencegen/infrastructure/constructs/network"
	"github.com/influencegen/infrastructure/constructs/observability"
	"github.com/influencegen/infrastructure/constructs/odoo"
	"github.com/influencegen/infrastructure/constructs/secrets"
	"github.com/influencegen/infrastructure/environments"
)

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
	// ModelBucket holds Flux weights and LoRA adapters; BackupBucket holds
	// Odoo database dumps and filestore archives; TransferBucket carries
	// Ansible's files to the servers over Session Manager (kept one day).
	ModelBucket, BackupBucket, TransferBucket bucket.Bucket
	// Edge is the internet-facing load balancer.
	Edge *edge.Edge
	// Odoo, N8n and AI are the server tiers.
	Odoo *odoo.Odoo
	N8n  *n8n.N8n
	AI   *aiserver.AIServer
	// Observability is the alarm topic, log groups, alarms and dashboard.
	Observability *observability.Observability

	ecrRegistry string
}

// NewEnvironmentStack builds the stack of one environment, with its state at
// <env>/terraform.tfstate in the state bucket.
func NewEnvironmentStack(scope constructs.Construct, a environments.Account, cfg environments.ParityConfig) *EnvironmentStack {
	name := cfg.Identity.Name
	stack := stackBase(scope, cfg.StackName(), cfg.Region, name, a)
	s3Backend(stack, a, cfg.Identity.StateKey)
	info := envinfo.New(stack, a.Project, name, cfg.Region)
	sc := cfg.Scale
	e := &EnvironmentStack{Stack: stack, Config: cfg}

	e.Keys = encryption.New(stack, "kms", encryption.Props{Info: info, DeletionWindowDays: sc.DeletionWindowDays()})
	e.Network = network.New(stack, "network", network.Props{
		Info:               info,
		CIDR:               cfg.Identity.VPCCIDR,
		AZCount:            sc.AZCount,
		NATGatewayPerAZ:    sc.NATGatewayPerAZ,
		FlowLogTrafficType: cfg.Network.FlowLogTrafficType,
		LogRetentionDays:   sc.LogRetentionDays,
		LogsKeyArn:         e.Keys.Logs.Arn,
		InterfaceEndpoints: cfg.Network.InterfaceEndpoints,
	})
	e.buildDataTier(info)
	e.ecrRegistry = fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com", info.AccountID, a.PrimaryRegion)
	e.buildAppTier(info, a)
	e.wire()
	e.Observability = observability.New(stack, "observability", observability.Props{
		Info:                  info,
		Alarms:                cfg.Alarms,
		AlertEmails:           cfg.Identity.AlertEmails,
		LogsKeyArn:            e.Keys.Logs.Arn,
		LogRetentionDays:      sc.LogRetentionDays,
		LoadBalancerArnSuffix: e.Edge.ArnSuffix,
		TargetGroups:          []edge.TargetGroup{e.Edge.Odoo, e.Edge.OdooWebsocket, e.Edge.N8n},
		DatabaseID:            e.Database.Identifier,
		ReplicaIDs:            e.Database.ReplicaIdentifiers,
		CacheID:               e.Cache.ID,
		CacheNodes:            sc.CacheNodes,
		Servers:               []*compute.Group{e.Odoo.Servers, e.N8n.Main, e.N8n.Workers, e.AI.Servers},
		GPUServers:            e.AI.Servers,
		FilestoreID:           e.Filestore.ID,
	})
	e.outputs()
	return e
}

// buildDataTier creates the secrets, database, cache, filestore and buckets.
func (e *EnvironmentStack) buildDataTier(info envinfo.Info) {
	cfg, sc, stack, net := e.Config, e.Config.Scale, e.Stack, e.Network
	e.Secrets = secrets.New(stack, "secrets", secrets.Props{Info: info, KMSKeyArn: e.Keys.Secrets.Arn, RecoveryWindowDays: sc.DeletionWindowDays()})
	e.Database = database.New(stack, "database", database.Props{
		Info:                info,
		VPCID:               net.VPCID,
		SubnetGroupName:     net.DBSubnetGroupName,
		Settings:            cfg.Database,
		AllocatedGB:         sc.DatabaseAllocatedGB,
		MaxAllocatedGB:      sc.DatabaseMaxAllocatedGB,
		MultiAZ:             sc.DatabaseMultiAZ,
		Replicas:            sc.DatabaseReplicas,
		BackupRetentionDays: sc.BackupRetentionDays,
		DeletionProtection:  sc.DeletionProtection,
		FinalSnapshot:       sc.FinalSnapshot,
		LogRetentionDays:    sc.LogRetentionDays,
		DataKeyArn:          e.Keys.Data.Arn,
		SecretsKeyArn:       e.Keys.Secrets.Arn,
		LogsKeyArn:          e.Keys.Logs.Arn,
	})
	e.Cache = cache.New(stack, "cache", cache.Props{
		Info:                  info,
		VPCID:                 net.VPCID,
		SubnetIDs:             net.DataSubnetIDs,
		Settings:              cfg.Cache,
		Nodes:                 sc.CacheNodes,
		MultiAZ:               sc.CacheMultiAZ,
		SnapshotRetentionDays: sc.CacheSnapshotRetentionDays,
		AuthToken:             e.Secrets.RedisAuth.Value(),
		DataKeyArn:            e.Keys.Data.Arn,
		LogsKeyArn:            e.Keys.Logs.Arn,
		LogRetentionDays:      sc.LogRetentionDays,
	})
	e.Filestore = filestore.New(stack, "filestore", filestore.Props{
		Info:           info,
		VPCID:          net.VPCID,
		SubnetIDs:      net.AppSubnetIDs,
		DataKeyArn:     e.Keys.Data.Arn,
		TransitionToIA: cfg.Storage.EFSTransitionToIA,
	})
	e.ModelBucket = bucket.New(stack, "model-bucket", bucket.Props{
		Name:                  info.Name("models-" + info.AccountID),
		KMSKeyArn:             e.Keys.Data.Arn,
		NoncurrentVersionDays: 30,
		PreventDestroy:        sc.DeletionProtection,
		Tags:                  map[string]string{"Purpose": "Flux weights and LoRA adapters"},
	})
	e.BackupBucket = bucket.New(stack, "backup-bucket", bucket.Props{
		Name:                  info.Name("backups-" + info.AccountID),
		KMSKeyArn:             e.Keys.Data.Arn,
		NoncurrentVersionDays: 30,
		ExpireAfterDays:       sc.BackupBucketRetentionDays,
		TransitionToIADays:    cfg.Storage.BackupTransitionToIADays,
		PreventDestroy:        sc.DeletionProtection,
		Tags:                  map[string]string{"Purpose": "Odoo database dumps and filestore archives"},
	})
	e.TransferBucket = bucket.New(stack, "transfer-bucket", bucket.Props{
		Name:                  info.Name("ansible-" + info.AccountID),
		KMSKeyArn:             e.Keys.Data.Arn,
		NoncurrentVersionDays: 1,
		ExpireAfterDays:       1,
		Tags:                  map[string]string{"Purpose": "Ansible file transfer over Session Manager (community.aws.aws_ssm)"},
	})
}

// buildAppTier creates the load balancer and the Odoo, n8n and GPU servers.
func (e *EnvironmentStack) buildAppTier(info envinfo.Info, a environments.Account) {
	cfg, sc, stack, net := e.Config, e.Config.Scale, e.Stack, e.Network
	ami := compute.AMI(stack, cfg.Compute)
	e.Edge = edge.New(stack, "edge", edge.Props{
		Info:               info,
		VPCID:              net.VPCID,
		PublicSubnetIDs:    net.PublicSubnetIDs,
		Zone:               a.Domain,
		Hostnames:          cfg.Identity.Hostnames,
		Settings:           cfg.Edge,
		DeletionProtection: sc.DeletionProtection,
		LogRetentionDays:   sc.LogRetentionDays,
	})
	place := compute.Placement{
		Info:                  info,
		VPCID:                 net.VPCID,
		SubnetIDs:             net.AppSubnetIDs,
		AMI:                   ami,
		AdminSSHCIDR:          cfg.Compute.AdminSSHCIDR,
		TerminationProtection: sc.DeletionProtection,
		DataKeyArn:            e.Keys.Data.Arn,
	}
	e.Odoo = odoo.New(stack, "odoo", odoo.Props{
		Placement:       place,
		Settings:        cfg.Odoo,
		Count:           sc.OdooInstances,
		SecretsKeyArn:   e.Keys.Secrets.Arn,
		SecretArns:      []string{e.Secrets.OdooAdmin.Arn, e.Secrets.OdooDB.Arn},
		FilestoreArn:    e.Filestore.Arn,
		BackupBucketArn: e.BackupBucket.Arn,
	})
	e.N8n = n8n.New(stack, "n8n", n8n.Props{
		Placement:     place,
		Settings:      cfg.N8n,
		Workers:       sc.N8nWorkers,
		SecretsKeyArn: e.Keys.Secrets.Arn,
		SecretArns: []string{
			e.Secrets.N8nDB.Arn, e.Secrets.N8nEncryptionKey.Arn,
			e.Secrets.RedisAuth.Arn, e.Secrets.N8nRunnerAuth.Arn,
		},
	})
	e.AI = aiserver.New(stack, "ai", aiserver.Props{
		Placement:          place,
		Settings:           cfg.AI,
		Count:              sc.AIServers,
		ModelVolumeGB:      sc.ModelVolumeGB,
		ModelBucketArn:     e.ModelBucket.Arn,
		ImageRepositoryArn: RepositoryArn(info.Partition, a, RepoAIModelServer),
	})
}

// wire is the platform's network policy, in one place: who may reach whom.
// Every rule is between security groups; none is a CIDR list.
func (e *EnvironmentStack) wire() {
	alb, odooSG := e.Edge.SecurityGroup, e.Odoo.SecurityGroup
	odooSG.AllowFrom(alb, edge.OdooPort, "Odoo HTTP from the load balancer")
	odooSG.AllowFrom(alb, edge.OdooWebsocketPort, "Odoo websocket (gevent) from the load balancer")
	e.N8n.MainSecurityGroup.AllowFrom(alb, edge.N8nPort, "n8n editor, API and webhooks from the load balancer")
	e.Edge.Attach(e.Edge.Odoo, e.Odoo.Servers.IDs())
	e.Edge.Attach(e.Edge.OdooWebsocket, e.Odoo.Servers.IDs())
	e.Edge.Attach(e.Edge.N8n, e.N8n.Main.IDs())

	e.Filestore.AllowClient(odooSG, "Odoo")
	e.Database.AllowClient(odooSG, "Odoo")
	e.AI.AllowClient(odooSG, "Odoo")
	for _, sg := range e.N8n.SecurityGroups() {
		e.Database.AllowClient(sg, sg.Name)
		e.Cache.AllowClient(sg, sg.Name)
		e.AI.AllowClient(sg, sg.Name)
	}
}

// outputs declares the stack outputs: the contract Ansible and the scripts
// read (README "Outputs"). Secrets appear as ARNs only, never values.
func (e *EnvironmentStack) outputs() {
	stack, net := e.Stack, e.Network
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
	output(stack, "model_bucket", "S3 bucket with Flux weights and LoRA adapters", e.ModelBucket.Name)
	output(stack, "backup_bucket", "S3 bucket for Odoo database dumps and filestore archives", e.BackupBucket.Name)
	output(stack, "ecr_registry", "ECR registry of the account-wide repositories (shared-stack)", e.ecrRegistry)
	output(stack, "ansible_transfer_bucket", "S3 bucket the Ansible aws_ssm connection stages files in", e.TransferBucket.Name)
	arns := map[string]string{}
	for _, s := range e.Secrets.All() {
		arns[s.Key] = s.Secret.Arn
	}
	output(stack, "secret_arns", "Secrets Manager ARNs by name (values are never output)", arns)

	id := e.Config.Identity
	output(stack, "odoo_url", "Public URL of Odoo", "https://"+id.Hostnames.Odoo)
	output(stack, "n8n_url", "Public URL of n8n (WEBHOOK_URL)", "https://"+id.Hostnames.N8n)
	output(stack, "alb_dns_name", "DNS name of the load balancer", e.Edge.DNSName)
	output(stack, "instance_ids", "Instance IDs by role (Session Manager targets; Ansible inventory)", map[string][]string{
		"odoo":       e.Odoo.Servers.IDs(),
		"n8n_main":   e.N8n.Main.IDs(),
		"n8n_worker": e.N8n.Workers.IDs(),
		"ai":         e.AI.Servers.IDs(),
	})
	var aiIPs []string
	for _, in := range e.AI.Servers.Instances {
		aiIPs = append(aiIPs, in.PrivateIP())
	}
	output(stack, "ai_private_ips", "Private addresses of the GPU servers (port 8000), for Odoo and n8n", aiIPs)
	output(stack, "ai_model_volume_ids", "Model volume of each GPU server, in instance order", e.AI.ModelVolumeIDs)
	output(stack, "alarm_topic_arn", "SNS topic every alarm notifies", e.Observability.TopicArn)
	output(stack, "dashboard_name", "CloudWatch dashboard of the environment's health", e.Observability.DashboardName)
	output(stack, "log_groups", "CloudWatch log groups by role", e.Observability.LogGroups)
	output(stack, "cloudwatch_agent_parameters", "SSM parameters with each role's CloudWatch agent configuration", e.Observability.AgentParameters)
}
