package environments

import "slices"

// Tier is one kind of server of the platform, declared once. The platform
// builds a tier from this row alone: its servers and IAM role, security
// group and the rules to and from its neighbours, its grants on secrets,
// buckets and images, its target group, listener rule, DNS name and
// certificate name behind the load balancer, its alarms, dashboard widgets,
// log groups and CloudWatch agent configuration, its outputs and the
// Ansible group its servers land in. Adding a service is one row here, its
// ServerSettings in Production(), its count in Scale.Servers, and its own
// Ansible role.
type Tier struct {
	// Name is the tier: the Role tag of its servers, the key of
	// ParityConfig.Servers and Scale.Servers, and part of every resource
	// name, e.g. "odoo". Lower case, letters, digits and "-".
	Name string
	// AnsibleGroup is the inventory group of its servers (their AnsibleGroup
	// tag), e.g. "odoo_servers".
	AnsibleGroup string
	// FixedCount runs exactly this many servers at every scale (the n8n
	// main is a singleton). Default: 0, Scale.Servers[Name] servers.
	FixedCount int
	// GPU requires an instance type with a GPU of MinVRAMGB or more (see
	// GPUs), and adds GPU alarms and the agent's GPU metrics. Default: false.
	GPU bool
	// MinRootVolumeGB is the smallest root volume its software fits on.
	// Default: 20.
	MinRootVolumeGB int
	// Route puts the tier behind the public load balancer. Default: nil,
	// not reachable from the internet.
	Route *Route
	// Port is the TCP port other tiers reach it on (see Reaches). Default:
	// 0, nothing reaches it.
	Port int
	// Reaches lists what its servers open connections to: "database",
	// "cache", "filestore", or another tier by name (on that tier's Port).
	// Using a Database implies "database". Default: nothing.
	Reaches []string
	// Database is the PostgreSQL database its servers use, and the login
	// role of the same name; the platform creates each distinct database
	// once, with a generated password secret "<Database>/db-password".
	// Default: "" (none).
	Database string
	// Secrets are the generated secrets its servers read besides the
	// database password, by name, e.g. "n8n/encryption-key". Reaching the
	// cache grants its AUTH token. Default: none.
	Secrets []string
	// Buckets are the environment's buckets its servers use. Default: none.
	Buckets []BucketAccess
	// Images are the ECR repositories (by image name, e.g.
	// "ai-model-server") its servers pull from. Default: none.
	Images []string
	// EgressPorts are TCP ports it may open to the internet besides 80 and
	// 443 (package mirrors, registries and AWS APIs). Default: none.
	EgressPorts []int
	// LogFiles are the application logs the CloudWatch agent ships to
	// "/<project>-<env>/<Name>/app".
	LogFiles []string
}

// CacheAuthSecret is the generated ElastiCache AUTH token: every tier that
// reaches the cache may read it.
const CacheAuthSecret = "redis/auth-token"

// DatabaseSecret is the generated password secret of a tier's database.
func DatabaseSecret(database string) string { return database + "/db-password" }

// SecretNames are the generated secrets the tier's servers may read: its
// own, its database's password, and the cache's AUTH token when it reaches
// the cache.
func (t Tier) SecretNames() []string {
	names := append([]string(nil), t.Secrets...)
	if t.Database != "" {
		names = append(names, DatabaseSecret(t.Database))
	}
	if slices.Contains(t.Reaches, ReachCache) {
		names = append(names, CacheAuthSecret)
	}
	return names
}

