package platform

import (
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/influencegen/infrastructure/constructs/encryption"
	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/network"
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
}

// NewEnvironmentStack builds the stack of one environment, with its state at
// <env>/terraform.tfstate in the state bucket.
func NewEnvironmentStack(scope constructs.Construct, a environments.Account, cfg environments.ParityConfig) *EnvironmentStack {
	name := cfg.Identity.Name
	stack := stackBase(scope, cfg.StackName(), cfg.Region, name, a)
	s3Backend(stack, a, cfg.Identity.StateKey)
	info := envinfo.New(stack, a.Project, name, cfg.Region)
	sc := cfg.Scale

	keys := encryption.New(stack, "kms", encryption.Props{Info: info, DeletionProtection: sc.DeletionProtection})
	net := network.New(stack, "network", network.Props{
		Info:               info,
		CIDR:               cfg.Identity.VPCCIDR,
		AZCount:            sc.AZCount,
		NATGatewayPerAZ:    sc.NATGatewayPerAZ,
		FlowLogTrafficType: cfg.Network.FlowLogTrafficType,
		LogRetentionDays:   sc.LogRetentionDays,
		LogsKeyArn:         keys.Logs.Arn,
		InterfaceEndpoints: cfg.Network.InterfaceEndpoints,
	})

	output(stack, "vpc_id", "ID of the environment's VPC", net.VPCID)
	output(stack, "public_subnet_ids", "Public subnets (load balancer, NAT), one per AZ", net.PublicSubnetIDs)
	output(stack, "app_subnet_ids", "Private-app subnets (servers), one per AZ", net.AppSubnetIDs)
	output(stack, "data_subnet_ids", "Private-data subnets (RDS, ElastiCache), one per AZ", net.DataSubnetIDs)
	output(stack, "kms_key_arns", "KMS keys by purpose (data, logs, secrets)", map[string]string{
		"data": keys.Data.Arn, "logs": keys.Logs.Arn, "secrets": keys.Secrets.Arn,
	})

	return &EnvironmentStack{Stack: stack, Config: cfg, Keys: keys, Network: net}
}
