package iam

import (
	"fmt"
	"slices"

	"github.com/influencegen/infrastructure/environments"
)

// TierLogGroups are the log groups a tier's servers write to: its
// application logs, its syslog and its patch runs (constructs/logs).
func TierLogGroups(env Environment, tier string) []string {
	p := env.LogGroupPrefix + tier + "/"
	return []string{p + "app", p + "syslog", p + "patching"}
}

// FromConfig describes an environment to Jobs from the configuration: its
// CI roles and state (named as constructs/cicd names them), its tiers with
// the secrets, buckets, images and file system each uses (the tier table,
// environments.Tier), and the other environments.
func FromConfig(a environments.Account, cfg environments.ParityConfig, all []environments.ParityConfig) Environment {
	p, name := a.Project, cfg.Identity.Name
	env := Environment{
		Name: name, Stack: cfg.StackName(), Region: cfg.Region,
		DeployRole: p + "-deploy-" + name, PlanRole: p + "-plan-" + name,
		StateBucket: a.StateBucket, StateKey: environments.StateKey(name),
		StateKeyAlias: "alias/" + a.StateKMSAlias, LogGroupPrefix: "/" + p + "-" + name + "/",
	}
	for _, t := range cfg.Tiers {
		tier := Tier{Name: t.Name, Role: p + "-" + name + "-" + t.Name, FileSystem: slices.Contains(t.Reaches, environments.ReachFilestore)}
		for _, s := range t.SecretNames() {
			tier.Secrets = append(tier.Secrets, p+"/"+name+"/"+s)
		}
		for _, b := range t.Buckets {
			object := fmt.Sprintf("arn:aws:s3:::%s-%s-%s-%s/%sobject", p, name, b.Bucket, a.ID, b.Prefix)
			if b.Write {
				tier.Writes = append(tier.Writes, object)
			} else {
				tier.Reads = append(tier.Reads, object)
			}
		}
		for _, img := range t.Images {
			tier.Images = append(tier.Images, fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s/%s", a.PrimaryRegion, a.ID, p, img))
		}
		env.Tiers = append(env.Tiers, tier)
	}
	for _, o := range all {
		if o.Identity.Name != name {
			env.Others = append(env.Others, FromConfig(a, o, nil))
		}
	}
	return env
}