// SecretNames are the generated secrets of an environment with these
// tiers, sorted, once each: the cache's AUTH token, each tier's own
// secrets and each database's password.
func SecretNames(tiers []Tier) []string {
	names := []string{CacheAuthSecret}
	for _, t := range tiers {
		names = append(names, t.Secrets...)
		if t.Database != "" {
			names = append(names, DatabaseSecret(t.Database))
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Route is how the load balancer reaches a tier.
type Route struct {
	// Subdomain names the tier's host under the environment's domain:
	// "odoo" serves odoo.<Identity.Domain>.
	Subdomain string
	// Port is the port its servers listen on for the load balancer.
	Port int
	// HealthPath is the health-check path; the check expects HTTP 200.
	HealthPath string
	// Sticky keeps a client on one server (a load-balancer cookie).
	// Default: false.
	Sticky bool
	// Priority orders the HTTPS listener rules: unique, lower first.
	Priority int
	// WAFExceptions relax managed WAF rules that block the application's
	// own legitimate traffic, on its own paths only. Default: none.
	WAFExceptions []WAFException
	// LoginPaths are path prefixes where passwords are tried: the WAF
	// rate-limits them per client IP (EdgeSettings.WAFLoginRateLimit).
	// Default: none.
	LoginPaths []string
}

// WAFException lets a route's requests under some paths through managed
// rules that match the application's own traffic there (Odoo's JSON-RPC
// carries HTML; n8n's workflow saves carry code). Everywhere else on the
// route, and on every other route, the rules still block.
type WAFException struct {
	// Rules are core-rule-set rule names, e.g. "CrossSiteScripting_BODY"
	// (one of WAFRelaxableRules).
	Rules []string
	// PathPrefixes are the URI path prefixes excepted, e.g. "/web/dataset/".
	PathPrefixes []string
}

// WAFRelaxableRules are the rules of AWSManagedRulesCommonRuleSet an
// exception may relax, with the label each adds to a request it matches
// (AWS WAF Developer Guide, "Core rule set (CRS) managed rule group": the
// labels do not always repeat the rule's name).
var WAFRelaxableRules = map[string]string{
	"CrossSiteScripting_BODY":  "awswaf:managed:aws:core-rule-set:CrossSiteScripting_Body",
	"GenericLFI_BODY":          "awswaf:managed:aws:core-rule-set:GenericLFI_Body",
	"GenericRFI_BODY":          "awswaf:managed:aws:core-rule-set:GenericRFI_Body",
	"EC2MetaDataSSRF_BODY":     "awswaf:managed:aws:core-rule-set:EC2MetaDataSSRF_Body",
	"SizeRestrictions_URIPATH": "awswaf:managed:aws:core-rule-set:SizeRestrictions_URIPath",
	"NoUserAgent_HEADER":       "awswaf:managed:aws:core-rule-set:NoUserAgent_Header",
}

// BucketAccess is one use of an environment bucket.
type BucketAccess struct {
	// Bucket is one of Buckets: "models", "backups".
	Bucket string
	// Prefix limits the access to keys under it, e.g. "odoo/". Default:
	// "", the whole bucket.
	Prefix string
	// Write allows writing (and reading back) as well as reading.
	// Default: false, read only.
	Write bool
}

// The platform's tiers and the services tiers reach.
const (
	TierOdoo      = "odoo"
	TierN8nMain   = "n8n-main"
	TierN8nWorker = "n8n-worker"
	TierAI        = "ai"

	ReachDatabase  = "database"
	ReachCache     = "cache"
	ReachFilestore = "filestore"
)

// Buckets are the environment buckets a tier can be granted.
var Buckets = []string{"models", "backups"}

// Ports the platform's tiers listen on.
const (
	// OdooProxyPort is the local reverse proxy (nginx) on every Odoo
	// server, the only thing the load balancer reaches: it adds the
	// X-Forwarded-Host Odoo's proxy_mode needs and sends /websocket to the
	// gevent worker (ansible/roles/odoo_setup).
	OdooProxyPort = 8080
	// N8nPort is n8n's editor, API and webhooks.
	N8nPort = 5678
	// ModelServerPort is the GPU model server's API.
	ModelServerPort = 8000
)

// DefaultTiers are the platform's tiers: Odoo, n8n in queue mode (one
// main, workers) and the GPU model servers.
func DefaultTiers() []Tier {
	dockerLogs := []string{"/var/lib/docker/containers/*/*-json.log"}
	n8nSecrets := []string{"n8n/encryption-key", "n8n/runners-auth-token"}
	return []Tier{
		{
			Name:         TierOdoo,
			AnsibleGroup: "odoo_servers",
			Route: &Route{
				Subdomain: "odoo", Port: OdooProxyPort, HealthPath: "/web/health", Sticky: true, Priority: 20,
				WAFExceptions: []WAFException{
					// JSON-RPC and the editors post HTML (mail composer,
					// notes, descriptions, QWeb views), and uploads.
					{
						Rules:        []string{"CrossSiteScripting_BODY", "GenericLFI_BODY", "GenericRFI_BODY", "EC2MetaDataSSRF_BODY"},
						PathPrefixes: []string{"/web/dataset/", "/web/action/", "/mail/", "/html_editor/", "/web_editor/", "/website/", "/web/binary/"},
					},
					// Bulk printing puts every record ID in the path.
					{Rules: []string{"SizeRestrictions_URIPATH"}, PathPrefixes: []string{"/report/"}},
				},
				LoginPaths: []string{"/web/login", "/web/session/authenticate"},
			},
			Reaches:     []string{ReachFilestore, TierAI},
			Database:    "odoo",
			Secrets:     []string{"odoo/admin-passwd"},
			Buckets:     []BucketAccess{{Bucket: "backups", Prefix: "odoo/", Write: true}},
			EgressPorts: []int{587}, // SMTP submission (STARTTLS) for Odoo mail
			LogFiles:    []string{"/var/log/odoo/odoo.log", "/var/log/nginx/odoo.access.log"},
		},
		{
			Name:         TierN8nMain,
			AnsibleGroup: "n8n_servers",
			FixedCount:   1, // one main: editor, webhooks, scheduler
			Route: &Route{
				// /healthz answers while the migrations still run;
				// readiness waits for the database and Redis
				// (ansible/tests/README.md, n8n_queue.sh).
				Subdomain: "n8n", Port: N8nPort, HealthPath: "/healthz/readiness", Priority: 30,
				WAFExceptions: []WAFException{
					// Workflow saves carry code, HTML, paths and URLs to IP
					// addresses; webhooks and forms carry third parties'
					// payloads, sometimes without a User-Agent.
					{
						Rules:        []string{"CrossSiteScripting_BODY", "GenericLFI_BODY", "GenericRFI_BODY", "EC2MetaDataSSRF_BODY"},
						PathPrefixes: []string{"/rest/", "/webhook", "/form/"},
					},
					{Rules: []string{"NoUserAgent_HEADER"}, PathPrefixes: []string{"/webhook"}},
				},
				LoginPaths: []string{"/rest/login"},
			},
			Reaches:  []string{ReachCache, TierAI},
			Database: "n8n",
			Secrets:  n8nSecrets,
			LogFiles: dockerLogs,
		},
		{
			Name:         TierN8nWorker,
			AnsibleGroup: "n8n_workers",
			Reaches:      []string{ReachCache, TierAI},
			Database:     "n8n",
			Secrets:      n8nSecrets,
			LogFiles:     dockerLogs,
		},
		{
			Name:            TierAI,
			AnsibleGroup:    "ai_servers",
			GPU:             true,
			MinRootVolumeGB: 60,
			Port:            ModelServerPort,
			// The model versions and adapters it serves; what it serves,
			// reported by its model sync (scripts/models.py sync-loras).
			Buckets:  []BucketAccess{{Bucket: "models", Prefix: ModelsPrefix}, {Bucket: "models", Prefix: ModelStatusPrefix, Write: true}},
			Images:   []string{"ai-model-server"},
			LogFiles: dockerLogs,
		},
	}
}

// Count is how many servers a tier runs in an environment.
func (c ParityConfig) Count(t Tier) int {
	if t.FixedCount > 0 {
		return t.FixedCount
	}
	return c.Scale.Servers[t.Name]
}

// Hostname is the public name of a routed tier, e.g.
// odoo.staging.influencegen.example.com.
func (c ParityConfig) Hostname(r Route) string { return r.Subdomain + "." + c.Identity.Domain }

// Tier returns the tier called name.
func (c ParityConfig) Tier(name string) (Tier, bool) {
	for _, t := range c.Tiers {
		if t.Name == name {
			return t, true
		}
	}
	return Tier{}, false
}

// ServerSettings are what every server of one tier runs.
type ServerSettings struct {
	// InstanceType is the EC2 instance type.
	InstanceType string
	// RootVolumeGB is the encrypted gp3 root volume's size.
	RootVolumeGB int
}
