// Package database creates the platform's PostgreSQL on RDS: a primary in
// the private-data subnets, optional Multi-AZ standby and read replicas,
// encrypted with the data key, with RDS-managed master credentials in
// Secrets Manager, TLS enforced, Performance Insights, enhanced monitoring
// and log exports into KMS-encrypted log groups with retention.
package database

import (
	"fmt"
	"strconv"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dbinstance"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dbparametergroup"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrole"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicyattachment"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/encryption"
	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/logs"
	"github.com/influencegen/infrastructure/constructs/network"
	"github.com/influencegen/infrastructure/constructs/policy"
	"github.com/influencegen/infrastructure/environments"
)

// Port is the PostgreSQL port.
const Port = 5432

// Props configures the database.
type Props struct {
	// Info is the environment the database belongs to.
	Info envinfo.Info
	// Network places the database in its private-data subnets (its DB
	// subnet group) and its security group in the VPC.
	Network *network.Network
	// Keys encrypt its storage and Performance Insights (data), the
	// RDS-managed master password (secrets) and its exported logs (logs).
	Keys encryption.Keys
	// Settings are the shared database settings (engine version, class…).
	Settings environments.DatabaseSettings
	// AllocatedGB and MaxAllocatedGB size gp3 storage and its autoscaling.
	AllocatedGB, MaxAllocatedGB int
	// MultiAZ adds a synchronous standby. Default: false.
	MultiAZ bool
	// Replicas is the number of read replicas. Default: 0.
	Replicas int
	// BackupRetentionDays keeps automated backups (1–35).
	BackupRetentionDays int
	// DeletionProtection refuses deletion of the primary and replicas.
	// Default: false.
	DeletionProtection bool
	// FinalSnapshot snapshots the primary when it is destroyed. Default:
	// false.
	FinalSnapshot bool
	// LogRetentionDays is the retention of the exported PostgreSQL logs.
	LogRetentionDays int
}

// Database is what the rest of the platform needs from the database.
type Database struct {
	// Service admits PostgreSQL clients: see AllowClient.
	network.Service
	// Identifier is the primary's RDS identifier.
	Identifier string
	// Address is the primary's DNS name.
	Address string
	// MasterSecretArn is the RDS-managed secret with the master credentials.
	MasterSecretArn string
	// ReplicaIdentifiers and ReplicaAddresses describe the read replicas.
	ReplicaIdentifiers, ReplicaAddresses []string
}

