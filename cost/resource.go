package cost

import (
	"fmt"
	"strings"
)

// Priced is what one resource costs a month, by component of the
// estimate.
type Priced struct {
	// Component names the estimate's line it belongs to: "servers: odoo",
	// "root volumes (gp3)", "database: primary" …
	Component string
	// MonthlyUSD is its on-demand cost a month.
	MonthlyUSD float64
	// What says what is priced: "m6i.xlarge, 730 h".
	What string
}

// PriceResource prices one Terraform resource from its arguments (a
// synthesized resource's, or its values in a state or a plan) with the
// estimate's table and assumptions (For): instances by type and their
// schedule (hours, from the server's Role tag; ServerSchedule), gp3
// volumes by size, database instances by class (twice with Multi-AZ) and
// their gp3 storage, cache nodes by type, NAT gateways, public IPv4
// addresses, the load balancer with its assumed capacity units, interface
// endpoints per zone, KMS keys, secrets and alarms. A resource priced by
// use, or not billed, returns nothing; a price the table lacks is an
// error naming it.
func PriceResource(t *Table, region, typ string, v map[string]any, hours func(role string) float64) ([]Priced, error) {
	var out []Priced
	var missing []error
	add := func(section, key, component string, quantity float64, what string) {
		if quantity == 0 {
			return
		}
		it, err := t.Price(region, section, key)
		if err != nil {
			missing = append(missing, err)
			return
		}
		out = append(out, Priced{Component: component, MonthlyUSD: cents(quantity * it.USD), What: what})
	}
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	num := func(m map[string]any, k string) float64 { n, _ := m[k].(float64); return n }
	first := func(x any) map[string]any {
		switch b := x.(type) {
		case []any:
			if len(b) > 0 {
				m, _ := b[0].(map[string]any)
				return m
			}
		case map[string]any:
			return b
		}
		return nil
	}
	tags := func() map[string]any { m, _ := v["tags"].(map[string]any); return m }
	switch typ {
	case "aws_instance":
		role, _ := tags()["Role"].(string)
		h := HoursPerMonth
		if hours != nil {
			h = hours(role)
		}
		it := str(v, "instance_type")
		add("ec2_instances", it, "servers: "+orName(role, v), h, fmt.Sprintf("%s, %.0f h", it, h))
		if root := first(v["root_block_device"]); root != nil && gp3(str(root, "volume_type")) {
			add("ebs", "gp3", "root volumes (gp3)", num(root, "volume_size"), fmt.Sprintf("%g GB", num(root, "volume_size")))
		}
	case "aws_ebs_volume":
		if gp3(str(v, "type")) {
			role, _ := tags()["Role"].(string)
			add("ebs", "gp3", "EBS volumes (gp3): "+orName(role, v), num(v, "size"), fmt.Sprintf("%g GB", num(v, "size")))
		}
	case "aws_db_instance":
		n := 1.0
		if v["multi_az"] == true {
			n = 2
		}
		class := str(v, "instance_class")
		add("rds_instances", class, "database: "+str(v, "identifier"), n*HoursPerMonth, fmt.Sprintf("%s × %g, 730 h", class, n))
		if gp3(str(v, "storage_type")) {
			add("rds_storage", "gp3", "database storage (gp3)", n*num(v, "allocated_storage"), fmt.Sprintf("%g GB × %g", num(v, "allocated_storage"), n))
		}
	case "aws_elasticache_replication_group":
		nodes := num(v, "num_cache_clusters")
		node := str(v, "node_type")
		add("elasticache_nodes", node, "cache nodes", nodes*HoursPerMonth, fmt.Sprintf("%s × %g, 730 h", node, nodes))
	case "aws_nat_gateway":
		add("nat_gateway", "hour", "NAT gateways", HoursPerMonth, "730 h")
	case "aws_eip":
		add("vpc", "public_ipv4_hour", "public IPv4 addresses", HoursPerMonth, "730 h")
	case "aws_lb":
		add("elb", "alb_hour", "load balancer (ALB)", HoursPerMonth, "730 h")
		add("elb", "alb_lcu_hour", "load balancer capacity (LCU)", ALBCapacityUnits*HoursPerMonth, fmt.Sprintf("%g LCU, 730 h", ALBCapacityUnits))
	case "aws_vpc_endpoint":
		if str(v, "vpc_endpoint_type") == "Interface" {
			zones := float64(len(asList(v["subnet_ids"])))
			add("vpc", "interface_endpoint_hour", "interface VPC endpoints", zones*HoursPerMonth, fmt.Sprintf("%g zones, 730 h", zones))
		}
	case "aws_kms_key":
		add("kms", "key", "KMS keys", 1, "1 key")
	case "aws_secretsmanager_secret":
		add("secretsmanager", "secret", "Secrets Manager secrets", 1, "1 secret")
	case "aws_cloudwatch_metric_alarm":
		metrics := 1.0
		if q := asList(v["metric_query"]); len(q) > 0 {
			metrics = 0
			for _, m := range q {
				if mm, ok := m.(map[string]any); ok && first(mm["metric"]) != nil {
					metrics++
				}
			}
		}
		add("cloudwatch", "alarm_metric", "CloudWatch alarms", metrics, fmt.Sprintf("%g metric(s)", metrics))
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: %w", typ, missing[0])
	}
	return out, nil
}

func gp3(volumeType string) bool { return volumeType == "" || volumeType == "gp3" }

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// orName is a role, or the resource's Name tag when it has none.
func orName(role string, v map[string]any) string {
	if role != "" {
		return role
	}
	tags, _ := v["tags"].(map[string]any)
	if n, ok := tags["Name"].(string); ok {
		return n
	}
	return strings.TrimSpace(fmt.Sprint(v["id"]))
}
