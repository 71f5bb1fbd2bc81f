// Package edge creates the internet-facing Application Load Balancer: the
// only resource in the public subnets besides NAT.
//
//   - Security group: 80 and 443 from the world; egress only to its targets
//     (added as targets are wired with AllowFrom).
//   - HTTP redirects to HTTPS; HTTPS uses a TLS 1.3 policy and an ACM
//     certificate DNS-validated in the account's Route53 zone (or an
//     existing certificate).
//   - Host routing: each tier with a Route (environments.Tier) gets a
//     target group, a listener rule for its host, a DNS alias and a name on
//     the certificate, through Route; anything else gets a 404.
//   - drop_invalid_header_fields, deletion protection from Scale, access logs
//     to their own bucket, Route53 alias records, and a WAFv2 web ACL with
//     the AWS managed common and known-bad-inputs rule groups.
package edge

import (
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/acmcertificate"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/acmcertificatevalidation"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsroute53zone"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/lb"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/lblistener"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/lblistenerrule"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/lbtargetgroup"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/lbtargetgroupattachment"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/route53record"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/wafv2webacl"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/wafv2webaclassociation"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/wafv2webaclloggingconfiguration"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/bucket"
	"github.com/influencegen/infrastructure/constructs/compute"
	"github.com/influencegen/infrastructure/constructs/encryption"
	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/logs"
	"github.com/influencegen/infrastructure/constructs/network"
	"github.com/influencegen/infrastructure/constructs/policy"
	"github.com/influencegen/infrastructure/environments"
)

// Props configures the load balancer.
type Props struct {
	// Info is the environment the load balancer belongs to.
	Info envinfo.Info
	// Network places the load balancer in its public subnets.
	Network *network.Network
	// Zone is the public Route53 zone (Account.Domain).
	Zone string
	// Hosts are every public name the load balancer will answer to (the
	// hosts of the routes to come): the certificate covers them, the
	// first as its domain name.
	Hosts []string
	// Settings are the shared edge settings (TLS policy, WAF…).
	Settings environments.EdgeSettings
	// DeletionProtection refuses deletion of the load balancer and of its
	// access logs; without it, destroy empties the log bucket (never empty
	// while the load balancer runs). Default: false.
	DeletionProtection bool
	// LogRetentionDays expires access logs and WAF logs.
	LogRetentionDays int
	// LogsKey encrypts the WAF log group.
	LogsKey encryption.Key
	// WAFRoutes are the routes' WAF exceptions and login paths, by host.
	// Default: none.
	WAFRoutes []WAFRoute
}

// TargetGroup is one route's target group.
type TargetGroup struct {
	// Label is the route's ID, e.g. "odoo": alarms and widgets name it.
	Label string
	// Arn is the target group ARN.
	Arn string
	// ArnSuffix is the CloudWatch dimension value.
	ArnSuffix string
}

// Edge is what the rest of the platform needs from the load balancer.
type Edge struct {
	// SecurityGroup is the load balancer's group: targets AllowFrom it.
	SecurityGroup *network.SecurityGroup
	// DNSName addresses the load balancer.
	DNSName string
	// ArnSuffix is the CloudWatch LoadBalancer dimension.
	ArnSuffix string
	// LogBucket receives the access logs.
	LogBucket bucket.Bucket
	// TargetGroups are the routes' target groups, in the order routed.
	TargetGroups []TargetGroup

	scope                   constructs.Construct
	info                    envinfo.Info
	vpcID, httpsArn, zoneID string
	albDNSName, albZoneID   *string
	hosts                   map[string]bool
	priorities              map[int]string
}

// RouteProps is one service behind the load balancer.
type RouteProps struct {
	// Host is the public name requests are routed by; it must be one of
	// Props.Hosts.
	Host string
	// Priority orders the listener rules: unique, lower first.
	Priority int
	// Port is the port the servers listen on for the load balancer.
	Port int
	// HealthPath is the health check path; HTTP 200 is healthy.
	HealthPath string
	// Sticky keeps a client on one server with a load-balancer cookie.
	// Default: false.
	Sticky bool
	// Servers are the targets, registered by instance ID.
	Servers *compute.Group
	// SecurityGroup is the servers' group: it admits the load balancer on
	// Port, and the load balancer may reach it there.
	SecurityGroup *network.SecurityGroup
}

