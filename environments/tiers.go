package environments

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Tier is one kind of server of the platform, declared once. The platform
// builds a tier from this row alone: its servers and IAM role, security
// group and the rules to and from its neighbours, its grants on secrets,
// buckets and images, its target group, listener rule, DNS name and
// certificate name behind the load balancer, its alarms, dashboard widgets,
// log groups and CloudWatch agent configuration, its outputs and the
// Ansible group its servers land in. Adding a service is one row here (its
// Instance included), its own Ansible role and its play in site.yml
// (docs/runbooks/scaling.md); an environment that runs more than one of its
// servers says so in Scale.Servers.
type Tier struct {
	// Name is the tier: the Role tag of its servers, the key of
	// ParityConfig.Servers and Scale.Servers, and part of every resource
	// name, e.g. "odoo". Lower case, letters, digits and "-".
	Name string
	// AnsibleGroup is the inventory group of its servers (their AnsibleGroup
	// tag), e.g. "odoo_servers".
	AnsibleGroup string
	// FixedCount runs exactly this many servers at every scale (the n8n
	// main is a singleton). Default: 0, Scale.Servers[Name] servers (1
	// when the environment names no count).
	FixedCount int
	// GPU requires an instance type with a GPU of MinVRAMGB or more (see
	// GPUs), and adds GPU alarms and the agent's GPU metrics. Default: false.
	GPU bool
	// MinRootVolumeGB is the smallest root volume its software fits on.
	// Default: 20.
	MinRootVolumeGB int
	// Instance is the instance type and root volume of its servers in
	// every environment that does not override them
	// (ParityConfig.Servers).
	Instance ServerSettings
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
	// "/<project>-<env>/<Name>/app": absolute paths (globs allowed), at
	// least one.
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
			Instance:     ServerSettings{InstanceType: "m6i.xlarge", RootVolumeGB: 50},
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
			LogFiles:    []string{"/var/log/odoo/odoo.log", "/var/log/nginx/odoo-access.log"},
		},
		{
			Name:         TierN8nMain,
			Instance:     ServerSettings{InstanceType: "m6i.large", RootVolumeGB: 40},
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
			Instance:     ServerSettings{InstanceType: "m6i.large", RootVolumeGB: 40},
			AnsibleGroup: "n8n_workers",
			Reaches:      []string{ReachCache, TierAI},
			Database:     "n8n",
			Secrets:      n8nSecrets,
			LogFiles:     dockerLogs,
		},
		{
			Name: TierAI,
			// g5.xlarge: one NVIDIA A10G with 24 GB, the preferred size for
			// Flux LoRA.
			Instance:        ServerSettings{InstanceType: "g5.xlarge", RootVolumeGB: 100},
			AnsibleGroup:    "ai_servers",
			GPU:             true,
			MinRootVolumeGB: 60,
			Port:            ModelServerPort,
			// The model versions and adapters it serves; what it serves,
			// reported by its model sync (scripts/models.py sync-loras).
			Buckets:  []BucketAccess{{Bucket: "models", Prefix: ModelsPrefix}, {Bucket: "models", Prefix: ModelStatusPrefix, Write: true}},
			Images:   []string{ModelServerImage},
			LogFiles: dockerLogs,
		},
	}
}

// Count is how many servers a tier runs in an environment.
func (c ParityConfig) Count(t Tier) int {
	if t.FixedCount > 0 {
		return t.FixedCount
	}
	if n, ok := c.Scale.Servers[t.Name]; ok {
		return n
	}
	return 1
}

