#!/bin/sh
# Makes the compose broker's logins on its first start, then starts Mosquitto:
#   eva            the agent; its password goes to the agent's volume (read-only there)
#   homeassistant  the only login that may send commands; its password stays with the broker:
#                  docker compose exec mosquitto cat /mosquitto/secrets/homeassistant-password
# Random passwords, made once and kept in volumes, so recreating a container keeps them.
# Delete a password file and restart the broker to make a new password for that login.
set -eu
BROKER_SECRETS=${BROKER_SECRETS:-/mosquitto/secrets}
AGENT_SECRETS=${AGENT_SECRETS:-/agent-secrets}
BROKER_UID=${BROKER_UID:-1883}   # the image's mosquitto user, which reads passwd
AGENT_UID=${AGENT_UID:-10001}    # the agent image's user
umask 077
mkdir -p "$BROKER_SECRETS" "$AGENT_SECRETS"

new_password() {
  # 32 letters and digits from the kernel's random source (about 190 bits).
  tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32
}

made=0
for login in "eva:$AGENT_SECRETS/mqtt-password" "homeassistant:$BROKER_SECRETS/homeassistant-password"; do
  file=${login#*:}
  if [ ! -s "$file" ]; then
    new_password >"$file"
    echo >>"$file"
    made=1
  fi
done
if [ "$made" = 1 ] || [ ! -s "$BROKER_SECRETS/passwd" ]; then
  rm -f "$BROKER_SECRETS/passwd.new"
  touch "$BROKER_SECRETS/passwd.new"
  mosquitto_passwd -b "$BROKER_SECRETS/passwd.new" eva "$(head -n 1 "$AGENT_SECRETS/mqtt-password")"
  mosquitto_passwd -b "$BROKER_SECRETS/passwd.new" homeassistant \
    "$(head -n 1 "$BROKER_SECRETS/homeassistant-password")"
  mv "$BROKER_SECRETS/passwd.new" "$BROKER_SECRETS/passwd"
  echo "make-logins: logins eva and homeassistant are ready"
fi
chown "$BROKER_UID:$BROKER_UID" "$BROKER_SECRETS" "$BROKER_SECRETS/passwd"
chmod 0700 "$BROKER_SECRETS"
chmod 0600 "$BROKER_SECRETS/passwd" "$BROKER_SECRETS/homeassistant-password"
chown "$AGENT_UID:$AGENT_UID" "$AGENT_SECRETS/mqtt-password"
chmod 0400 "$AGENT_SECRETS/mqtt-password"

[ "$#" -eq 0 ] || exec "$@"
