package observability

import (
	"embed"
	"encoding/json"
	"fmt"
	"strings"
)

// The CloudWatch agent's configuration lives in agent/: the base file every
// server runs (memory, disk and swap metrics, syslog and auth.log) and the
// NVIDIA GPU section GPU tiers add. AgentConfig renders one tier's file; the stack stores it in SSM Parameter Store, and
// Ansible's common role makes the agent fetch it from there.
//
//go:embed agent/cloudwatch-agent.json agent/nvidia-gpu.json
var agentFiles embed.FS

// LogGroupPrefixPlaceholder is replaced by "/<project>-<env>" in the files.
const LogGroupPrefixPlaceholder = "{{log_group_prefix}}"

// TierPlaceholder is replaced by the tier's name in the files: every group
// a tier's agent writes to is under "/<project>-<env>/<tier>/", the only
// prefix its servers' role may write to.
const TierPlaceholder = "{{tier}}"

// GPUMetrics are the CWAgent metric names the nvidia_gpu plugin publishes
// that the alarms and dashboard use.
const (
	GPUUtilizationMetric = "nvidia_smi_utilization_gpu"
	GPUMemoryUsedMetric  = "nvidia_smi_memory_used"
	GPUMemoryTotalMetric = "nvidia_smi_memory_total"
)

// AgentConfig returns the agent configuration of a tier's servers, with its
// log groups under logGroupPrefix ("/<project>-<env>"): the base file
// (syslog and auth.log to "<prefix>/<tier>/syslog"), the tier's LogFiles
// shipped to "<prefix>/<tier>/app", and the NVIDIA GPU section for GPU
// tiers.
func AgentConfig(logGroupPrefix string, t Tier) (string, error) {
	if len(t.LogFiles) == 0 {
		return "", fmt.Errorf("observability: tier %q ships no log files", t.Name)
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
	for _, f := range t.LogFiles {
		list = append(list, map[string]any{
			"file_path":         f,
			"log_group_name":    LogGroupPrefixPlaceholder + "/" + t.Name + "/app",
			"log_stream_name":   "{instance_id}",
			"retention_in_days": -1,
		})
	}
	collect["collect_list"] = list
	if t.GPU {
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
	return strings.NewReplacer(LogGroupPrefixPlaceholder, logGroupPrefix, TierPlaceholder, t.Name).Replace(string(out)), nil
}