// ServerSettings are the instance type and root volume of a tier's servers
// in this environment: its override in Servers, or the tier's Instance.
func (c ParityConfig) ServerSettings(t Tier) ServerSettings {
	if s, ok := c.Servers[t.Name]; ok {
		return s
	}
	return t.Instance
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

// ReservedTierNames are names no tier may have, because the platform
// already uses them as construct IDs in the scopes where a tier's own IDs
// are made: the stack itself (network, kms, edge, backup …), the security
// group rules' peers (internet, edge), the alarms of the data tier (redis,
// db-replica), the servers' system log group (logs-system) and the
// quantization host (models, whose server's role and group are named
// ai-quantizer). A tier so named would make synthesis fail on a duplicate
// construct ID or a taken name. The
// validation property test (e2etest) generates tiers named after every
// construct ID of the synthesized stacks and fails on any name that passes
// Validate and crashes synthesis.
var ReservedTierNames = []string{
	"ami", "aws", "aws-backup-copy", "backup", "backup-bucket", "budget", "cache", "caller",
	"database", "db-replica", "edge", "filestore", "internet", "kms", "model-bucket", "models", "network",
	"observability", "offhours", "partition", "patching", "redis", "secrets", "system", "transfer-bucket",
	QuantizerRole,
}

// TierIDSuffixes are the suffixes of the construct IDs the platform gives
// a tier's parts beside the tier itself ("odoo-sg", "ai-offerings",
// "ai-volumes"): no tier name may end in one, or it could be another
// tier's part.
var TierIDSuffixes = []string{"-sg", "-offerings", "-volumes"}

var (
	tierNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{1,19}$`)
	groupRE    = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)
	dbNameRE   = regexp.MustCompile(`^[a-z][a-z0-9_]{1,30}$`)
	secretRE   = regexp.MustCompile(`^[a-z0-9-]+/[a-z0-9-]+$`)
)

// checkTiers checks the tier table as a whole (names, groups, hosts and
// priorities unique; settings and counts for exactly the tiers), then
// every row.
func (e ParityConfig) checkTiers(c checker) {
	if len(e.Tiers) == 0 {
		c.add("Tiers", "no tiers", "use DefaultTiers()")
	}
	names := map[string]bool{}
	priorities := map[int]string{}
	subdomains := map[string]string{}
	groups := map[string]string{}
	for i, t := range e.Tiers {
		if names[t.Name] {
			c.add(fmt.Sprintf("Tiers[%d].Name", i), fmt.Sprintf("%q is the name of an earlier tier", t.Name), "give every tier its own name")
		}
		names[t.Name] = true
	}
	for i, t := range e.Tiers {
		f := fmt.Sprintf("Tiers[%s]", t.Name)
		t.check(c, e, fmt.Sprintf("Tiers[%d]", i), f)
		if other, dup := groups[t.AnsibleGroup]; dup && groupRE.MatchString(t.AnsibleGroup) {
			c.add(f+".AnsibleGroup", fmt.Sprintf("%q is also the group of %s", t.AnsibleGroup, other), "give every tier its own group")
		}
		groups[t.AnsibleGroup] = t.Name
		if r := t.Route; r != nil {
			if other, dup := subdomains[r.Subdomain]; dup && labelRE.MatchString(r.Subdomain) {
				c.add(f+".Route.Subdomain", fmt.Sprintf("%q is also the host of %s", r.Subdomain, other), "give every routed tier its own subdomain")
			}
			subdomains[r.Subdomain] = t.Name
			if other, dup := priorities[r.Priority]; dup || r.Priority < 1 || r.Priority > 50000 {
				c.add(f+".Route.Priority", fmt.Sprintf("%d is taken (%s) or outside 1–50000", r.Priority, other), "give every route its own priority")
			}
			priorities[r.Priority] = t.Name
		}
		if n, ok := e.Scale.Servers[t.Name]; ok && t.FixedCount == 0 && (n < 1 || n > 20) {
			c.add(fmt.Sprintf("Scale.Servers[%s]", t.Name), fmt.Sprintf("%d servers: every tier runs 1 to 20", n), fmt.Sprintf("set Scale.Servers[%q] between 1 and 20, or leave it out for 1", t.Name))
		}
		if s, ok := e.Servers[t.Name]; ok {
			s.check(c, fmt.Sprintf("Servers[%s]", t.Name), t)
		} else if t.Instance == (ServerSettings{}) {
			c.add(f+".Instance", "no instance type or root volume for the tier", fmt.Sprintf("set Instance: ServerSettings{InstanceType: …, RootVolumeGB: …} in its row of DefaultTiers()"))
		} else {
			t.Instance.check(c, f+".Instance", t)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(e.Servers)) {
		if !names[name] {
			c.add(fmt.Sprintf("Servers[%s]", name), "an override for a tier that does not exist", "remove it, or add the tier to Tiers")
		}
	}
	for _, name := range slices.Sorted(maps.Keys(e.Scale.Servers)) {
		if t, ok := e.Tier(name); !ok || t.FixedCount > 0 {
			c.add(fmt.Sprintf("Scale.Servers[%s]", name), "a count for a tier that does not exist or has a fixed count", "remove it")
		}
	}
}

// check checks one row of the tier table: index is its position
// ("Tiers[2]", for the name), f its path by name ("Tiers[odoo]").
func (t Tier) check(c checker, e ParityConfig, index, f string) {
	switch {
	case !tierNameRE.MatchString(t.Name):
		c.add(index+".Name", fmt.Sprintf("%q is not a tier name", t.Name), `use 2–20 lower-case letters, digits and "-", e.g. "metabase"`)
	case slices.Contains(ReservedTierNames, t.Name):
		c.add(index+".Name", fmt.Sprintf("%q is a name the platform gives one of its own parts", t.Name), fmt.Sprintf("choose another name; reserved: %s", strings.Join(ReservedTierNames, ", ")))
	case slices.ContainsFunc(TierIDSuffixes, func(s string) bool { return strings.HasSuffix(t.Name, s) }):
		c.add(index+".Name", fmt.Sprintf("%q ends like a tier's part (%s)", t.Name, strings.Join(TierIDSuffixes, ", ")), `choose a name without that ending, e.g. "metabase"`)
	}
	if !groupRE.MatchString(t.AnsibleGroup) {
		c.add(f+".AnsibleGroup", fmt.Sprintf("%q is not an Ansible group name", t.AnsibleGroup), `use lower case and "_", e.g. "metabase_servers"`)
	}
	if t.FixedCount < 0 || t.FixedCount > 20 {
		c.add(f+".FixedCount", fmt.Sprintf("%d servers: a tier runs 1 to 20 (0: Scale.Servers decides)", t.FixedCount), "use 0, or 1 to 20")
	}
	if r := t.Route; r != nil {
		r.check(c, f+".Route")
	}
	if t.Port < 0 || t.Port > 65535 {
		c.add(f+".Port", fmt.Sprintf("%d is not a TCP port", t.Port), "use 1–65535, or 0 if nothing reaches the tier")
	}
	reachable := []string{ReachDatabase, ReachCache, ReachFilestore}
	for _, r := range t.Reaches {
		other, isTier := e.Tier(r)
		switch {
		case slices.Contains(reachable, r):
		case !isTier:
			c.add(f+".Reaches", fmt.Sprintf("%q is neither a tier nor database, cache or filestore", r), "name a tier of Tiers, or database, cache or filestore")
		case r == t.Name:
			c.add(f+".Reaches", "a tier reaching itself", "remove it: servers of a tier do not talk to each other")
		case other.Port == 0:
			c.add(f+".Reaches", fmt.Sprintf("%q listens on no Port", r), fmt.Sprintf("set Tiers[%s].Port, or stop reaching it", r))
		}
	}
	if t.Database != "" && !dbNameRE.MatchString(t.Database) {
		c.add(f+".Database", fmt.Sprintf("%q is not a PostgreSQL database name", t.Database), `use lower case, digits and "_", e.g. "metabase"`)
	}
	for _, sec := range t.Secrets {
		if !secretRE.MatchString(sec) || strings.HasSuffix(sec, DatabaseSecret("")) {
			c.add(f+".Secrets", fmt.Sprintf("%q is not a generated secret name, or is a database password (those come with Database)", sec), `use "<service>/<name>", e.g. "metabase/encryption-key"`)
		}
	}
	for _, b := range t.Buckets {
		if !slices.Contains(Buckets, b.Bucket) {
			c.add(f+".Buckets", fmt.Sprintf("%q is not an environment bucket", b.Bucket), fmt.Sprintf("use one of %v", Buckets))
		}
	}
	for _, img := range t.Images {
		if !slices.Contains(Images, img) {
			c.add(f+".Images", fmt.Sprintf("%q is not a repository of the shared registry", img), fmt.Sprintf("use one of %v, or add the image to environments.Images", Images))
		}
	}
	if len(t.LogFiles) == 0 {
		c.add(f+".LogFiles", "no application log files: the CloudWatch agent would ship nothing of the tier's own", `list the files its service writes, e.g. "/var/lib/docker/containers/*/*-json.log" for a container`)
	}
	for _, l := range t.LogFiles {
		if !strings.HasPrefix(l, "/") {
			c.add(f+".LogFiles", fmt.Sprintf("%q is not an absolute path", l), `write the file's path on the server, e.g. "/var/log/metabase/metabase.log"`)
		}
	}
	for _, p := range t.EgressPorts {
		if p < 1 || p > 65535 || p == 22 {
			c.add(f+".EgressPorts", fmt.Sprintf("%d", p), "use a TCP port other than 22")
		}
	}
}

