// Package aiserver creates the GPU servers that serve Flux LoRA models:
// Scale.AIServers servers of a GPU instance type with 16 GB of VRAM at least
// (checked against environments.GPUs at synth), each with a dedicated
// encrypted gp3 volume for model weights, reachable on 8000 only from Odoo
// and n8n, reading the model bucket and pulling the model-server image from
// the account's ECR. Ansible's ai_server_setup role installs the driver and
// runs the container.
package aiserver

import (
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/ebsvolume"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/volumeattachment"

	"github.com/influencegen/infrastructure/constructs/compute"
	"github.com/influencegen/infrastructure/constructs/network"
	"github.com/influencegen/infrastructure/constructs/policy"
	"github.com/influencegen/infrastructure/environments"
)

// Port is the model server's HTTP port.
const Port = 8000

// ModelDevice is the device name the model volume is attached as (on Nitro
// instances it appears as an NVMe device whose serial is the volume ID;
// Ansible finds it by that ID).
const ModelDevice = "/dev/sdf"

// Props configures the GPU servers.
type Props struct {
	compute.Placement
	// Settings are the shared AI settings.
	Settings environments.AISettings
	// Count is Scale.AIServers.
	Count int
	// ModelVolumeGB is Scale.ModelVolumeGB. Model volumes are snapshotted
	// on destroy when TerminationProtection is set.
	ModelVolumeGB int
	// ModelBucketArn holds the weights and LoRA adapters.
	ModelBucketArn string
	// ImageRepositoryArn is the ECR repository of the model-server image.
	ImageRepositoryArn string
}

// AIServer is the model-serving tier.
type AIServer struct {
	// Service admits the model server's clients: see AllowClient.
	network.Service
	// Servers are the GPU servers.
	Servers *compute.Group
	// ModelVolumeIDs are the model volumes, one per server, in order.
	ModelVolumeIDs []string
}

// New creates the GPU servers and their model volumes.
func New(scope constructs.Construct, id string, p Props) *AIServer {
	c := constructs.NewConstruct(scope, jsii.String(id))
	i := p.Info
	sg := p.SecurityGroup(c, "sg", compute.RoleAI, "GPU model servers: 8000 from Odoo and n8n only")
	servers := compute.New(c, "servers", p.Servers(compute.Props{
		Role:          compute.RoleAI,
		Count:         p.Count,
		InstanceType:  p.Settings.InstanceType,
		SecurityGroup: sg,
		RootVolumeGB:  p.Settings.RootVolumeGB,
		Statements: []policy.Statement{
			policy.Allow("ReadModels", []string{"s3:GetObject", "s3:ListBucket"}, []string{p.ModelBucketArn, p.ModelBucketArn + "/*"}),
			{
				Sid:       "DecryptModels",
				Actions:   []string{"kms:Decrypt"},
				Resources: []string{p.DataKeyArn},
				Condition: map[string]map[string][]string{"StringEquals": {"kms:ViaService": {i.ServiceHost("s3")}}},
			},
			policy.Allow("EcrLogin", []string{"ecr:GetAuthorizationToken"}, []string{"*"}),
			policy.Allow("PullModelServerImage", []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"}, []string{p.ImageRepositoryArn}),
		},
	}))
	a := &AIServer{Service: network.Service{SecurityGroup: sg, Port: Port, Label: "Model server API"}, Servers: servers}
	for n, in := range servers.Instances {
		name := fmt.Sprintf("%s-%d-models", i.Name(compute.RoleAI), n+1)
		v := ebsvolume.NewEbsVolume(c, jsii.String(fmt.Sprintf("models-%d", n+1)), &ebsvolume.EbsVolumeConfig{
			AvailabilityZone: jsii.String(in.AZ()),
			Size:             jsii.Number(float64(p.ModelVolumeGB)),
			Type:             jsii.String("gp3"),
			Throughput:       jsii.Number(500),
			Iops:             jsii.Number(6000),
			Encrypted:        jsii.Bool(true),
			KmsKeyId:         jsii.String(p.DataKeyArn),
			FinalSnapshot:    jsii.Bool(p.TerminationProtection),
			Tags:             &map[string]*string{"Name": jsii.String(name), "Role": jsii.String("ai-models")},
		})
		volumeattachment.NewVolumeAttachment(c, jsii.String(fmt.Sprintf("models-%d-attachment", n+1)), &volumeattachment.VolumeAttachmentConfig{
			DeviceName:                  jsii.String(ModelDevice),
			VolumeId:                    v.Id(),
			InstanceId:                  jsii.String(in.ID),
			StopInstanceBeforeDetaching: jsii.Bool(true),
		})
		a.ModelVolumeIDs = append(a.ModelVolumeIDs, *v.Id())
	}
	return a
}
