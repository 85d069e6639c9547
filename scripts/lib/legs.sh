# Sourced by scripts/setup, scripts/test and scripts/demo: where each Home Assistant leg lives.
#
#   minimum: Home Assistant 2025.4.4 on Python 3.13, in .venv (requirements_min.txt)
#   newest:  the newest Home Assistant the test plugin offers, on Python 3.14
#            (requirements_newest.txt): with `python3.14` on PATH in .venv-newest; otherwise
#            inside the Debian testing chroot of scripts/py314, in /opt/smartlock-newest-<hash>
#            (outside the project, so every clone shares it; the hash names the requirements).
# Expects to run from the project's root.

newest_native() {
  command -v python3.14 >/dev/null 2>&1
}

# The newest leg's virtual environment, as the commands run by `run_newest` see it.
newest_venv() {
  if newest_native; then
    echo "$PWD/.venv-newest"
  else
    echo "/opt/smartlock-newest-$(sha256sum requirements_newest.txt | cut -c1-12)"
  fi
}

# Run a command on Python 3.14: natively, or in the chroot with the project at /project.
run_newest() {
  if newest_native; then
    env PY314=python3.14 "$@"
  else
    scripts/py314 "$@"
  fi
}

# The same, replacing this shell (signals then reach the command itself).
exec_newest() {
  if newest_native; then
    exec env PY314=python3.14 "$@"
  fi
  exec scripts/py314 "$@"
}

# Whether the newest leg can run here: Python 3.14 on PATH, or root able to use the chroot.
newest_possible() {
  newest_native && return 0
  [ "$(id -u)" = 0 ] || return 1
  [ -f "${SMARTLOCK_CHROOT:-/var/cache/smartlock-tuya/py314}/.smartlock-ready" ] && return 0
  command -v debootstrap >/dev/null 2>&1 || command -v apt-get >/dev/null 2>&1
}