// New creates the database.
func New(scope constructs.Construct, id string, p Props) *Database {
	c := constructs.NewConstruct(scope, jsii.String(id))
	i, s := p.Info, p.Settings
	identifier := i.Name(id)

	sg := network.NewSecurityGroup(c, "sg", network.SecurityGroupProps{
		Info: i, VPCID: p.Network.VPCID, Label: id,
		Description: "RDS PostgreSQL: 5432 from the application security groups only",
	})

	params := []dbparametergroup.DbParameterGroupParameter{
		{Name: jsii.String("rds.force_ssl"), Value: jsii.String("1"), ApplyMethod: jsii.String("pending-reboot")},
		{Name: jsii.String("log_min_duration_statement"), Value: jsii.String(strconv.Itoa(s.SlowStatementMs))},
		{Name: jsii.String("log_connections"), Value: jsii.String("1")},
		{Name: jsii.String("log_disconnections"), Value: jsii.String("1")},
		{Name: jsii.String("log_lock_waits"), Value: jsii.String("1")},
		{Name: jsii.String("log_temp_files"), Value: jsii.String("10240")},
		{Name: jsii.String("log_autovacuum_min_duration"), Value: jsii.String("10000")},
		{Name: jsii.String("shared_preload_libraries"), Value: jsii.String("pg_stat_statements"), ApplyMethod: jsii.String("pending-reboot")},
	}
	// A prefix, not a name: family and description force a replacement
	// (provider internal/service/rds/parameter_group.go), and with
	// create_before_destroy a fixed name would fail "already exists".
	pg := dbparametergroup.NewDbParameterGroup(c, jsii.String("params"), &dbparametergroup.DbParameterGroupConfig{
		NamePrefix:  jsii.String(identifier + "-pg" + s.EngineVersion + "-"),
		Family:      jsii.String("postgres" + s.EngineVersion),
		Description: jsii.String("InfluenceGen " + i.Env + ": TLS only, slow-statement and connection logging"),
		Parameter:   params,
		Tags:        i.Tags(identifier),
		Lifecycle:   &cdktf.TerraformResourceLifecycle{CreateBeforeDestroy: jsii.Bool(true)},
	})

	monitoring := iamrole.NewIamRole(c, jsii.String("monitoring-role"), &iamrole.IamRoleConfig{
		Name:                jsii.String(identifier + "-monitoring"),
		AssumeRolePolicy:    jsii.String(policy.AssumeRole("monitoring.rds.amazonaws.com", i.AccountID)),
		PermissionsBoundary: jsii.String(i.BoundaryArn()),
		Tags:                i.Tags(identifier + "-monitoring"),
	})
	iamrolepolicyattachment.NewIamRolePolicyAttachment(c, jsii.String("monitoring-policy"), &iamrolepolicyattachment.IamRolePolicyAttachmentConfig{
		Role:      monitoring.Name(),
		PolicyArn: jsii.String("arn:" + i.Partition + ":iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"),
	})

	// RDS would create each instance's log groups itself, unencrypted and
	// kept forever; creating them first gives them the logs key and
	// retention.
	exports := []string{"postgresql", "upgrade"}
	logGroupsFor := func(cid, instance string) *[]cdktf.ITerraformDependable {
		var deps []cdktf.ITerraformDependable
		for _, name := range exports {
			lgName := fmt.Sprintf("/aws/rds/instance/%s/%s", instance, name)
			deps = append(deps, logs.NewGroup(c, cid+"-log-"+name, logs.Props{Info: i, Name: lgName, RetentionDays: p.LogRetentionDays, KeyArn: p.Keys.Logs.Arn}))
		}
		return &deps
	}

	common := func(cid string, cfg *dbinstance.DbInstanceConfig) *dbinstance.DbInstanceConfig {
		cfg.InstanceClass = jsii.String(s.InstanceClass)
		cfg.StorageEncrypted = jsii.Bool(true)
		cfg.KmsKeyId = jsii.String(p.Keys.Data.Arn)
		cfg.VpcSecurityGroupIds = jsii.Strings(sg.ID)
		cfg.ParameterGroupName = pg.Name()
		cfg.PubliclyAccessible = jsii.Bool(false)
		cfg.Port = jsii.Number(Port)
		cfg.CaCertIdentifier = jsii.String("rds-ca-rsa2048-g1")
		cfg.AutoMinorVersionUpgrade = jsii.Bool(true)
		cfg.CopyTagsToSnapshot = jsii.Bool(true)
		cfg.IamDatabaseAuthenticationEnabled = jsii.Bool(true)
		cfg.PerformanceInsightsEnabled = jsii.Bool(true)
		cfg.PerformanceInsightsKmsKeyId = jsii.String(p.Keys.Data.Arn)
		cfg.PerformanceInsightsRetentionPeriod = jsii.Number(float64(s.PerformanceInsightsRetentionDays))
		cfg.MonitoringInterval = jsii.Number(float64(s.MonitoringIntervalSeconds))
		cfg.MonitoringRoleArn = monitoring.Arn()
		cfg.EnabledCloudwatchLogsExports = jsii.Strings(exports...)
		cfg.DeletionProtection = jsii.Bool(p.DeletionProtection)
		cfg.MaintenanceWindow = jsii.String(s.MaintenanceWindow)
		cfg.DependsOn = logGroupsFor(cid, *cfg.Identifier)
		return cfg
	}

	primary := dbinstance.NewDbInstance(c, jsii.String("primary"), common("primary", &dbinstance.DbInstanceConfig{
		Identifier:               jsii.String(identifier),
		Engine:                   jsii.String("postgres"),
		EngineVersion:            jsii.String(s.EngineVersion),
		AllowMajorVersionUpgrade: jsii.Bool(false),
		StorageType:              jsii.String("gp3"),
		AllocatedStorage:         jsii.Number(float64(p.AllocatedGB)),
		MaxAllocatedStorage:      jsii.Number(float64(p.MaxAllocatedGB)),
		DbSubnetGroupName:        jsii.String(p.Network.DBSubnetGroupName),
		Username:                 jsii.String(s.MasterUsername),
		ManageMasterUserPassword: jsii.Bool(true),
		MasterUserSecretKmsKeyId: jsii.String(p.Keys.Secrets.Arn),
		MultiAz:                  jsii.Bool(p.MultiAZ),
		BackupRetentionPeriod:    jsii.Number(float64(p.BackupRetentionDays)),
		BackupWindow:             jsii.String(s.BackupWindow),
		DeleteAutomatedBackups:   jsii.Bool(!p.DeletionProtection),
		SkipFinalSnapshot:        jsii.Bool(!p.FinalSnapshot),
		FinalSnapshotIdentifier:  finalSnapshot(p.FinalSnapshot, identifier),
		Tags:                     i.BackedUpTags(identifier),
	}))
	if p.FinalSnapshot {
		// The name is fixed when the database is created and never
		// planned again, so each incarnation's final snapshot has its own.
		primary.AddOverride(jsii.String("lifecycle.ignore_changes"), jsii.Strings("final_snapshot_identifier"))
	}
	d := &Database{
		Service:         network.Service{SecurityGroup: sg, Port: Port, Label: "PostgreSQL"},
		Identifier:      *primary.Identifier(),
		Address:         *primary.Address(),
		MasterSecretArn: *primary.MasterUserSecret().Get(jsii.Number(0)).SecretArn(),
	}

	for n := 1; n <= p.Replicas; n++ {
		rid := fmt.Sprintf("%s-replica-%d", identifier, n)
		cid := fmt.Sprintf("replica-%d", n)
		r := dbinstance.NewDbInstance(c, jsii.String(cid), common(cid, &dbinstance.DbInstanceConfig{
			Identifier:        jsii.String(rid),
			ReplicateSourceDb: primary.Identifier(),
			SkipFinalSnapshot: jsii.Bool(true),
			Tags:              i.Tags(rid),
		}))
		d.ReplicaIdentifiers = append(d.ReplicaIdentifiers, *r.Identifier())
		d.ReplicaAddresses = append(d.ReplicaAddresses, *r.Address())
	}
	return d
}

// finalSnapshot names the snapshot a destroyed database leaves: unique per
// incarnation, since DeleteDBInstance fails DBSnapshotAlreadyExists when a
// snapshot of that name exists (RDS API reference), so a second destroy of
// staging with a fixed "<id>-final" would fail.
func finalSnapshot(take bool, identifier string) *string {
	if !take {
		return nil
	}
	return jsii.String(identifier + "-final-${formatdate(\"YYYYMMDDhhmmss\", timestamp())}")
}
