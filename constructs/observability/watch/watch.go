// Package watch says how many CloudWatch alarms an environment has, per
// thing they watch: what the observability construct creates and what the
// cost estimate bills, kept in one place. It holds no jsii types, so the
// estimate can use it without the construct library; the observability
// construct checks, as it builds each family of alarms, that it made
// exactly these many (a change to one without the other fails synthesis).
package watch

// Alarms per thing watched.
const (
	// LoadBalancerAlarms: ELB 5xx, target 5xx, p95 latency.
	LoadBalancerAlarms = 3
	// TargetGroupAlarms, per routed tier: unhealthy hosts, no healthy host.
	TargetGroupAlarms = 2
	// DatabaseAlarms, per RDS instance (primary and each replica): CPU,
	// free storage, freeable memory, connections.
	DatabaseAlarms = 4
	// ReplicaAlarms, per read replica besides its DatabaseAlarms: lag.
	ReplicaAlarms = 1
	// CacheNodeAlarms, per Redis node: engine CPU, memory, evictions.
	CacheNodeAlarms = 3
	// ServerAlarms, per server: system check, instance check, CPU.
	ServerAlarms = 3
	// GPUServerAlarms, per GPU server besides its ServerAlarms: GPU
	// utilization, and GPU memory as a metric-math expression over two
	// metrics (used / total), billed by each metric it reads.
	GPUServerAlarms = 2
	// GPUServerExtraMetrics are the metrics GPU alarms read beyond one per
	// alarm (the memory expression's second metric).
	GPUServerExtraMetrics = 1
	// FilestoreAlarms: EFS PercentIOLimit.
	FilestoreAlarms = 1
)

// Inventory is what an environment has that alarms watch.
type Inventory struct {
	// RoutedTiers are the tiers behind the load balancer (one target group
	// each).
	RoutedTiers int
	// DatabaseReplicas are the RDS read replicas (the primary is always
	// there).
	DatabaseReplicas int
	// CacheNodes are the Redis nodes.
	CacheNodes int
	// Servers are every EC2 server; GPUServers those of GPU tiers (counted
	// in Servers too).
	Servers, GPUServers int
}

// Count returns the environment's alarms and the metrics they are billed
// by (CloudWatch bills a metric-math alarm per metric it reads).
func Count(inv Inventory) (alarms, metrics int) {
	alarms = LoadBalancerAlarms + TargetGroupAlarms*inv.RoutedTiers +
		DatabaseAlarms*(1+inv.DatabaseReplicas) + ReplicaAlarms*inv.DatabaseReplicas +
		CacheNodeAlarms*inv.CacheNodes +
		ServerAlarms*inv.Servers + GPUServerAlarms*inv.GPUServers +
		FilestoreAlarms
	return alarms, alarms + GPUServerExtraMetrics*inv.GPUServers
}