// Route sends requests for a host to a group of servers: it creates the
// target group, the listener rule, the DNS alias, the rule
// admitting the load balancer into the servers' security group, and the
// registration of every server. Every construct ID comes from the route's
// id and the server's index, so a new server only adds its registration.
func (e *Edge) Route(id string, r RouteProps) {
	i := e.info
	if !e.hosts[r.Host] {
		panic(fmt.Sprintf("edge: route %s: host %s is not among Props.Hosts, so the certificate does not cover it", id, r.Host))
	}
	if other, taken := e.priorities[r.Priority]; taken {
		panic(fmt.Sprintf("edge: routes %s and %s have the same priority %d", other, id, r.Priority))
	}
	e.priorities[r.Priority] = id
	name := i.Name(id)
	var stickiness *lbtargetgroup.LbTargetGroupStickiness
	if r.Sticky {
		stickiness = &lbtargetgroup.LbTargetGroupStickiness{
			Type:           jsii.String("lb_cookie"),
			Enabled:        jsii.Bool(true),
			CookieDuration: jsii.Number(3600),
		}
	}
	// No name: name, port, protocol and VPC force a replacement, and a
	// target group still used by a listener rule cannot be deleted
	// (provider internal/service/elbv2/target_group.go), so a replacement
	// must create the new group first, under a name the provider
	// generates. The Name tag carries the readable name.
	t := lbtargetgroup.NewLbTargetGroup(e.scope, jsii.String(id+"-tg"), &lbtargetgroup.LbTargetGroupConfig{
		Port:                jsii.Number(float64(r.Port)),
		Protocol:            jsii.String("HTTP"),
		TargetType:          jsii.String("instance"),
		VpcId:               jsii.String(e.vpcID),
		DeregistrationDelay: jsii.String("30"),
		HealthCheck: &lbtargetgroup.LbTargetGroupHealthCheck{
			Enabled:            jsii.Bool(true),
			Path:               jsii.String(r.HealthPath),
			Port:               jsii.String("traffic-port"),
			Protocol:           jsii.String("HTTP"),
			Matcher:            jsii.String("200"),
			Interval:           jsii.Number(15),
			Timeout:            jsii.Number(5),
			HealthyThreshold:   jsii.Number(2),
			UnhealthyThreshold: jsii.Number(3),
		},
		Stickiness: stickiness,
		Tags:       i.Tags(name),
		Lifecycle:  &cdktf.TerraformResourceLifecycle{CreateBeforeDestroy: jsii.Bool(true)},
	})
	tg := TargetGroup{Label: id, Arn: *t.Arn(), ArnSuffix: *t.ArnSuffix()}

	lblistenerrule.NewLbListenerRule(e.scope, jsii.String(id+"-rule"), &lblistenerrule.LbListenerRuleConfig{
		ListenerArn: jsii.String(e.httpsArn),
		Priority:    jsii.Number(float64(r.Priority)),
		Condition: []lblistenerrule.LbListenerRuleCondition{{
			HostHeader: &lblistenerrule.LbListenerRuleConditionHostHeader{Values: jsii.Strings(r.Host)},
		}},
		Action: []lblistenerrule.LbListenerRuleAction{{
			Type:           jsii.String("forward"),
			TargetGroupArn: jsii.String(tg.Arn),
		}},
		Tags: i.Tags(name),
	})
	route53record.NewRoute53Record(e.scope, jsii.String(id+"-dns"), &route53record.Route53RecordConfig{
		ZoneId: jsii.String(e.zoneID),
		Name:   jsii.String(r.Host),
		Type:   jsii.String("A"),
		Alias: &route53record.Route53RecordAlias{
			Name:                 e.albDNSName,
			ZoneId:               e.albZoneID,
			EvaluateTargetHealth: jsii.Bool(true),
		},
	})
	r.SecurityGroup.AllowFrom(e.SecurityGroup, r.Port, fmt.Sprintf("%s (%s) from the load balancer", r.Host, id))
	for n, server := range r.Servers.Instances {
		lbtargetgroupattachment.NewLbTargetGroupAttachment(e.scope, jsii.String(fmt.Sprintf("%s-server-%d", id, n+1)), &lbtargetgroupattachment.LbTargetGroupAttachmentConfig{
			TargetGroupArn: jsii.String(tg.Arn),
			TargetId:       jsii.String(server.ID),
			Port:           jsii.Number(float64(r.Port)),
		})
	}
	e.TargetGroups = append(e.TargetGroups, tg)
}

