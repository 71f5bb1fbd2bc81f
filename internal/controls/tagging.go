package controls

// Tagging: every stack's AWS providers tag everything they create.

import (
	"fmt"

	"github.com/influencegen/infrastructure/internal/stack"
)

var requiredTags = []string{"Project", "Environment", "ManagedBy", "Repository"}

func tags(s stack.Stack, _ bool) []string {
	var out []string
	providers, _ := s["provider"].(map[string]any)
	aws, _ := providers["aws"].([]any)
	if len(aws) == 0 {
		return []string{"provider.aws: none"}
	}
	for i, p := range aws {
		t := block(block(p.(map[string]any)["default_tags"])["tags"])
		for _, k := range requiredTags {
			if str(t[k]) == "" {
				out = append(out, fmt.Sprintf("provider.aws[%d]: default tag %s missing", i, k))
			}
		}
	}
	return out
}
