#!/bin/sh
# Makes a throwaway CA and, signed by it, a server certificate for 127.0.0.1/localhost
# (subjectAltName, serverAuth) and a client certificate (CN=gdsweep-test, O=system:masters,
# clientAuth) for the fake apiserver's --tls-cert/--tls-key and --client-ca.
# Usage: make_cert.sh OUTDIR  -> OUTDIR/{ca,server,client}.{crt,key}
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
out=$1
mkdir -p "$out"
cd "$out"

cat > server.ext <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
EOF
cat > client.ext <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
EOF

openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
    -keyout ca.key -out ca.crt -subj "/CN=gdsweep-fake-kube-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

openssl req -newkey rsa:2048 -nodes -sha256 -keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 3650 \
    -extfile server.ext -out server.crt 2>/dev/null

openssl req -newkey rsa:2048 -nodes -sha256 -keyout client.key -out client.csr \
    -subj "/O=system:masters/CN=gdsweep-test" 2>/dev/null
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 3650 \
    -extfile client.ext -out client.crt 2>/dev/null

rm -f server.csr client.csr server.ext client.ext ca.srl
chmod 600 ca.key server.key client.key
