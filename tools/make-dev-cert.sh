#!/usr/bin/env bash
# Makes a private CA and a server certificate for localhost, 127.0.0.1 and
# ::1 in DIR (default .dev/tls). Used by the dev run and by the tests; never
# for production. Idempotent: existing files are kept.
set -euo pipefail
dir=${1:-.dev/tls}
mkdir -p "$dir"
cd "$dir"
[ -s server.pem ] && [ -s server.key ] && [ -s ca.pem ] && exit 0
umask 077
openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=chatkit-gateway dev CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out ca.pem 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out server.key 2>/dev/null
openssl req -new -key server.key -subj "/CN=localhost" -out server.csr 2>/dev/null
printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
  "extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 -sha256 \
  -extfile server.ext -out server.pem 2>/dev/null
rm -f server.csr server.ext ca.srl
chmod 644 ca.pem server.pem
echo "dev certificates written to $dir"