// New creates the load balancer and everything in front of it.
func New(scope constructs.Construct, id string, p Props) *Edge {
	c := constructs.NewConstruct(scope, jsii.String(id))
	i, s := p.Info, p.Settings
	name := i.Name(id)
	e := &Edge{
		scope: c, info: i, vpcID: p.Network.VPCID,
		hosts: map[string]bool{}, priorities: map[int]string{},
	}
	for _, h := range p.Hosts {
		e.hosts[h] = true
	}

	e.SecurityGroup = network.NewSecurityGroup(c, "sg", network.SecurityGroupProps{
		Info: i, VPCID: p.Network.VPCID, Label: id,
		Description: "Public load balancer: HTTP and HTTPS from the internet, out to its targets only",
	})
	e.SecurityGroup.AllowFromCIDR("0.0.0.0/0", "internet", 80, "HTTP from the internet (redirected to HTTPS)")
	e.SecurityGroup.AllowFromCIDR("0.0.0.0/0", "internet", 443, "HTTPS from the internet")

	logPrefix, logBucket := "alb", i.Name(id+"-logs-"+i.AccountID)
	e.LogBucket = bucket.New(c, "logs", bucket.Props{
		Info:                  i,
		Name:                  logBucket,
		Label:                 "AccessLogs",
		PreventDestroy:        p.DeletionProtection,
		ExpireAfterDays:       p.LogRetentionDays,
		NoncurrentVersionDays: 7,
		ExtraStatements: []policy.Statement{{
			Sid:       "LoadBalancerWritesAccessLogs",
			Principal: logDeliveryPrincipal(i.Partition, i.Region),
			Actions:   []string{"s3:PutObject"},
			Resources: []string{fmt.Sprintf("arn:%s:s3:::%s/%s/AWSLogs/%s/*", i.Partition, logBucket, logPrefix, i.AccountID)},
		}},
	})

	alb := lb.NewLb(c, jsii.String("alb"), &lb.LbConfig{
		Name:                     jsii.String(name),
		Internal:                 jsii.Bool(false),
		LoadBalancerType:         jsii.String("application"),
		IpAddressType:            jsii.String("ipv4"),
		Subnets:                  jsii.Strings(p.Network.PublicSubnetIDs...),
		SecurityGroups:           jsii.Strings(e.SecurityGroup.ID),
		DropInvalidHeaderFields:  jsii.Bool(true),
		EnableDeletionProtection: jsii.Bool(p.DeletionProtection),
		EnableHttp2:              jsii.Bool(true),
		DesyncMitigationMode:     jsii.String("defensive"),
		IdleTimeout:              jsii.Number(float64(s.IdleTimeoutSeconds)),
		AccessLogs: &lb.LbAccessLogs{
			// Through the bucket policy: ELB writes a test object when
			// access logs are enabled and fails without the policy.
			Bucket:  jsii.String(e.LogBucket.PolicyApplied),
			Prefix:  jsii.String(logPrefix),
			Enabled: jsii.Bool(true),
		},
		Tags: i.Tags(name),
	})
	e.DNSName, e.ArnSuffix = *alb.DnsName(), *alb.ArnSuffix()
	e.albDNSName, e.albZoneID = alb.DnsName(), alb.ZoneId()

	// Certificate: an existing one, or one DNS-validated in the zone.
	zone := dataawsroute53zone.NewDataAwsRoute53Zone(c, jsii.String("zone"), &dataawsroute53zone.DataAwsRoute53ZoneConfig{
		Name:        jsii.String(p.Zone),
		PrivateZone: jsii.Bool(false),
	})
	certArn := s.CertificateArn
	if certArn == "" {
		cert := acmcertificate.NewAcmCertificate(c, jsii.String("certificate"), &acmcertificate.AcmCertificateConfig{
			DomainName:              jsii.String(p.Hosts[0]),
			SubjectAlternativeNames: jsii.Strings(p.Hosts[1:]...),
			ValidationMethod:        jsii.String("DNS"),
			KeyAlgorithm:            jsii.String("EC_prime256v1"),
			Tags:                    i.Tags(p.Hosts[0]),
			Lifecycle:               &cdktf.TerraformResourceLifecycle{CreateBeforeDestroy: jsii.Bool(true)},
		})
		// One record per domain, keyed by domain_name: the provider knows
		// the domain names at plan time but not the records
		// (internal/service/acm/certificate.go, CustomizeDiff). The keys
		// must come from iterating the set itself: tolist() of a set with
		// unknown parts is unknown, and FromComplexList renders tolist(),
		// so a first plan fails "Invalid for_each argument". The for_each
		// is therefore written out (overridden below).
		dvo := cdktf.TerraformIterator_FromComplexList(cert.DomainValidationOptions(), jsii.String("domain_name"))
		records := route53record.NewRoute53Record(c, jsii.String("certificate-validation-records"), &route53record.Route53RecordConfig{
			ForEach:        dvo,
			ZoneId:         zone.ZoneId(),
			Name:           dvo.GetString(jsii.String("resource_record_name")),
			Type:           dvo.GetString(jsii.String("resource_record_type")),
			Records:        jsii.Strings(*dvo.GetString(jsii.String("resource_record_value"))),
			Ttl:            jsii.Number(300),
			AllowOverwrite: jsii.Bool(true),
		})
		records.AddOverride(jsii.String("for_each"), fmt.Sprintf("${{ for dvo in %s.%s.domain_validation_options : dvo.domain_name => dvo }}",
			*cert.TerraformResourceType(), *cert.FriendlyUniqueId()))
		validation := acmcertificatevalidation.NewAcmCertificateValidation(c, jsii.String("certificate-validation"), &acmcertificatevalidation.AcmCertificateValidationConfig{
			CertificateArn: cert.Arn(),
			// The FQDN of each validation record: a list of strings. (values()
			// of the records would be a list of objects, which Terraform
			// rejects at plan: "element 0: string required".)
			ValidationRecordFqdns: cdktf.Token_AsList(cdktf.TerraformIterator_FromResources(records).ForExpressionForList(jsii.String("val.fqdn")), nil),
		})
		certArn = *validation.CertificateArn()
	}

	lblistener.NewLbListener(c, jsii.String("http"), &lblistener.LbListenerConfig{
		LoadBalancerArn: alb.Arn(),
		Port:            jsii.Number(80),
		Protocol:        jsii.String("HTTP"),
		DefaultAction: []lblistener.LbListenerDefaultAction{{
			Type: jsii.String("redirect"),
			Redirect: &lblistener.LbListenerDefaultActionRedirect{
				Protocol:   jsii.String("HTTPS"),
				Port:       jsii.String("443"),
				StatusCode: jsii.String("HTTP_301"),
			},
		}},
		Tags: i.Tags(name + "-http"),
	})
	https := lblistener.NewLbListener(c, jsii.String("https"), &lblistener.LbListenerConfig{
		LoadBalancerArn: alb.Arn(),
		Port:            jsii.Number(443),
		Protocol:        jsii.String("HTTPS"),
		SslPolicy:       jsii.String(s.TLSPolicy),
		CertificateArn:  jsii.String(certArn),
		DefaultAction: []lblistener.LbListenerDefaultAction{{
			Type: jsii.String("fixed-response"),
			FixedResponse: &lblistener.LbListenerDefaultActionFixedResponse{
				ContentType: jsii.String("text/plain"),
				MessageBody: jsii.String("Not found"),
				StatusCode:  jsii.String("404"),
			},
		}},
		Tags: i.Tags(name + "-https"),
	})
	e.httpsArn = *https.Arn()
	e.zoneID = *zone.ZoneId()

	if s.WAF {
		acl := wafv2webacl.NewWafv2WebAcl(c, jsii.String("waf"), &wafv2webacl.Wafv2WebAclConfig{
			Name:          jsii.String(i.Name("web")),
			Description:   jsii.String("InfluenceGen " + i.Env + ": managed rules in " + s.WAFMode + " mode, in front of the routed tiers"),
			Scope:         jsii.String("REGIONAL"),
			DefaultAction: &wafv2webacl.Wafv2WebAclDefaultAction{Allow: &wafv2webacl.Wafv2WebAclDefaultActionAllow{}},
			RuleJson:      jsii.String(WAFRules(i.Prefix, s, p.WAFRoutes)),
			VisibilityConfig: &wafv2webacl.Wafv2WebAclVisibilityConfig{
				CloudwatchMetricsEnabled: jsii.Bool(true),
				MetricName:               jsii.String(i.Name("web")),
				SampledRequestsEnabled:   jsii.Bool(true),
			},
			Tags: i.Tags(i.Name("web")),
		})
		wafv2webaclassociation.NewWafv2WebAclAssociation(c, jsii.String("waf-association"), &wafv2webaclassociation.Wafv2WebAclAssociationConfigA{
			ResourceArn: alb.Arn(),
			WebAclArn:   acl.Arn(),
		})
		// Every request the rules match (and, in count mode, would block)
		// is logged: the rollout reads these logs before it blocks. The
		// name must start with aws-waf-logs- (WAF Developer Guide,
		// "Sending web ACL traffic logs to a CloudWatch Logs log group").
		wafLogs := logs.NewGroup(c, "waf-logs", logs.Props{Info: i, Name: "aws-waf-logs-" + i.Prefix, RetentionDays: p.LogRetentionDays, KeyArn: p.LogsKey.Arn})
		wafv2webaclloggingconfiguration.NewWafv2WebAclLoggingConfiguration(c, jsii.String("waf-logging"), &wafv2webaclloggingconfiguration.Wafv2WebAclLoggingConfigurationConfig{
			ResourceArn:           acl.Arn(),
			LogDestinationConfigs: jsii.Strings(*wafLogs.Arn()),
			RedactedFields: []wafv2webaclloggingconfiguration.Wafv2WebAclLoggingConfigurationRedactedFields{
				{SingleHeader: &wafv2webaclloggingconfiguration.Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader{Name: jsii.String("authorization")}},
				{SingleHeader: &wafv2webaclloggingconfiguration.Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader{Name: jsii.String("cookie")}},
			},
		})
	}
	return e
}
