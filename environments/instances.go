package environments

import "strings"

// autoRecoveryFamilies are the instance families that support EC2
// automatic recovery by a CloudWatch alarm action: EBS-only Nitro and Xen
// families (EC2 User Guide, "Recover your instance": instances with
// instance store volumes are not supported). Families not listed, e.g.
// every GPU family here (g4dn, g5 and g6 carry NVMe instance store), get
// the alarm without the recover action; `aws ec2 describe-instance-types
// --query 'InstanceTypes[].[InstanceType,AutoRecoverySupported]'` is the
// authority, and the deploy preflight asks it.
var autoRecoveryFamilies = []string{
	"t2", "t3", "t3a", "t4g", "m4", "m5", "m5a", "m6i", "m6a", "m6g", "m7i", "m7a", "m7g",
	"c4", "c5", "c5a", "c6i", "c6a", "c6g", "c7i", "c7g", "r4", "r5", "r5a", "r6i", "r6a", "r6g", "r7i", "r7g",
}

// AutoRecoverySupported reports whether an alarm may recover instances of
// this type.
func AutoRecoverySupported(instanceType string) bool {
	family, _, _ := strings.Cut(instanceType, ".")
	for _, f := range autoRecoveryFamilies {
		if f == family {
			return true
		}
	}
	return false
}
