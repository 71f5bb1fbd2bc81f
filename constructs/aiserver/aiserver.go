// Package aiserver adds to the GPU servers what their tier row cannot say:
// a dedicated encrypted gp3 volume per server for the model weights (Flux
// and its LoRA adapters), attached as ModelDevice. Ansible's
// ai_server_setup role formats and mounts it, installs the driver and runs
// the model server container.
package aiserver

import (
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/ebsvolume"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/volumeattachment"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/compute"
	"github.com/influencegen/infrastructure/constructs/encryption"
	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/network"
)

// ModelDevice is the device name the model volume is attached as (on Nitro
// instances it appears as an NVMe device whose serial is the volume ID;
// Ansible finds it by that ID).
const ModelDevice = "/dev/sdf"

// Props configures the model volumes.
type Props struct {
	// Info is the environment the volumes belong to.
	Info envinfo.Info
	// Servers are the GPU servers, one volume each.
	Servers *compute.Group
	// Network has the zone of each server's subnet (AppSubnetAZs): a
	// volume lives in its server's subnet's zone.
	Network *network.Network
	// VolumeGB is Scale.ModelVolumeGB.
	VolumeGB int
	// DataKey encrypts the volumes.
	DataKey encryption.Key
	// FinalSnapshot snapshots a volume when it is destroyed. Default: false.
	FinalSnapshot bool
	// PreventDestroy makes Terraform refuse to destroy a volume. Default:
	// false.
	PreventDestroy bool
}

// AddModelVolumes creates one model volume per server and attaches it. It
// returns the volume IDs in server order.
//
// A volume's zone comes from its server's subnet, never from the server:
// availability_zone forces a replacement of the volume (provider
// internal/service/ec2/ebs_volume.go), and a replaced server's zone is
// unknown until apply, so `-replace` of a server (rolling out an AMI) would
// replace, and empty, its model volume.
func AddModelVolumes(scope constructs.Construct, id string, p Props) []string {
	c := constructs.NewConstruct(scope, jsii.String(id))
	i := p.Info
	var ids []string
	for n, in := range p.Servers.Instances {
		name := fmt.Sprintf("%s-%d-models", i.Name(p.Servers.Tier), n+1)
		v := ebsvolume.NewEbsVolume(c, jsii.String(fmt.Sprintf("models-%d", n+1)), &ebsvolume.EbsVolumeConfig{
			AvailabilityZone: jsii.String(p.Network.AppSubnetAZs[in.Subnet]),
			Size:             jsii.Number(float64(p.VolumeGB)),
			Type:             jsii.String("gp3"),
			Throughput:       jsii.Number(500),
			Iops:             jsii.Number(6000),
			Encrypted:        jsii.Bool(true),
			KmsKeyId:         jsii.String(p.DataKey.Arn),
			FinalSnapshot:    jsii.Bool(p.FinalSnapshot),
			Tags: &map[string]*string{
				"Name": jsii.String(name), "Role": jsii.String(p.Servers.Tier + "-models"),
				envinfo.BackupTagKey: jsii.String(p.Info.BackupPlanName()),
			},
			Lifecycle: &cdktf.TerraformResourceLifecycle{PreventDestroy: jsii.Bool(p.PreventDestroy)},
		})
		volumeattachment.NewVolumeAttachment(c, jsii.String(fmt.Sprintf("models-%d-attachment", n+1)), &volumeattachment.VolumeAttachmentConfig{
			DeviceName:                  jsii.String(ModelDevice),
			VolumeId:                    v.Id(),
			InstanceId:                  jsii.String(in.ID),
			StopInstanceBeforeDetaching: jsii.Bool(true),
		})
		ids = append(ids, *v.Id())
	}
	return ids
}
