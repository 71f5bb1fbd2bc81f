// Package edge creates the internet-facing Application Load Balancer: the
// only resource in the public subnets besides NAT.
//
//   - Security group: 80 and 443 from the world; egress only to its targets
//     (added as targets are wired with AllowFrom).
//   - HTTP redirects to HTTPS; HTTPS uses a TLS 1.3 policy and an ACM
//     certificate DNS-validated in the account's Route53 zone (or an
//     existing certificate).
//   - Host routing: odoo.<domain> to Odoo on 8069, odoo.<domain>/websocket*
//     to Odoo's gevent worker on 8072, n8n.<domain> to n8n main on 5678;
//     anything else gets a 404.
//   - drop_invalid_header_fields, deletion protection from Scale, access logs
//     to their own bucket, Route53 alias records, and a WAFv2 web ACL with
//     the AWS managed common and known-bad-inputs rule groups.
package edge

import (
	"encoding/json"
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
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/bucket"
	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/network"
	"github.com/influencegen/infrastructure/constructs/policy"
	"github.com/influencegen/infrastructure/environments"
)

// Ports the load balancer forwards to.
const (
	OdooPort          = 8069
	OdooWebsocketPort = 8072
	N8nPort           = 5678
)

// Props configures the load balancer.
type Props struct {
	// Info is the environment the load balancer belongs to.
	Info envinfo.Info
	// VPCID and PublicSubnetIDs place the load balancer.
	VPCID           string
	PublicSubnetIDs []string
	// Zone is the public Route53 zone (Account.Domain).
	Zone string
	// Hostnames are the environment's public names.
	Hostnames environments.Hostnames
	// Settings are the shared edge settings (TLS policy, WAF…).
	Settings environments.EdgeSettings
	// DeletionProtection refuses deletion of the load balancer. Default:
	// false.
	DeletionProtection bool
	// LogRetentionDays expires access logs.
	LogRetentionDays int
}

// TargetGroup is one target group.
type TargetGroup struct {
	// Arn is the target group ARN.
	Arn string
	// ArnSuffix is the CloudWatch dimension value.
	ArnSuffix string
	// Name is the target group name.
	Name string
	// Port is the port targets listen on.
	Port int
}

// Edge is what the rest of the platform needs from the load balancer.
type Edge struct {
	// SecurityGroup is the load balancer's group: targets AllowFrom it.
	SecurityGroup *network.SecurityGroup
	// DNSName addresses the load balancer.
	DNSName string
	// ArnSuffix is the CloudWatch LoadBalancer dimension.
	ArnSuffix string
	// Odoo, OdooWebsocket and N8n are the target groups.
	Odoo, OdooWebsocket, N8n TargetGroup
	// LogBucket receives the access logs.
	LogBucket bucket.Bucket

	scope       constructs.Construct
	attachments int
}

// Attach registers servers in a target group on its port.
func (e *Edge) Attach(tg TargetGroup, instanceIDs []string) {
	for _, id := range instanceIDs {
		e.attachments++
		lbtargetgroupattachment.NewLbTargetGroupAttachment(e.scope, jsii.String(fmt.Sprintf("attachment-%d", e.attachments)), &lbtargetgroupattachment.LbTargetGroupAttachmentConfig{
			TargetGroupArn: jsii.String(tg.Arn),
			TargetId:       jsii.String(id),
			Port:           jsii.Number(float64(tg.Port)),
		})
	}
}

