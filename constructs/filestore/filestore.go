// Package filestore creates the EFS file system that holds Odoo's filestore
// and sessions (Odoo's data_dir), shared by every Odoo server: encrypted with
// the data key, a mount target in every private-app subnet, reachable on
// NFS only from the Odoo servers, TLS and IAM-authorised access through one
// access point that makes every client the odoo user (root is squashed),
// and files moved to Infrequent Access when unread. Its backups are the
// environment's AWS Backup plan (constructs/backup), under the data key,
// copied and locked like the database's: EFS's own automatic backups (into
// an AWS-managed vault under an AWS-managed key) are turned off.
package filestore

import (
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/efsaccesspoint"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/efsbackuppolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/efsfilesystem"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/efsfilesystempolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/efsmounttarget"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/encryption"
	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/network"
	"github.com/influencegen/infrastructure/constructs/policy"
)

// NFSPort is the EFS port.
const NFSPort = 2049

// Props configures the filestore.
type Props struct {
	// Info is the environment the filestore belongs to.
	Info envinfo.Info
	// Network gives the file system a mount target in every private-app
	// subnet.
	Network *network.Network
	// DataKey encrypts the file system.
	DataKey encryption.Key
	// TransitionToIA is the EFS lifecycle transition, e.g. AFTER_30_DAYS.
	TransitionToIA string
	// OwnerUID and OwnerGID are the POSIX user every client acts as
	// through the access point, and the owner of its root directory.
	OwnerUID, OwnerGID int
	// RootPath is the access point's root directory, created on first use
	// with OwnerUID, OwnerGID and mode 0750, e.g. "/odoo".
	RootPath string
	// PreventDestroy makes Terraform refuse to destroy the file system.
	// Default: false.
	PreventDestroy bool
}

// Filestore is what Odoo needs from EFS.
type Filestore struct {
	// Service admits NFS clients: see AllowClient.
	network.Service
	// ID is the file system ID (fs-…), what the Ansible role mounts.
	ID string
	// Arn is the file system ARN, for IAM policies.
	Arn string
	// AccessPointID is the access point clients mount with
	// (mount option accesspoint=<id>).
	AccessPointID string

	accessPointArn string
}

// GrantMount returns the statement that lets a role mount and write the
// file system through its access point only. Root access is never
// granted: with IAM authorization, root on the client is squashed unless
// elasticfilesystem:ClientRootAccess is allowed (EFS User Guide, "Using
// IAM to control file system data access"); the access point makes every
// client act as OwnerUID instead.
func (f *Filestore) GrantMount() []policy.Statement {
	return []policy.Statement{{
		Sid:       "MountFilestore",
		Actions:   []string{"elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"},
		Resources: []string{f.Arn},
		Condition: map[string]map[string][]string{"StringEquals": {"elasticfilesystem:AccessPointArn": {f.accessPointArn}}},
	}}
}

// New creates the file system and its mount targets.
func New(scope constructs.Construct, id string, p Props) *Filestore {
	c := constructs.NewConstruct(scope, jsii.String(id))
	i := p.Info
	name := i.Name(id)
	sg := network.NewSecurityGroup(c, "sg", network.SecurityGroupProps{
		Info: i, VPCID: p.Network.VPCID, Label: id,
		Description: "EFS Odoo filestore: NFS from the Odoo servers only",
	})
	fs := efsfilesystem.NewEfsFileSystem(c, jsii.String("efs"), &efsfilesystem.EfsFileSystemConfig{
		CreationToken:   jsii.String(name),
		Encrypted:       jsii.Bool(true),
		KmsKeyId:        jsii.String(p.DataKey.Arn),
		PerformanceMode: jsii.String("generalPurpose"),
		ThroughputMode:  jsii.String("elastic"),
		LifecyclePolicy: []efsfilesystem.EfsFileSystemLifecyclePolicy{
			{TransitionToIa: jsii.String(p.TransitionToIA)},
			{TransitionToPrimaryStorageClass: jsii.String("AFTER_1_ACCESS")},
		},
		Tags:      i.BackedUpTags(name),
		Lifecycle: &cdktf.TerraformResourceLifecycle{PreventDestroy: jsii.Bool(p.PreventDestroy)},
	})
	efsbackuppolicy.NewEfsBackupPolicy(c, jsii.String("backup"), &efsbackuppolicy.EfsBackupPolicyConfig{
		FileSystemId: fs.Id(),
		BackupPolicy: &efsbackuppolicy.EfsBackupPolicyBackupPolicy{Status: jsii.String("DISABLED")},
	})
	arn := *fs.Arn()
	ap := efsaccesspoint.NewEfsAccessPoint(c, jsii.String("access-point"), &efsaccesspoint.EfsAccessPointConfig{
		FileSystemId: fs.Id(),
		PosixUser: &efsaccesspoint.EfsAccessPointPosixUser{
			Uid: jsii.Number(float64(p.OwnerUID)),
			Gid: jsii.Number(float64(p.OwnerGID)),
		},
		RootDirectory: &efsaccesspoint.EfsAccessPointRootDirectory{
			Path: jsii.String(p.RootPath),
			CreationInfo: &efsaccesspoint.EfsAccessPointRootDirectoryCreationInfo{
				OwnerUid:    jsii.Number(float64(p.OwnerUID)),
				OwnerGid:    jsii.Number(float64(p.OwnerGID)),
				Permissions: jsii.String("0750"),
			},
		},
		Tags: i.Tags(name),
	})
	apArn := *ap.Arn()
	efsfilesystempolicy.NewEfsFileSystemPolicy(c, jsii.String("policy"), &efsfilesystempolicy.EfsFileSystemPolicyConfig{
		FileSystemId: fs.Id(),
		Policy: jsii.String(policy.Document{Statements: []policy.Statement{
			policy.DenyInsecureTransport([]string{"*"}, arn),
			{
				Sid:       "MountThroughTheAccessPointOnly",
				Principal: map[string][]string{"AWS": {i.RootArn()}},
				Actions:   []string{"elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"},
				Resources: []string{arn},
				Condition: map[string]map[string][]string{
					"Bool":         {"elasticfilesystem:AccessedViaMountTarget": {"true"}},
					"StringEquals": {"elasticfilesystem:AccessPointArn": {apArn}},
				},
			},
		}}.JSON()),
	})
	for n, subnet := range p.Network.AppSubnetIDs {
		efsmounttarget.NewEfsMountTarget(c, jsii.String(fmt.Sprintf("mount-%d", n+1)), &efsmounttarget.EfsMountTargetConfig{
			FileSystemId:   fs.Id(),
			SubnetId:       jsii.String(subnet),
			SecurityGroups: jsii.Strings(sg.ID),
		})
	}
	return &Filestore{Service: network.Service{SecurityGroup: sg, Port: NFSPort, Label: "NFS (EFS)"}, ID: *fs.Id(), Arn: arn, AccessPointID: *ap.Id(), accessPointArn: apArn}
}
