#!/bin/sh
# Says whether dockerd must restart before `docker run --gpus all` can work:
#   restart  dockerd started before nvidia-container-runtime-hook was installed
#   current  dockerd started after it
#   stopped  dockerd is not running (it will see the hook when it starts)
# dockerd registers the "nvidia" device driver that --gpus needs once, at
# start, and only if nvidia-container-runtime-hook is on its PATH (moby
# daemon/nvidia_linux.go, init()). Exit 2: the hook is not installed.
set -eu
hook="$(command -v nvidia-container-runtime-hook)" || {
	echo "nvidia-container-runtime-hook is not installed: install nvidia-container-toolkit" >&2
	exit 2
}
if [ "$(systemctl is-active docker.service || true)" != active ]; then
	echo stopped
	exit 0
fi
started="$(date -d "$(systemctl show --property=ActiveEnterTimestamp --value docker.service)" +%s)"
installed="$(stat -c %Z "$hook")" # ctime: when dpkg put the file there
if [ "$started" -le "$installed" ]; then
	echo restart
else
	echo current
fi
