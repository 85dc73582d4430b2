#!/usr/bin/env sh
# Links the team's shared data sets into data/ when they exist beside the repository
# (../shared/data/<name>); presets name them as data/<name>/... (data/ is git-ignored).
# Nothing happens where the shared folder is absent or data/<name> exists already.
root="$(cd "$(dirname "$0")/.." && pwd)"
for name in tinyshakespeare; do
  shared="$root/../shared/data/$name"
  if [ -d "$shared" ] && [ ! -e "$root/data/$name" ]; then
    mkdir -p "$root/data" && ln -s "$(cd "$shared" && pwd)" "$root/data/$name"
  fi
done
