#!/bin/bash
# Creates what Artery TLS with mutual authentication needs (conf/tls.conf), with the JDK's keytool only:
#   ca.p12          a certificate authority (keep it offline; it signs node certificates)
#   node.p12        a node key and certificate signed by the CA (copy to every node, or make one per node)
#   truststore.p12  the CA's certificate: nodes accept peers whose certificate the CA signed
# Usage: scripts/tls-certs.sh DIR [PASSWORD] [NODE_NAME]   (PASSWORD defaults to $TROUPE_TLS_PASSWORD)
set -euo pipefail
dir=${1:?usage: scripts/tls-certs.sh DIR [PASSWORD] [NODE_NAME]}
pw=${2:-${TROUPE_TLS_PASSWORD:?give a password or set TROUPE_TLS_PASSWORD}}
node=${3:-node}
kt=keytool
[ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/keytool" ] && kt="$JAVA_HOME/bin/keytool"
mkdir -p "$dir" && cd "$dir"
if [ ! -f ca.p12 ]; then
  "$kt" -genkeypair -alias ca -keyalg RSA -keysize 2048 -dname "CN=troupe-ca" -ext bc:c -validity 3650 \
    -keystore ca.p12 -storetype PKCS12 -storepass "$pw" -keypass "$pw"
fi
"$kt" -exportcert -alias ca -keystore ca.p12 -storepass "$pw" -rfc -file ca.pem
"$kt" -genkeypair -alias "$node" -keyalg RSA -keysize 2048 -dname "CN=troupe-$node" -validity 825 \
  -keystore "$node.p12" -storetype PKCS12 -storepass "$pw" -keypass "$pw"
"$kt" -certreq -alias "$node" -keystore "$node.p12" -storepass "$pw" -file "$node.csr"
"$kt" -gencert -alias ca -keystore ca.p12 -storepass "$pw" -infile "$node.csr" -outfile "$node.pem" -rfc \
  -validity 825 -ext ku:c=digitalSignature,keyEncipherment -ext eku=serverAuth,clientAuth
"$kt" -importcert -alias ca -keystore "$node.p12" -storepass "$pw" -file ca.pem -noprompt
"$kt" -importcert -alias "$node" -keystore "$node.p12" -storepass "$pw" -file "$node.pem"
rm -f truststore.p12
"$kt" -importcert -alias ca -keystore truststore.p12 -storetype PKCS12 -storepass "$pw" -file ca.pem -noprompt
rm -f "$node.csr"
echo "created $dir/$node.p12 (key + certificate signed by the CA) and $dir/truststore.p12 (the CA)"