// New creates the load balancer and everything in front of it.
func New(scope constructs.Construct, id string, p Props) *Edge {
	c := constructs.NewConstruct(scope, jsii.String(id))
	i, s := p.Info, p.Settings
	name := i.Name("alb")
	e := &Edge{scope: c}

	e.SecurityGroup = network.NewSecurityGroup(c, "sg", network.SecurityGroupProps{
		Info: i, VPCID: p.VPCID, Name: name,
		Description: "Public load balancer: HTTP and HTTPS from the internet, out to its targets only",
	})
	e.SecurityGroup.AllowFromCIDR("0.0.0.0/0", 80, "HTTP from the internet (redirected to HTTPS)")
	e.SecurityGroup.AllowFromCIDR("0.0.0.0/0", 443, "HTTPS from the internet")

	logPrefix, logBucket := "alb", i.Name("alb-logs-"+i.AccountID)
	e.LogBucket = bucket.New(c, "logs", bucket.Props{
		Name:                  logBucket,
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
		Subnets:                  jsii.Strings(p.PublicSubnetIDs...),
		SecurityGroups:           jsii.Strings(e.SecurityGroup.ID),
		DropInvalidHeaderFields:  jsii.Bool(true),
		EnableDeletionProtection: jsii.Bool(p.DeletionProtection),
		EnableHttp2:              jsii.Bool(true),
		DesyncMitigationMode:     jsii.String("defensive"),
		IdleTimeout:              jsii.Number(float64(s.IdleTimeoutSeconds)),
		AccessLogs: &lb.LbAccessLogs{
			Bucket:  jsii.String(e.LogBucket.Name),
			Prefix:  jsii.String(logPrefix),
			Enabled: jsii.Bool(true),
		},
		Tags: i.Tags(name),
	})
	e.DNSName, e.ArnSuffix = *alb.DnsName(), *alb.ArnSuffix()

	tg := func(cid, suffix string, port int, healthPath string, sticky bool) TargetGroup {
		tgName := i.Name(suffix)
		var stickiness *lbtargetgroup.LbTargetGroupStickiness
		if sticky {
			stickiness = &lbtargetgroup.LbTargetGroupStickiness{
				Type:           jsii.String("lb_cookie"),
				Enabled:        jsii.Bool(true),
				CookieDuration: jsii.Number(3600),
			}
		}
		t := lbtargetgroup.NewLbTargetGroup(c, jsii.String(cid), &lbtargetgroup.LbTargetGroupConfig{
			Name:                jsii.String(tgName),
			Port:                jsii.Number(float64(port)),
			Protocol:            jsii.String("HTTP"),
			TargetType:          jsii.String("instance"),
			VpcId:               jsii.String(p.VPCID),
			DeregistrationDelay: jsii.String("30"),
			HealthCheck: &lbtargetgroup.LbTargetGroupHealthCheck{
				Enabled:            jsii.Bool(true),
				Path:               jsii.String(healthPath),
				Port:               jsii.String("traffic-port"),
				Protocol:           jsii.String("HTTP"),
				Matcher:            jsii.String("200"),
				Interval:           jsii.Number(15),
				Timeout:            jsii.Number(5),
				HealthyThreshold:   jsii.Number(2),
				UnhealthyThreshold: jsii.Number(3),
			},
			Stickiness: stickiness,
			Tags:       i.Tags(tgName),
		})
		return TargetGroup{Arn: *t.Arn(), ArnSuffix: *t.ArnSuffix(), Name: tgName, Port: port}
	}
	e.Odoo = tg("odoo-tg", "odoo", OdooPort, "/web/health", true)
	e.OdooWebsocket = tg("odoo-ws-tg", "odoo-ws", OdooWebsocketPort, "/web/health", true)
	e.N8n = tg("n8n-tg", "n8n", N8nPort, "/healthz", false)

	// Certificate: an existing one, or one DNS-validated in the zone.
	zone := dataawsroute53zone.NewDataAwsRoute53Zone(c, jsii.String("zone"), &dataawsroute53zone.DataAwsRoute53ZoneConfig{
		Name:        jsii.String(p.Zone),
		PrivateZone: jsii.Bool(false),
	})
	certArn := s.CertificateArn
	if certArn == "" {
		cert := acmcertificate.NewAcmCertificate(c, jsii.String("certificate"), &acmcertificate.AcmCertificateConfig{
			DomainName:              jsii.String(p.Hostnames.Odoo),
			SubjectAlternativeNames: jsii.Strings(p.Hostnames.N8n),
			ValidationMethod:        jsii.String("DNS"),
			KeyAlgorithm:            jsii.String("EC_prime256v1"),
			Tags:                    i.Tags(p.Hostnames.Odoo),
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
	rule := func(cid string, priority int, host string, paths []string, target TargetGroup) {
		cond := []lblistenerrule.LbListenerRuleCondition{{
			HostHeader: &lblistenerrule.LbListenerRuleConditionHostHeader{Values: jsii.Strings(host)},
		}}
		if len(paths) > 0 {
			cond = append(cond, lblistenerrule.LbListenerRuleCondition{
				PathPattern: &lblistenerrule.LbListenerRuleConditionPathPattern{Values: jsii.Strings(paths...)},
			})
		}
		lblistenerrule.NewLbListenerRule(c, jsii.String(cid), &lblistenerrule.LbListenerRuleConfig{
			ListenerArn: https.Arn(),
			Priority:    jsii.Number(float64(priority)),
			Condition:   cond,
			Action: []lblistenerrule.LbListenerRuleAction{{
				Type:           jsii.String("forward"),
				TargetGroupArn: jsii.String(target.Arn),
			}},
			Tags: i.Tags(i.Name(cid)),
		})
	}
	rule("odoo-websocket-rule", 10, p.Hostnames.Odoo, []string{"/websocket*"}, e.OdooWebsocket)
	rule("odoo-rule", 20, p.Hostnames.Odoo, nil, e.Odoo)
	rule("n8n-rule", 30, p.Hostnames.N8n, nil, e.N8n)

	for _, r := range []struct{ cid, host string }{{"odoo-dns", p.Hostnames.Odoo}, {"n8n-dns", p.Hostnames.N8n}} {
		route53record.NewRoute53Record(c, jsii.String(r.cid), &route53record.Route53RecordConfig{
			ZoneId: zone.ZoneId(),
			Name:   jsii.String(r.host),
			Type:   jsii.String("A"),
			Alias: &route53record.Route53RecordAlias{
				Name:                 alb.DnsName(),
				ZoneId:               alb.ZoneId(),
				EvaluateTargetHealth: jsii.Bool(true),
			},
		})
	}

	if s.WAF {
		acl := wafv2webacl.NewWafv2WebAcl(c, jsii.String("waf"), &wafv2webacl.Wafv2WebAclConfig{
			Name:          jsii.String(i.Name("web")),
			Description:   jsii.String("InfluenceGen " + i.Env + ": managed rules in front of Odoo and n8n"),
			Scope:         jsii.String("REGIONAL"),
			DefaultAction: &wafv2webacl.Wafv2WebAclDefaultAction{Allow: &wafv2webacl.Wafv2WebAclDefaultActionAllow{}},
			RuleJson:      jsii.String(wafRules(i.Prefix, s.WAFRateLimit)),
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
	}
	return e
}

// wafRules renders the web ACL's rules in the WAFv2 API's JSON form:
// the AWS managed common rule set (with the 8 KB body limit counted, not
// blocked: Odoo attachments and n8n webhooks carry larger bodies), the
// known-bad-inputs rule set, and an optional per-IP rate limit.
func wafRules(prefix string, rateLimit int) string {
	visibility := func(metric string) map[string]any {
		return map[string]any{"CloudWatchMetricsEnabled": true, "MetricName": prefix + "-" + metric, "SampledRequestsEnabled": true}
	}
	managed := func(name string, priority int, overrides []map[string]any) map[string]any {
		stmt := map[string]any{"VendorName": "AWS", "Name": name}
		if len(overrides) > 0 {
			stmt["RuleActionOverrides"] = overrides
		}
		return map[string]any{
			"Name":             name,
			"Priority":         priority,
			"OverrideAction":   map[string]any{"None": map[string]any{}},
			"Statement":        map[string]any{"ManagedRuleGroupStatement": stmt},
			"VisibilityConfig": visibility(name),
		}
	}
	rules := []map[string]any{
		managed("AWSManagedRulesCommonRuleSet", 10, []map[string]any{{
			"Name":        "SizeRestrictions_BODY",
			"ActionToUse": map[string]any{"Count": map[string]any{}},
		}}),
		managed("AWSManagedRulesKnownBadInputsRuleSet", 20, nil),
	}
	if rateLimit > 0 {
		rules = append(rules, map[string]any{
			"Name":             "RateLimitPerIP",
			"Priority":         30,
			"Action":           map[string]any{"Block": map[string]any{}},
			"Statement":        map[string]any{"RateBasedStatement": map[string]any{"Limit": rateLimit, "AggregateKeyType": "IP"}},
			"VisibilityConfig": visibility("rate-limit"),
		})
	}
	b, err := json.Marshal(rules)
	if err != nil {
		panic(err)
	}
	return string(b)
}
