#!/bin/bash
# Creates what Artery TLS with mutual authentication needs (conf/tls.conf), with the JDK's keytool only:
#   ca.p12          a certificate authority (keep it offline; it signs node certificates)
#   node.p12        a node key and certificate signed by the CA (copy to every node, or make one per node)
#   truststore.p12  the CA's certificate: nodes accept peers whose certificate the CA signed
# Usage: scripts/tls-certs.sh DIR [NODE_NAME]
# Passwords never go on a command line (where `ps` shows them to every user): they come from the environment,
#   TROUPE_TLS_PASSWORD     the node key store's, its key's and the trust store's (what conf/tls.conf reads)
#   TROUPE_TLS_CA_PASSWORD  the CA key store's (default: TROUPE_TLS_PASSWORD)
# or, when TROUPE_TLS_PASSWORD is unset and this runs in a terminal, from a prompt; keytool reads them with
# -storepass:env / -keypass:env.
set -euo pipefail
usage="usage: scripts/tls-certs.sh DIR [NODE_NAME] (passwords from TROUPE_TLS_PASSWORD and TROUPE_TLS_CA_PASSWORD, or a prompt)"
dir=${1:?$usage}
node=${2:-node}
if [ $# -gt 2 ]; then
  echo "tls-certs.sh: too many arguments; passwords are not taken as arguments (a command line is visible to every" \
    "user): set TROUPE_TLS_PASSWORD, or run it in a terminal to be asked" >&2
  echo "$usage" >&2
  exit 2
fi
if [ -z "${TROUPE_TLS_PASSWORD:-}" ]; then
  if [ ! -t 0 ]; then
    echo "tls-certs.sh: TROUPE_TLS_PASSWORD is not set and there is no terminal to ask for a password" >&2
    exit 2
  fi
  read -r -s -p "password for $node.p12 and truststore.p12: " TROUPE_TLS_PASSWORD; echo
  read -r -s -p "again: " again; echo
  if [ "$TROUPE_TLS_PASSWORD" != "$again" ]; then
    echo "tls-certs.sh: the passwords differ" >&2
    exit 2
  fi
  unset again
fi
if [ ${#TROUPE_TLS_PASSWORD} -lt 6 ]; then
  echo "tls-certs.sh: the password must have at least 6 characters (keytool's minimum)" >&2
  exit 2
fi
export TROUPE_TLS_PASSWORD
export TROUPE_TLS_CA_PASSWORD=${TROUPE_TLS_CA_PASSWORD:-$TROUPE_TLS_PASSWORD}
kt=keytool
[ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/keytool" ] && kt="$JAVA_HOME/bin/keytool"
pw=(-storepass:env TROUPE_TLS_PASSWORD)
ca=(-storepass:env TROUPE_TLS_CA_PASSWORD)
mkdir -p "$dir" && cd "$dir"
if [ ! -f ca.p12 ]; then
  "$kt" -genkeypair -alias ca -keyalg RSA -keysize 2048 -dname "CN=troupe-ca" -ext bc:c -validity 3650 \
    -keystore ca.p12 -storetype PKCS12 "${ca[@]}" -keypass:env TROUPE_TLS_CA_PASSWORD
fi
"$kt" -exportcert -alias ca -keystore ca.p12 "${ca[@]}" -rfc -file ca.pem
"$kt" -genkeypair -alias "$node" -keyalg RSA -keysize 2048 -dname "CN=troupe-$node" -validity 825 \
  -keystore "$node.p12" -storetype PKCS12 "${pw[@]}" -keypass:env TROUPE_TLS_PASSWORD
"$kt" -certreq -alias "$node" -keystore "$node.p12" "${pw[@]}" -file "$node.csr"
"$kt" -gencert -alias ca -keystore ca.p12 "${ca[@]}" -infile "$node.csr" -outfile "$node.pem" -rfc \
  -validity 825 -ext ku:c=digitalSignature,keyEncipherment -ext eku=serverAuth,clientAuth
"$kt" -importcert -alias ca -keystore "$node.p12" "${pw[@]}" -file ca.pem -noprompt
"$kt" -importcert -alias "$node" -keystore "$node.p12" "${pw[@]}" -file "$node.pem"
rm -f truststore.p12
"$kt" -importcert -alias ca -keystore truststore.p12 -storetype PKCS12 "${pw[@]}" -file ca.pem -noprompt
rm -f "$node.csr"
echo "created $dir/$node.p12 (key + certificate signed by the CA) and $dir/truststore.p12 (the CA)"
