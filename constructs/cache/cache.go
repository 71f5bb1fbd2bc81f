// Package cache creates the ElastiCache Redis replication group behind n8n's
// queue mode: private-data subnets, reachable only from the n8n hosts,
// encrypted at rest with the data key and in transit (TLS required), with an
// AUTH token from Secrets Manager, and the noeviction policy BullMQ needs
// (an evicted job key is a lost execution).
package cache

import (
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/elasticacheparametergroup"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/elasticachereplicationgroup"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/elasticachesubnetgroup"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/encryption"
	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/logs"
	"github.com/influencegen/infrastructure/constructs/network"
	"github.com/influencegen/infrastructure/environments"
)

// Port is the Redis port.
const Port = 6379

// Props configures the cache.
type Props struct {
	// Info is the environment the cache belongs to.
	Info envinfo.Info
	// Network places the cache in its private-data subnets.
	Network *network.Network
	// Keys encrypt its data at rest (data) and its slow log (logs).
	Keys encryption.Keys
	// Settings are the shared cache settings (engine version, node type…).
	Settings environments.CacheSettings
	// Nodes is the number of nodes, primary included (1–6).
	Nodes int
	// MultiAZ enables automatic failover across AZs (needs Nodes ≥ 2).
	// Default: false.
	MultiAZ bool
	// SnapshotRetentionDays keeps daily snapshots (0 disables). Default: 0.
	SnapshotRetentionDays int
	// AuthToken is a reference to the AUTH token secret's value.
	AuthToken string
	// PreventDestroy makes Terraform refuse to destroy the replication
	// group (there is no AWS deletion protection for it). Default: false.
	PreventDestroy bool
	// LogRetentionDays is the slow log's retention.
	LogRetentionDays int
}

// Cache is what n8n needs from Redis.
type Cache struct {
	// Service admits the n8n hosts: see AllowClient.
	network.Service
	// ID is the replication group ID.
	ID string
	// PrimaryEndpoint is the address writes go to (TLS, port 6379).
	PrimaryEndpoint string
}

// ParameterGroupFamily maps a Redis version to its parameter group family:
// "6.2" → "redis6.x", "7.1" → "redis7".
func ParameterGroupFamily(version string) string {
	major := strings.SplitN(version, ".", 2)[0]
	if major == "6" {
		return "redis6.x"
	}
	return "redis" + major
}

// New creates the replication group.
func New(scope constructs.Construct, id string, p Props) *Cache {
	c := constructs.NewConstruct(scope, jsii.String(id))
	i, s := p.Info, p.Settings
	name := i.Name(id)

	sg := network.NewSecurityGroup(c, "sg", network.SecurityGroupProps{
		Info: i, VPCID: p.Network.VPCID, Label: id,
		Description: "ElastiCache Redis: 6379 from the n8n hosts only",
	})
	subnets := elasticachesubnetgroup.NewElasticacheSubnetGroup(c, jsii.String("subnets"), &elasticachesubnetgroup.ElasticacheSubnetGroupConfig{
		Name:        jsii.String(name),
		Description: jsii.String("Private-data subnets of " + i.Prefix),
		SubnetIds:   jsii.Strings(p.Network.DataSubnetIDs...),
		Tags:        i.Tags(name),
	})
	family := ParameterGroupFamily(s.EngineVersion)
	description := "n8n queue mode: never evict job keys"
	// Name, family and description force a replacement, the resource has
	// no name_prefix, and create_before_destroy needs the new group's name
	// free (provider internal/service/elasticache/parameter_group.go): the
	// name carries a digest of everything that forces a replacement.
	digest := sha256.Sum256([]byte(family + "\n" + description))
	params := elasticacheparametergroup.NewElasticacheParameterGroup(c, jsii.String("params"), &elasticacheparametergroup.ElasticacheParameterGroupConfig{
		Name:        jsii.String(fmt.Sprintf("%s-%s-%x", name, strings.ReplaceAll(family, ".", "-"), digest[:4])),
		Family:      jsii.String(family),
		Description: jsii.String(description),
		Parameter: []elasticacheparametergroup.ElasticacheParameterGroupParameter{
			{Name: jsii.String("maxmemory-policy"), Value: jsii.String("noeviction")},
		},
		Tags:      i.Tags(name),
		Lifecycle: &cdktf.TerraformResourceLifecycle{CreateBeforeDestroy: jsii.Bool(true)},
	})
	slowLogName := "/" + i.Prefix + "/elasticache/" + id + "/slow-log"
	slowLog := logs.NewGroup(c, "slow-log", logs.Props{Info: i, Name: slowLogName, RetentionDays: p.LogRetentionDays, KeyArn: p.Keys.Logs.Arn})

	rg := elasticachereplicationgroup.NewElasticacheReplicationGroup(c, jsii.String("redis"), &elasticachereplicationgroup.ElasticacheReplicationGroupConfig{
		ReplicationGroupId:       jsii.String(name),
		Description:              jsii.String("InfluenceGen " + i.Env + ": n8n queue mode (BullMQ)"),
		Engine:                   jsii.String("redis"),
		EngineVersion:            jsii.String(s.EngineVersion),
		NodeType:                 jsii.String(s.NodeType),
		NumCacheClusters:         jsii.Number(float64(p.Nodes)),
		AutomaticFailoverEnabled: jsii.Bool(p.MultiAZ),
		MultiAzEnabled:           jsii.Bool(p.MultiAZ),
		Port:                     jsii.Number(Port),
		ParameterGroupName:       params.Name(),
		SubnetGroupName:          subnets.Name(),
		SecurityGroupIds:         jsii.Strings(sg.ID),
		AtRestEncryptionEnabled:  jsii.String("true"),
		KmsKeyId:                 jsii.String(p.Keys.Data.Arn),
		TransitEncryptionEnabled: jsii.Bool(true),
		TransitEncryptionMode:    jsii.String("required"),
		AuthToken:                jsii.String(p.AuthToken),
		AutoMinorVersionUpgrade:  jsii.String("true"),
		SnapshotRetentionLimit:   jsii.Number(float64(p.SnapshotRetentionDays)),
		SnapshotWindow:           jsii.String(s.SnapshotWindow),
		MaintenanceWindow:        jsii.String(s.MaintenanceWindow),
		LogDeliveryConfiguration: []elasticachereplicationgroup.ElasticacheReplicationGroupLogDeliveryConfiguration{{
			Destination:     slowLog.Name(),
			DestinationType: jsii.String("cloudwatch-logs"),
			LogFormat:       jsii.String("json"),
			LogType:         jsii.String("slow-log"),
		}},
		Tags: i.Tags(name),
		// The token is rotated in place (docs/runbooks/rotate-secrets.md);
		// Terraform must not put the creation-time value back.
		Lifecycle: &cdktf.TerraformResourceLifecycle{
			IgnoreChanges:  &[]*string{jsii.String("auth_token")},
			PreventDestroy: jsii.Bool(p.PreventDestroy),
		},
	})
	return &Cache{Service: network.Service{SecurityGroup: sg, Port: Port, Label: "Redis"}, ID: *rg.Id(), PrimaryEndpoint: *rg.PrimaryEndpointAddress()}
}
