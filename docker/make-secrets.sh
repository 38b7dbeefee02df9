#!/bin/sh
# The secrets docker/compose.yaml reads, made once on the lead's machine:
#   sh docker/make-secrets.sh fedaln.example.org [DIR]      (DIR defaults to docker/secrets)
# It writes, never overwriting a file that exists:
#   postgres_password   the database password (PostgreSQL and the coordinator read the same file)
#   admin_token         the lead's admin token for the REST API and dashboard
#   ca.crt, ca.key      the consortium's own CA (keep ca.key offline once the server certificate is made)
#   tls_cert, tls_key   the proxy's certificate for HOST (an IP address or a DNS name), signed by ca.crt
#   site_a_token        empty: put the example site's enrolment token here after `site add`
# With a certificate from a public CA, put it in tls_cert/tls_key yourself before running this.
# Sites get ca.crt (for --ca-file) and their own enrolment token; never the other files.
set -eu
HOST="${1:?usage: sh docker/make-secrets.sh HOST [DIR]  (HOST: the name or address sites connect to)}"
DIR="${2:-$(dirname "$0")/secrets}"
umask 077
mkdir -p "$DIR"
chmod 700 "$DIR"
cd "$DIR"

[ -f postgres_password ] || openssl rand -hex 24 > postgres_password
[ -f admin_token ] || openssl rand -hex 32 > admin_token
# Filled by the lead after `site add` (compose's example site reads it); empty until then.
[ -f site_a_token ] || : > site_a_token

if [ ! -f ca.crt ]; then
  openssl ecparam -name prime256v1 -genkey -noout -out ca.key
  openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=FedALN consortium CA" \
    -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' -out ca.crt
fi

if [ ! -f tls_cert ]; then
  case "$HOST" in
    *[!0-9.]*) SAN="DNS:$HOST" ;;
    *) SAN="IP:$HOST" ;;
  esac
  openssl ecparam -name prime256v1 -genkey -noout -out tls_key
  openssl req -new -key tls_key -subj "/CN=$HOST" -out tls.csr
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$SAN" > tls.ext
  openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 -sha256 \
    -extfile tls.ext -out tls_cert
  rm -f tls.csr tls.ext ca.srl
fi

# The containers run as other users (node, site, caddy): the files are readable, the folder is not
# (0700), so other users of this machine cannot reach them.
chmod 644 postgres_password admin_token site_a_token ca.crt tls_cert tls_key
chmod 600 ca.key 2>/dev/null || true
printf 'secrets in %s\n' "$(pwd)"
printf "the coordinator's TLS key pin (give it to sites for --pin-sha256):\n  "
openssl pkey -in tls_key -pubout -outform DER | openssl dgst -sha256 -binary | openssl base64
