#!/usr/bin/env bash
# Makes a private CA and a server certificate in DIR (default .dev/tls) for
# localhost, 127.0.0.1, ::1 and any further ADDRs (IP addresses or host
# names, e.g. a LAN address so that phones and emulators can connect). Used
# by the dev run and by the tests; never for production.
# Usage: tools/make-dev-cert.sh [DIR [ADDR...]]
# Idempotent: an existing CA is kept (so a device that trusts it keeps
# trusting it); the server certificate is re-issued only when it does not
# cover every requested name.
set -euo pipefail
dir=${1:-.dev/tls}
shift || true
mkdir -p "$dir"
cd "$dir"
umask 077

names=(DNS:localhost IP:127.0.0.1 IP:::1)
for addr in "$@"; do
  if [[ $addr =~ ^[0-9.]+$ || $addr == *:* ]]; then names+=("IP:$addr"); else names+=("DNS:$addr"); fi
done

covers_all() {
  [ -s server.pem ] && [ -s server.key ] || return 1
  local san
  san=$(openssl x509 -in server.pem -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' ')
  san=",${san//IPAddress:/IP:},"
  for n in "${names[@]}"; do
    # openssl prints ::1 as 0:0:0:0:0:0:0:1
    [[ $n == "IP:::1" ]] && n="IP:0:0:0:0:0:0:0:1"
    [[ $san == *",$n,"* ]] || return 1
  done
}

if [ ! -s ca.pem ] || [ ! -s ca.key ]; then
  openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
  openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=chatkit-gateway dev CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out ca.pem 2>/dev/null
  rm -f server.pem
fi
covers_all && exit 0
san=$(IFS=,; echo "${names[*]}")
openssl ecparam -name prime256v1 -genkey -noout -out server.key 2>/dev/null
openssl req -new -key server.key -subj "/CN=localhost" -out server.csr 2>/dev/null
printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
  "extendedKeyUsage=serverAuth" "subjectAltName=$san" > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 -sha256 \
  -extfile server.ext -out server.pem 2>/dev/null
rm -f server.csr server.ext ca.srl
chmod 644 ca.pem server.pem
echo "dev certificates written to $dir ($san)"
