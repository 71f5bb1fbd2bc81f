package rehearse

// RunnerImage maps each command a job may call without installing it to
// the entry of the ubuntu-24.04 image's documented software list that
// provides it (actions/runner-images, images/ubuntu/Ubuntu2404-Readme.md:
// "Language and Runtime", "Package Management", "Tools", "CLI Tools",
// "Installed apt packages"), or to "Ubuntu 24.04 base system" for the
// utilities of the base installation (coreutils, grep, sed, findutils,
// util-linux, diffutils, gawk, gzip, hostname, procps). A command neither
// here nor installed by an earlier step of the job is a failure. The
// image's Ansible (pipx, unpinned) is listed so that a job that uses it
// without installing the pinned version is caught by the version test,
// not here.
var RunnerImage = map[string]string{
	"bash": "Language and Runtime: Bash", "sh": "Language and Runtime: Dash", "dash": "Language and Runtime: Dash",
	"node": "Language and Runtime: Node.js", "npm": "Package Management: Npm", "npx": "Package Management: Npm",
	"python3": "Language and Runtime: Python", "python": "Installed apt packages: python-is-python3",
	"pip": "Package Management: Pip", "pip3": "Package Management: Pip3", "pipx": "Package Management: Pipx",
	"perl": "Language and Runtime: Perl", "gcc": "Installed apt packages: gcc", "make": "Installed apt packages: make",
	"ansible": "Tools: Ansible", "ansible-playbook": "Tools: Ansible", "ansible-inventory": "Tools: Ansible",
	"ansible-galaxy": "Tools: Ansible", "ansible-vault": "Tools: Ansible",
	"docker": "Tools: Docker Client", "git": "Tools: Git", "jq": "Tools: jq", "yq": "Tools: yq", "yamllint": "Tools: yamllint",
	"zstd": "Tools: zstd", "openssl": "Tools: OpenSSL",
	"aws": "CLI Tools: AWS CLI", "session-manager-plugin": "CLI Tools: AWS CLI Session Manager Plugin", "gh": "CLI Tools: GitHub CLI",
	"curl": "Installed apt packages: curl", "wget": "Installed apt packages: wget", "tar": "Installed apt packages: tar",
	"unzip": "Installed apt packages: unzip", "zip": "Installed apt packages: zip", "rsync": "Installed apt packages: rsync",
	"ssh": "Installed apt packages: ssh", "sudo": "Installed apt packages: sudo", "dpkg": "Installed apt packages: dpkg",
	"apt-get": "Ubuntu 24.04 base system (apt)", "file": "Installed apt packages: file", "shellcheck": "Installed apt packages: shellcheck",
	"sqlite3": "Installed apt packages: sqlite3", "time": "Installed apt packages: time", "tree": "Installed apt packages: tree",
	"xz": "Installed apt packages: xz-utils", "bzip2": "Installed apt packages: bzip2", "parallel": "Installed apt packages: parallel",
	"find": "Installed apt packages: findutils", "xargs": "Installed apt packages: findutils",
	"cat": "Installed apt packages: coreutils", "cp": "Installed apt packages: coreutils", "mv": "Installed apt packages: coreutils",
	"rm": "Installed apt packages: coreutils", "mkdir": "Installed apt packages: coreutils", "ls": "Installed apt packages: coreutils",
	"head": "Installed apt packages: coreutils", "tail": "Installed apt packages: coreutils", "cut": "Installed apt packages: coreutils",
	"sort": "Installed apt packages: coreutils", "uniq": "Installed apt packages: coreutils", "tee": "Installed apt packages: coreutils",
	"wc": "Installed apt packages: coreutils", "tr": "Installed apt packages: coreutils", "date": "Installed apt packages: coreutils",
	"sha256sum": "Installed apt packages: coreutils", "chmod": "Installed apt packages: coreutils", "mktemp": "Installed apt packages: coreutils",
	"touch": "Installed apt packages: coreutils", "env": "Installed apt packages: coreutils", "basename": "Installed apt packages: coreutils",
	"dirname": "Installed apt packages: coreutils", "realpath": "Installed apt packages: coreutils", "paste": "Installed apt packages: coreutils",
	"id": "Installed apt packages: coreutils", "sleep": "Installed apt packages: coreutils", "seq": "Installed apt packages: coreutils",
	"stat": "Installed apt packages: coreutils", "ln": "Installed apt packages: coreutils", "comm": "Installed apt packages: coreutils",
	"grep": "Ubuntu 24.04 base system (grep)", "sed": "Ubuntu 24.04 base system (sed)", "awk": "Ubuntu 24.04 base system (gawk)",
	"gzip": "Ubuntu 24.04 base system (gzip)", "diff": "Ubuntu 24.04 base system (diffutils)", "hostname": "Ubuntu 24.04 base system (hostname)",
	"ps": "Ubuntu 24.04 base system (procps)", "flock": "Ubuntu 24.04 base system (util-linux)", "getent": "Ubuntu 24.04 base system (libc-bin)",
}

// shellBuiltins are bash builtins and keywords a run block may call.
var shellBuiltins = map[string]bool{
	"echo": true, "printf": true, "read": true, "set": true, "cd": true, "export": true, "test": true, "[": true, "[[": true,
	"]]": true, "umask": true, "exit": true, "return": true, "true": true, "false": true, ":": true, "source": true, ".": true,
	"local": true, "trap": true, "shift": true, "wait": true, "command": true, "type": true, "declare": true, "readonly": true,
	"unset": true, "eval": true, "exec": true, "pushd": true, "popd": true, "let": true, "mapfile": true,
}

// setupTools are the commands a setup action puts on the PATH.
var setupTools = map[string][]string{
	"actions/setup-go":          {"go", "gofmt"},
	"actions/setup-node":        {"node", "npm", "npx"},
	"actions/setup-python":      {"python", "python3", "pip", "pip3"},
	"hashicorp/setup-terraform": {"terraform"},
}

// installedBy are the commands a package install gives: apt packages by
// name, Python distributions (pip/pipx) by name.
var installedBy = map[string][]string{
	"ansible":      {"ansible", "ansible-playbook", "ansible-inventory", "ansible-galaxy", "ansible-vault"},
	"ansible-core": {"ansible", "ansible-playbook", "ansible-inventory", "ansible-galaxy", "ansible-vault"},
	"bats":         {"bats"},
	"shellcheck":   {"shellcheck"},
}
