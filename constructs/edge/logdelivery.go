package edge

// elbAccounts are the Elastic Load Balancing accounts that deliver access
// logs in the regions opened before August 2022. Newer regions deliver
// through the service principal logdelivery.elasticloadbalancing.amazonaws.com.
var elbAccounts = map[string]string{
	"us-east-1":      "127311923021",
	"us-east-2":      "033677994240",
	"us-west-1":      "027434742980",
	"us-west-2":      "797873946194",
	"af-south-1":     "098369216593",
	"ap-east-1":      "754344448648",
	"ap-southeast-3": "589379963580",
	"ap-south-1":     "718504428378",
	"ap-northeast-3": "383597477331",
	"ap-northeast-2": "600734575887",
	"ap-southeast-1": "114774131450",
	"ap-southeast-2": "783225319266",
	"ap-northeast-1": "582318560864",
	"ca-central-1":   "985666609251",
	"eu-central-1":   "054676820928",
	"eu-west-1":      "156460612806",
	"eu-west-2":      "652711504416",
	"eu-south-1":     "635631232127",
	"eu-west-3":      "009996457667",
	"eu-north-1":     "897822967062",
	"me-south-1":     "076674570225",
	"sa-east-1":      "507241528517",
	"us-gov-west-1":  "048591011584",
	"us-gov-east-1":  "190560391635",
	"cn-north-1":     "638102146993",
	"cn-northwest-1": "037604701340",
}

// logDeliveryPrincipal is who writes the load balancer's access logs in a
// region: the regional ELB account, or the log-delivery service principal.
func logDeliveryPrincipal(partition, region string) map[string][]string {
	if acct, ok := elbAccounts[region]; ok {
		return map[string][]string{"AWS": {"arn:" + partition + ":iam::" + acct + ":root"}}
	}
	return map[string][]string{"Service": {"logdelivery.elasticloadbalancing.amazonaws.com"}}
}
