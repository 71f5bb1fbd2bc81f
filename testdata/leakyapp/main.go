// Command leakyapp is the negative control of TestSynthLeavesNothingBehind:
// a minimal cdktf app that synthesizes and exits without closing the jsii
// runtime, as the app did before jsiiruntime.Close. The test expects its
// leak detector to find what this leaves in TMPDIR.
package main

import (
	"os"

	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

func main() {
	app := cdktf.NewApp(&cdktf.AppConfig{Outdir: jsii.String(os.Getenv("INFLUENCEGEN_OUTDIR"))})
	cdktf.NewTerraformStack(app, jsii.String("leaky"))
	app.Synth()
}
