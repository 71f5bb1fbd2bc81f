# tflint over the synthesized stacks (scripts/scan.sh runs it per stack).
# Suppressions do not live here: they are in .scan-ignore.yaml, each with its
# justification, and scripts/scan.sh turns them into --disable-rule flags.
config {
  format           = "compact"
  call_module_type = "none"
}

plugin "terraform" {
  enabled = true
  preset  = "recommended"
}

# Built from source by scripts/tools.sh into $TFLINT_PLUGIN_DIR.
plugin "aws" {
  enabled = true
}