// check checks how the load balancer reaches a tier: f is its path
// ("Tiers[odoo].Route").
func (r Route) check(c checker, f string) {
	if !labelRE.MatchString(r.Subdomain) {
		c.add(f+".Subdomain", fmt.Sprintf("%q is not a DNS label", r.Subdomain), `use e.g. "metabase"`)
	}
	if r.Port < 1 || r.Port > 65535 || !strings.HasPrefix(r.HealthPath, "/") {
		c.add(f, fmt.Sprintf("port %d, health path %q", r.Port, r.HealthPath), `set a TCP port and a health path starting with "/"`)
	}
	for j, x := range r.WAFExceptions {
		for _, rule := range x.Rules {
			if _, ok := WAFRelaxableRules[rule]; !ok {
				c.add(fmt.Sprintf("%s.WAFExceptions[%d].Rules", f, j), fmt.Sprintf("%q is not a core-rule-set rule an exception may relax", rule), "use a rule name of environments.WAFRelaxableRules")
			}
		}
		if len(x.Rules) == 0 || len(x.PathPrefixes) == 0 {
			c.add(fmt.Sprintf("%s.WAFExceptions[%d]", f, j), "an exception without rules or paths", "name the rules and the paths they are relaxed on")
		}
		for _, path := range x.PathPrefixes {
			if !strings.HasPrefix(path, "/") || len(path) < 2 {
				c.add(fmt.Sprintf("%s.WAFExceptions[%d].PathPrefixes", f, j), fmt.Sprintf("%q excepts every path or is not a path", path), `use a specific prefix such as "/web/dataset/"`)
			}
		}
	}
	for _, path := range r.LoginPaths {
		if !strings.HasPrefix(path, "/") || len(path) < 2 {
			c.add(f+".LoginPaths", fmt.Sprintf("%q is not a path", path), `use e.g. "/web/login"`)
		}
	}
}

