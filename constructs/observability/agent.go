package observability

import (
	"embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/influencegen/infrastructure/constructs/compute"
)

// The CloudWatch agent's configuration lives in agent/: the base file every
// server runs (memory, disk and swap metrics, syslog and auth.log) and the
// NVIDIA GPU section the model servers add. AgentConfig renders one
// server role's file; the stack stores it in SSM Parameter Store, and
// Ansible's common role makes the agent fetch it from there.
//
//go:embed agent/cloudwatch-agent.json agent/nvidia-gpu.json
var agentFiles embed.FS

// LogGroupPrefixPlaceholder is replaced by "/<project>-<env>" in the files.
const LogGroupPrefixPlaceholder = "{{log_group_prefix}}"

// GPUMetrics are the CWAgent metric names the nvidia_gpu plugin publishes
// that the alarms and dashboard use.
const (
	GPUUtilizationMetric = "nvidia_smi_utilization_gpu"
	GPUMemoryUsedMetric  = "nvidia_smi_memory_used"
	GPUMemoryTotalMetric = "nvidia_smi_memory_total"
)

// roleLogs are each role's application logs, shipped to
// "/<project>-<env>/<role>/app".
var roleLogs = map[string][]string{
	compute.RoleOdoo:      {"/var/log/odoo/odoo.log"},
	compute.RoleN8nMain:   {"/var/lib/docker/containers/*/*-json.log"},
	compute.RoleN8nWorker: {"/var/lib/docker/containers/*/*-json.log"},
	compute.RoleAI:        {"/var/lib/docker/containers/*/*-json.log"},
}

// AgentConfig returns the agent configuration of a server role, with its
// log groups under logGroupPrefix ("/<project>-<env>").
func AgentConfig(logGroupPrefix, role string) (string, error) {
	files, ok := roleLogs[role]
	if !ok {
		return "", fmt.Errorf("observability: no agent configuration for role %q", role)
	}
	raw, err := agentFiles.ReadFile("agent/cloudwatch-agent.json")
	if err != nil {
		return "", err
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return "", fmt.Errorf("agent/cloudwatch-agent.json: %w", err)
	}
	collect := cfg["logs"].(map[string]any)["logs_collected"].(map[string]any)["files"].(map[string]any)
	list := collect["collect_list"].([]any)
	for _, f := range files {
		list = append(list, map[string]any{
			"file_path":         f,
			"log_group_name":    LogGroupPrefixPlaceholder + "/" + role + "/app",
			"log_stream_name":   "{instance_id}",
			"retention_in_days": -1,
		})
	}
	collect["collect_list"] = list
	if role == compute.RoleAI {
		raw, err := agentFiles.ReadFile("agent/nvidia-gpu.json")
		if err != nil {
			return "", err
		}
		var gpu map[string]any
		if err := json.Unmarshal(raw, &gpu); err != nil {
			return "", fmt.Errorf("agent/nvidia-gpu.json: %w", err)
		}
		metrics := cfg["metrics"].(map[string]any)["metrics_collected"].(map[string]any)
		for k, v := range gpu {
			metrics[k] = v
		}
	}
	out, err := json.Marshal(cfg)
	if err != nil {
		return "", err
	}
	return strings.ReplaceAll(string(out), LogGroupPrefixPlaceholder, logGroupPrefix), nil
}
