package e2etest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/network"
)

// TestDuplicateIDsFailAtSynth: IDs come from meaning, so declaring the
// same thing twice is a programming error, and it stops the synthesis
// with a message naming it — never a silently renumbered twin.
func TestDuplicateIDsFailAtSynth(t *testing.T) {
	app := cdktf.NewApp(&cdktf.AppConfig{Outdir: jsii.String(t.TempDir())})
	stack := cdktf.NewTerraformStack(app, jsii.String("ids-test"))
	i := envinfo.Info{Project: "p", Env: "e", Prefix: "p-e", Region: "eu-central-1", AccountID: "123456789012", Partition: "aws"}
	db := network.NewSecurityGroup(stack, "db", network.SecurityGroupProps{Info: i, VPCID: "vpc-1", Label: "database", Description: "d"})
	app1 := network.NewSecurityGroup(stack, "app", network.SecurityGroupProps{Info: i, VPCID: "vpc-1", Label: "odoo", Description: "a"})
	db.AllowFrom(app1, 5432, "PostgreSQL from odoo")
	mustPanic(t, "the same rule twice", "rule in-5432-from-odoo is declared twice", func() { db.AllowFrom(app1, 5432, "again") })
	mustPanic(t, "the same construct twice", "There is already a Construct with name 'db'", func() {
		network.NewSecurityGroup(stack, "db", network.SecurityGroupProps{Info: i, VPCID: "vpc-1", Label: "database", Description: "d"})
	})
}

func mustPanic(t *testing.T, what, message string, f func()) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			t.Errorf("%s: no error", what)
			return
		}
		if !strings.Contains(fmt.Sprint(r), message) {
			t.Errorf("%s: %v, want it to say %q", what, r, message)
		}
	}()
	f()
}