// check checks one tier's server settings: field is their path
// ("Servers[ai]"). A GPU tier needs a known GPU family with MinVRAMGB.
func (s ServerSettings) check(c checker, field string, t Tier) {
	if !instanceRE.MatchString(s.InstanceType) {
		c.add(field+".InstanceType", fmt.Sprintf("%q is not an EC2 instance type", s.InstanceType), `use family.size, e.g. "m6i.large"`)
	}
	minRoot := max(t.MinRootVolumeGB, 20)
	if s.RootVolumeGB < minRoot || s.RootVolumeGB > 16384 {
		c.add(field+".RootVolumeGB", fmt.Sprintf("%d GB is too small for the OS and the tier's software", s.RootVolumeGB), fmt.Sprintf("set it to %d or more", minRoot))
	}
	if !t.GPU {
		if g, isGPU := GPUFor(s.InstanceType); isGPU && g.VRAMGB > 0 {
			c.add(field+".InstanceType", fmt.Sprintf("%s is a GPU instance for a tier that uses none", s.InstanceType), "use a general-purpose type such as m6i or t3, or set the tier's GPU")
		}
		return
	}
	g, known := GPUFor(s.InstanceType)
	switch {
	case !known:
		c.add(field+".InstanceType", fmt.Sprintf("%q is not a known GPU instance family", s.InstanceType), "use a GPU family with 24 GB or more, e.g. g5.xlarge (24 GB), g6.xlarge (24 GB) or g6e.xlarge (48 GB); add new families to environments.GPUs")
	case g.Unsupported != "":
		c.add(field+".InstanceType", fmt.Sprintf("%s: %s", s.InstanceType, g.Unsupported), "use an NVIDIA x86 family such as g5, g6 or g6e")
	case g.VRAMGB < MinVRAMGB:
		c.add(field+".InstanceType", fmt.Sprintf("%s has a %d GB %s: FLUX.1-dev with LoRA needs %d GB of VRAM at least", s.InstanceType, g.VRAMGB, g.Model, MinVRAMGB), "use g6.xlarge or g5.xlarge (24 GB, the 4-bit plan) or g6e.xlarge (48 GB, bf16)")
	}
}
