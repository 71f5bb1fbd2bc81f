package environments

import "slices"

// awsRegions are the AWS region codes this project accepts: the commercial,
// GovCloud and China partitions as of 2025.
var awsRegions = []string{
	"af-south-1",
	"ap-east-1", "ap-east-2",
	"ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-south-1", "ap-south-2",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
	"ca-central-1", "ca-west-1",
	"cn-north-1", "cn-northwest-1",
	"eu-central-1", "eu-central-2",
	"eu-north-1",
	"eu-south-1", "eu-south-2",
	"eu-west-1", "eu-west-2", "eu-west-3",
	"il-central-1",
	"me-central-1", "me-south-1",
	"mx-central-1",
	"sa-east-1",
	"us-east-1", "us-east-2",
	"us-gov-east-1", "us-gov-west-1",
	"us-west-1", "us-west-2",
}

// IsRegion reports whether r is a known AWS region code.
func IsRegion(r string) bool { return slices.Contains(awsRegions, r) }

// zonePrefixes are the prefixes of the availability zone IDs of the regions
// this project checks them for (AWS RAM User Guide, "Availability Zone
// IDs"); a region not listed is not checked.
var zonePrefixes = map[string]string{
	"us-east-1": "use1", "us-east-2": "use2", "us-west-1": "usw1", "us-west-2": "usw2",
	"ca-central-1": "cac1", "sa-east-1": "sae1",
	"eu-central-1": "euc1", "eu-central-2": "euc2", "eu-west-1": "euw1", "eu-west-2": "euw2",
	"eu-west-3": "euw3", "eu-north-1": "eun1", "eu-south-1": "eus1", "eu-south-2": "eus2",
	"ap-south-1": "aps1", "ap-northeast-1": "apne1", "ap-northeast-2": "apne2",
	"ap-northeast-3": "apne3", "ap-southeast-1": "apse1", "ap-southeast-2": "apse2",
}

// Images are the repositories of the account-wide registry (shared-stack):
// one per image the platform builds (docker/<image with "_" for "-">/).
// Validate refuses an image no tier pulls: it would be built, scanned and
// pushed for nothing.
var Images = []string{ModelServerImage}
