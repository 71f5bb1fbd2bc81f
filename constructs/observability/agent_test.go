package observability

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/environments"
)

func TestAgentConfig(t *testing.T) {
	for _, row := range environments.DefaultTiers() {
		tier := Tier{Name: row.Name, GPU: row.GPU, LogFiles: row.LogFiles}
		role := tier.Name
		t.Run(role, func(t *testing.T) {
			out, err := AgentConfig("/influencegen-staging", tier)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(out, LogGroupPrefixPlaceholder) {
				t.Fatal("placeholder left in the configuration")
			}
			var cfg struct {
				Metrics struct {
					AppendDimensions map[string]string         `json:"append_dimensions"`
					Collected        map[string]map[string]any `json:"metrics_collected"`
				} `json:"metrics"`
				Logs struct {
					LogsCollected struct {
						Files struct {
							CollectList []map[string]any `json:"collect_list"`
						} `json:"files"`
					} `json:"logs_collected"`
				} `json:"logs"`
			}
			if err := json.Unmarshal([]byte(out), &cfg); err != nil {
				t.Fatal(err)
			}
			if cfg.Metrics.AppendDimensions["InstanceId"] != "${aws:InstanceId}" {
				t.Error("metrics need the InstanceId dimension the alarms use")
			}
			groups, files := map[string]bool{}, map[string]bool{}
			for _, f := range cfg.Logs.LogsCollected.Files.CollectList {
				groups[f["log_group_name"].(string)] = true
				files[f["file_path"].(string)] = true
			}
			for _, f := range tier.LogFiles {
				if !files[f] {
					t.Errorf("%s is not shipped", f)
				}
			}
			// Only the tier's own groups (its role may write nowhere else).
			if len(groups) != 2 || !groups["/influencegen-staging/"+role+"/syslog"] || !groups["/influencegen-staging/"+role+"/app"] {
				t.Errorf("log groups: %v", groups)
			}
			gpu, ok := cfg.Metrics.Collected["nvidia_gpu"]
			if ok != tier.GPU {
				t.Fatalf("nvidia_gpu collected = %v for %s", ok, role)
			}
			if ok {
				// The plugin publishes nvidia_smi_<measurement>: the alarms read these.
				m := strings.Join(toStrings(gpu["measurement"]), ",")
				for _, metric := range []string{GPUUtilizationMetric, GPUMemoryUsedMetric, GPUMemoryTotalMetric} {
					if !strings.Contains(m, strings.TrimPrefix(metric, "nvidia_smi_")) {
						t.Errorf("%s is not collected (%s)", metric, m)
					}
				}
			}
		})
	}
	if _, err := AgentConfig("/x", Tier{Name: "database"}); err == nil {
		t.Error("a tier without log files was accepted")
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
