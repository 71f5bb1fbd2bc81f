package observability

import (
	"encoding/json"
	"sort"
	"strconv"
)

// widget is one CloudWatch dashboard widget.
type widget struct {
	Type       string         `json:"type"`
	X          int            `json:"x"`
	Y          int            `json:"y"`
	Width      int            `json:"width"`
	Height     int            `json:"height"`
	Properties map[string]any `json:"properties"`
}

// layout places widgets row by row, 24 units wide.
type layout struct {
	widgets []widget
	y       int
	region  string
}

func (l *layout) heading(text string) {
	l.widgets = append(l.widgets, widget{Type: "text", X: 0, Y: l.y, Width: 24, Height: 1, Properties: map[string]any{"markdown": "## " + text}})
	l.y++
}

// row adds widgets of equal width side by side.
func (l *layout) row(height int, ws ...map[string]any) {
	width := 24 / len(ws)
	for n, props := range ws {
		t := "metric"
		if _, ok := props["alarms"]; ok {
			t = "alarm"
		} else {
			props["region"] = l.region
			props["view"] = "timeSeries"
			if _, ok := props["period"]; !ok {
				props["period"] = 60
			}
		}
		l.widgets = append(l.widgets, widget{Type: t, X: n * width, Y: l.y, Width: width, Height: height, Properties: props})
	}
	l.y += height
}

// m is one metric line: namespace, name, dimension pairs, then options.
func m(namespace, name string, dims map[string]string, opts map[string]any) []any {
	line := []any{namespace, name}
	for _, k := range sortedKeys(dims) {
		line = append(line, k, dims[k])
	}
	if opts != nil {
		line = append(line, opts)
	}
	return line
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func graph(title string, stat string, metrics ...[]any) map[string]any {
	return map[string]any{"title": title, "stat": stat, "metrics": metrics}
}

// dashboard lays out the environment's health for a person: alarms first,
// then traffic at the edge, the applications, the data tier and the GPUs.
func dashboard(p Props, alarmArns []string) string {
	l := &layout{region: p.Info.Region}
	lb := map[string]string{"LoadBalancer": p.LoadBalancerArnSuffix}

	l.heading("InfluenceGen " + p.Info.Env + " — alarms")
	l.row(6, map[string]any{"title": "Alarm states", "alarms": alarmArns, "sortBy": "stateUpdatedTimestamp", "states": []string{"ALARM", "INSUFFICIENT_DATA", "OK"}})

	l.heading("Edge: traffic and errors")
	l.row(6,
		graph("Requests", "Sum", m("AWS/ApplicationELB", "RequestCount", lb, nil)),
		graph("5xx", "Sum",
			m("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", lb, map[string]any{"label": "load balancer 5xx"}),
			m("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", lb, map[string]any{"label": "targets 5xx"})),
		graph("Response time", "p95",
			m("AWS/ApplicationELB", "TargetResponseTime", lb, map[string]any{"stat": "p50", "label": "p50"}),
			m("AWS/ApplicationELB", "TargetResponseTime", lb, map[string]any{"stat": "p95", "label": "p95"})),
	)

	l.heading("Services: latency and health")
	var healthy, latency [][]any
	for _, tg := range p.TargetGroups {
		dims := map[string]string{"LoadBalancer": p.LoadBalancerArnSuffix, "TargetGroup": tg.ArnSuffix}
		label := tg.Label
		healthy = append(healthy, m("AWS/ApplicationELB", "HealthyHostCount", dims, map[string]any{"label": label}))
		latency = append(latency, m("AWS/ApplicationELB", "TargetResponseTime", dims, map[string]any{"label": label}))
	}
	var cpu [][]any
	for _, t := range p.Tiers {
		for n, in := range t.Servers.Instances {
			cpu = append(cpu, m("AWS/EC2", "CPUUtilization", map[string]string{"InstanceId": in.ID}, map[string]any{"label": t.Name + "-" + strconv.Itoa(n+1)}))
		}
	}
	l.row(6,
		graph("Healthy targets", "Minimum", healthy...),
		graph("Response time by service (p95)", "p95", latency...),
		graph("Server CPU", "Average", cpu...),
	)

	l.heading("Database and cache")
	var dbCPU, dbConn, dbStorage, lag [][]any
	for n, id := range append([]string{p.DatabaseID}, p.ReplicaIDs...) {
		dims := map[string]string{"DBInstanceIdentifier": id}
		label := map[string]any{"label": "primary"}
		if n > 0 {
			label = map[string]any{"label": "replica " + strconv.Itoa(n)}
			lag = append(lag, m("AWS/RDS", "ReplicaLag", dims, label))
		}
		dbCPU = append(dbCPU, m("AWS/RDS", "CPUUtilization", dims, label))
		dbConn = append(dbConn, m("AWS/RDS", "DatabaseConnections", dims, label))
		dbStorage = append(dbStorage, m("AWS/RDS", "FreeStorageSpace", dims, label))
	}
	var redisCPU, redisMem, evictions [][]any
	for n := 1; n <= p.CacheNodes; n++ {
		dims := map[string]string{"CacheClusterId": CacheNodeID(p.CacheID, n)}
		label := map[string]any{"label": "node " + strconv.Itoa(n)}
		redisCPU = append(redisCPU, m("AWS/ElastiCache", "EngineCPUUtilization", dims, label))
		redisMem = append(redisMem, m("AWS/ElastiCache", "DatabaseMemoryUsagePercentage", dims, label))
		evictions = append(evictions, m("AWS/ElastiCache", "Evictions", dims, label))
	}
	dbRow := []map[string]any{
		graph("PostgreSQL CPU", "Average", dbCPU...),
		graph("PostgreSQL connections", "Maximum", dbConn...),
		graph("PostgreSQL free storage", "Minimum", dbStorage...),
	}
	if len(lag) > 0 {
		dbRow = append(dbRow, graph("Replica lag (s)", "Maximum", lag...))
	}
	l.row(6, dbRow...)
	l.row(6,
		graph("Redis engine CPU", "Average", redisCPU...),
		graph("Redis memory used (%)", "Maximum", redisMem...),
		graph("Redis evictions", "Sum", evictions...),
		graph("Filestore I/O limit (%)", "Maximum", m("AWS/EFS", "PercentIOLimit", map[string]string{"FileSystemId": p.FilestoreID}, nil)),
	)

	var gpuUtil, gpuMem [][]any
	for _, t := range p.Tiers {
		if !t.GPU {
			continue
		}
		for n, in := range t.Servers.Instances {
			dims := map[string]string{"InstanceId": in.ID}
			label := map[string]any{"label": t.Name + " " + strconv.Itoa(n+1)}
			gpuUtil = append(gpuUtil, m("CWAgent", GPUUtilizationMetric, dims, label))
			gpuMem = append(gpuMem, m("CWAgent", GPUMemoryUsedMetric, dims, label))
		}
	}
	if len(gpuUtil) > 0 {
		l.heading("GPU use")
		l.row(6,
			graph("GPU utilization (%)", "Average", gpuUtil...),
			graph("GPU memory used (MiB)", "Maximum", gpuMem...),
		)
	}

	b, err := json.Marshal(map[string]any{"widgets": l.widgets})
	if err != nil {
		panic(err)
	}
	return string(b)
}
