package controls

import "testing"

const defaultTags = "provider.aws.0.default_tags.0.tags"

var taggingFixtures = map[string][]fixture{
	"IG-TAGS": {
		{name: "no AWS provider", parts: parts(key),
			edits: []edit{unset("provider.aws")},
			want:  `provider.aws: none`},
		{name: "no default tags", parts: parts(key),
			edits: []edit{unset("provider.aws.0.default_tags")},
			want:  `provider.aws[0]: default tag Project missing`},
		{name: "no Project tag", parts: parts(key),
			edits: []edit{unset(defaultTags + ".Project")},
			want:  `provider.aws[0]: default tag Project missing`},
		{name: "no Environment tag", parts: parts(key),
			edits: []edit{unset(defaultTags + ".Environment")},
			want:  `provider.aws[0]: default tag Environment missing`},
		{name: "no ManagedBy tag", parts: parts(key),
			edits: []edit{unset(defaultTags + ".ManagedBy")},
			want:  `provider.aws[0]: default tag ManagedBy missing`},
		{name: "an empty Repository tag", parts: parts(key),
			edits: []edit{set(defaultTags+".Repository", "")},
			want:  `provider.aws[0]: default tag Repository missing`},
		{name: "an aliased provider without default tags", parts: parts(key),
			edits: []edit{appendTo("provider.aws", m{"alias": "backup_copy", "region": "eu-west-1"})},
			want:  `provider.aws[1]: default tag Project missing`},
	},
}

func TestTaggingControls(t *testing.T) { runFixtures(t, taggingFixtures) }
