#!/bin/sh
# Write etc/cloudstack/cloudstack.conf.sample from the options in cloudstack/conf.
# Uses ./.venv (tools/up.sh makes it) if there is one, else oslo-config-generator
# on PATH; either way cloudstack must be installed, for its entry point.
set -e
cd "$(dirname "$0")/.."
GENERATOR=.venv/bin/oslo-config-generator
[ -x "$GENERATOR" ] || GENERATOR=oslo-config-generator
# Ours, then the libraries' whose options the server reads.
"$GENERATOR" --namespace cloudstack --namespace oslo.log \
    --namespace oslo.middleware.cors --namespace oslo.middleware.healthcheck \
    --namespace oslo.middleware.http_proxy_to_wsgi --namespace oslo.middleware.sizelimit \
    --namespace oslo.policy --wrap-width 79 \
    --output-file etc/cloudstack/cloudstack.conf.sample
echo "wrote etc/cloudstack/cloudstack.conf.sample"
