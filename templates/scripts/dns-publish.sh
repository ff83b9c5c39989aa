#!/bin/sh
# Publishes the mail records of a free-subdomain tenant into the platform's
# PowerDNS zone through the PowerDNS HTTP API.
#
# The DNS Job runs this file with `/bin/sh -c` in a curl image (busybox sh and
# curl, no jq). Every record set is written with changetype REPLACE, so a second
# run leaves the zone as it was. The PowerDNS API key and the Stalwart admin
# password never appear on a command line or in the output.
#
# Environment (every variable is required):
#   PDNS_API_URL         PowerDNS API base URL, e.g. https://pdns.example/api
#   PDNS_API_KEY_FILE    file holding the PowerDNS API key (X-API-Key); one line,
#                        a trailing newline is ignored
#   PDNS_SERVER_ID       PowerDNS server id, usually localhost
#   PDNS_ZONE            platform zone that contains DOMAIN, e.g. mail.example
#                        (a trailing dot is optional)
#   RECORD_TTL           TTL of the written records, in seconds
#   DOMAIN               tenant mail domain, inside PDNS_ZONE
#   MX_HOST              host name of the mail server, the MX target
#   SPF_TEXT             SPF record text, e.g. "v=spf1 mx -all"
#   DMARC_TEXT           DMARC record text, e.g. "v=DMARC1; p=quarantine"
#   DKIM_SELECTOR        DKIM selector; the record is <selector>._domainkey.<domain>
#   DKIM_SIGNATURE_ID    id of the DKIM key in Stalwart (GET /api/dkim/<id>)
#   DKIM_KEY_TYPE        ed25519 | rsa, the k= tag of the DKIM record
#   STALWART_URL         base URL of Stalwart's HTTP listener
#   ADMIN_USER           Stalwart fallback admin user name
#   ADMIN_PASSWORD_FILE  file holding that admin's password; its exact bytes are
#                        sent, including a trailing newline, because Stalwart
#                        reads the same file with %{file:...}%
#   DKIM_WAIT_SECONDS    maximum wait for the DKIM key to appear in Stalwart
#
# Hand-over with the setup Job: the setup Job creates the DKIM key, and this Job
# may start first. So this script
#   1. REPLACEs the MX record of DOMAIN, the SPF TXT record of DOMAIN and the
#      TXT record of _dmarc.DOMAIN in one PATCH;
#   2. polls GET /api/dkim/DKIM_SIGNATURE_ID on Stalwart for at most
#      DKIM_WAIT_SECONDS, and once the key is there REPLACEs the TXT record of
#      DKIM_SELECTOR._domainkey.DOMAIN;
#   3. when the wait runs out, exits 1 with a message saying that the MX, SPF
#      and DMARC records were published and the DKIM record was not. The Job's
#      backoffLimit retries it.
# A wrong Stalwart password fails at once instead of waiting.
#
# PowerDNS 4.7 zones created through the API have SOA-EDIT-API DEFAULT, so every
# PATCH increases the zone serial, even when the records are already as sent.
#
# REPLACE sets the whole record set of a name and type, so this Job owns every
# TXT record of DOMAIN and of the two other names: a TXT record that someone
# else adds at DOMAIN disappears on the next run.
#
# TXT contents are sent as quoted character strings, as PowerDNS expects, and a
# text longer than 255 characters (an RSA key) is split into several quoted
# strings of at most 255 characters. Names are FQDNs with a trailing dot.
#
# API shapes: PATCH /api/v1/servers/{server}/zones/{zone} with
# {"rrsets":[{"name","type","ttl","changetype":"REPLACE","records":[{"content",
# "disabled"}]}]} returns 204 (PowerDNS 4.7 HTTP API). Stalwart's
# GET /api/dkim/{id} returns {"data":"<base64 public key>"} or HTTP 404 when the
# key does not exist (crates/http/src/management/dkim.rs, read in the modified
# 0.15.5 fork tschk/stalwart-lite at commit 056133c8b086, not at the
# stalwartlabs/stalwart v0.15.5 tag).
set -eu

readonly PROGRAM=dns-publish
readonly REQUEST_TIMEOUT_SECONDS=30
readonly DKIM_POLL_SECONDS=2

log() {
    printf '%s: %s\n' "$PROGRAM" "$*"
}

fail() {
    printf '%s: FAILED: %s\n' "$PROGRAM" "$*" >&2
    exit 1
}

# ---------------------------------------------------------------------------
# Input validation

require_set() {
    eval "require_set_value=\${$1-}"
    if [ -z "$require_set_value" ]; then
        fail "step 'read environment': $1 is missing or empty"
    fi
}

# Checks a DNS name: lowercase RFC 1123 labels of 1-63 characters separated by dots.
validate_domain() {
    name=$1
    value=$2
    case $value in
        '' | *[!a-z0-9.-]* | .* | *. | *..* | -* | *- | *.-* | *-.*)
            fail "step 'read environment': $name='$value' is not a lowercase RFC 1123 domain name"
            ;;
    esac
    if [ "${#value}" -gt 253 ]; then
        fail "step 'read environment': $name is longer than 253 characters"
    fi
    remaining_labels=$value
    while [ -n "$remaining_labels" ]; do
        label=${remaining_labels%%.*}
        if [ "${#label}" -gt 63 ]; then
            fail "step 'read environment': $name has a label longer than 63 characters: $label"
        fi
        case $remaining_labels in
            *.*) remaining_labels=${remaining_labels#*.} ;;
            *) remaining_labels='' ;;
        esac
    done
}

# Checks a record text: printable ASCII without '"' and '\', which would need
# escaping both in JSON and in the DNS character string.
validate_record_text() {
    case $2 in
        '' | *[![:print:]]* | *\"* | *\\*)
            fail "step 'read environment': $1 must be non-empty printable ASCII without '\"' or '\\'"
            ;;
    esac
}

validate_url() {
    case $2 in
        http://* | https://*) ;;
        *) fail "step 'read environment': $1='$2' must start with http:// or https://" ;;
    esac
    case $2 in
        *[!A-Za-z0-9.:/_-]*)
            fail "step 'read environment': $1='$2' contains characters other than [A-Za-z0-9.:/_-]"
            ;;
    esac
}

validate_secret_file() {
    if [ ! -f "$2" ] || [ ! -r "$2" ]; then
        fail "step 'read environment': $1 '$2' is not a readable file"
    fi
    if [ ! -s "$2" ]; then
        fail "step 'read environment': $1 '$2' is empty"
    fi
}

validate_environment() {
    for variable in PDNS_API_URL PDNS_API_KEY_FILE PDNS_SERVER_ID PDNS_ZONE RECORD_TTL DOMAIN \
        MX_HOST SPF_TEXT DMARC_TEXT DKIM_SELECTOR DKIM_SIGNATURE_ID DKIM_KEY_TYPE STALWART_URL \
        ADMIN_USER ADMIN_PASSWORD_FILE DKIM_WAIT_SECONDS; do
        require_set "$variable"
    done

    validate_url PDNS_API_URL "$PDNS_API_URL"
    PDNS_API_URL=${PDNS_API_URL%/}
    validate_url STALWART_URL "$STALWART_URL"
    STALWART_URL=${STALWART_URL%/}

    case $PDNS_SERVER_ID in
        *[!A-Za-z0-9._-]*)
            fail "step 'read environment': PDNS_SERVER_ID='$PDNS_SERVER_ID' must contain only [A-Za-z0-9._-]"
            ;;
    esac
    PDNS_ZONE=${PDNS_ZONE%.}
    validate_domain PDNS_ZONE "$PDNS_ZONE"
    validate_domain DOMAIN "$DOMAIN"
    # The zone's own apex belongs to the platform, so a tenant domain must
    # lie strictly below it.
    case $DOMAIN in
        "$PDNS_ZONE") fail "step 'read environment': DOMAIN '$DOMAIN' is the zone PDNS_ZONE itself; a tenant domain must lie below it" ;;
        *."$PDNS_ZONE") ;;
        *) fail "step 'read environment': DOMAIN '$DOMAIN' is not inside PDNS_ZONE '$PDNS_ZONE'" ;;
    esac
    MX_HOST=${MX_HOST%.}
    validate_domain MX_HOST "$MX_HOST"

    case $RECORD_TTL in
        '' | *[!0-9]* | 0)
            fail "step 'read environment': RECORD_TTL='$RECORD_TTL' must be a positive whole number of seconds"
            ;;
    esac
    case $DKIM_WAIT_SECONDS in
        '' | *[!0-9]*)
            fail "step 'read environment': DKIM_WAIT_SECONDS='$DKIM_WAIT_SECONDS' must be a whole number of seconds"
            ;;
    esac

    validate_record_text SPF_TEXT "$SPF_TEXT"
    validate_record_text DMARC_TEXT "$DMARC_TEXT"

    case $DKIM_SELECTOR in
        '' | [!a-z0-9]* | *[!a-z0-9._-]*)
            fail "step 'read environment': DKIM_SELECTOR='$DKIM_SELECTOR' must match [a-z0-9][a-z0-9._-]*"
            ;;
    esac
    # Stalwart's default id <algorithm>-<domain> contains dots. The id is a URL
    # path segment, so '/' and a leading, trailing or doubled dot are rejected.
    case $DKIM_SIGNATURE_ID in
        [!a-z0-9]* | *[!a-z0-9._-]* | *. | *..*)
            fail "step 'read environment': DKIM_SIGNATURE_ID='$DKIM_SIGNATURE_ID' must match [a-z0-9][a-z0-9._-]* without '..' or a trailing dot"
            ;;
    esac
    case $DKIM_KEY_TYPE in
        ed25519 | rsa) ;;
        *) fail "step 'read environment': DKIM_KEY_TYPE='$DKIM_KEY_TYPE' must be ed25519 or rsa" ;;
    esac

    case $ADMIN_USER in
        *[!A-Za-z0-9._@-]*)
            fail "step 'read environment': ADMIN_USER must contain only the characters [A-Za-z0-9._@-]"
            ;;
    esac
    validate_secret_file PDNS_API_KEY_FILE "$PDNS_API_KEY_FILE"
    validate_secret_file ADMIN_PASSWORD_FILE "$ADMIN_PASSWORD_FILE"
}

# ---------------------------------------------------------------------------
# HTTP helpers. The credentials travel in header files of mode 600
# (curl -H @file), never on a command line.

umask 077
work_dir=$(mktemp -d)
trap 'rm -rf "$work_dir"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
pdns_header_file=$work_dir/pdns-header
stalwart_header_file=$work_dir/stalwart-header
request_file=$work_dir/request.json
response_file=$work_dir/response.json
curl_error_file=$work_dir/curl-error

write_header_files() {
    # The key file must hold one line. A second line would become a second header.
    if [ "$(grep -c '' "$PDNS_API_KEY_FILE")" -ne 1 ]; then
        fail "step 'read environment': PDNS_API_KEY_FILE must hold the API key on one line"
    fi
    {
        printf 'X-API-Key: '
        tr -d '\r\n' <"$PDNS_API_KEY_FILE"
        printf '\n'
    } >"$pdns_header_file"

    # `cat` inside the pipe keeps a trailing newline of the password; $(cat) would not.
    {
        printf 'Authorization: Basic '
        {
            printf '%s:' "$ADMIN_USER"
            cat -- "$ADMIN_PASSWORD_FILE"
        } | base64 | tr -d '\n'
        printf '\n'
    } >"$stalwart_header_file"
}

# Sends one request. Usage: http METHOD URL HEADER_FILE [JSON_BODY]
# Sets http_status (000 when curl failed) and writes the body to $response_file.
http() {
    http_method=$1
    http_url=$2
    : >"$response_file"
    if [ "$#" -ge 4 ]; then
        printf '%s' "$4" >"$request_file"
        http_status=$(curl -sS --connect-timeout 5 --max-time "$REQUEST_TIMEOUT_SECONDS" \
            -X "$http_method" -H @"$3" -H 'Content-Type: application/json' \
            --data-binary @"$request_file" -o "$response_file" -w '%{http_code}' \
            "$http_url" 2>"$curl_error_file") || http_status=000
    else
        http_status=$(curl -sS --connect-timeout 5 --max-time "$REQUEST_TIMEOUT_SECONDS" \
            -X "$http_method" -H @"$3" -o "$response_file" -w '%{http_code}' \
            "$http_url" 2>"$curl_error_file") || http_status=000
    fi
}

# Prints the string value of "NAME":"..." in the response, or nothing.
json_string() {
    tr '\n' ' ' <"$response_file" | sed -nE 's/.*"'"$1"'" *: *"(([^"\\]|\\.)*)".*/\1/p'
}

# Describes a failed response in one line.
describe_failure() {
    if [ "$http_status" = 000 ]; then
        printf 'no HTTP response (%s)' "$(tr '\n' ' ' <"$curl_error_file" | cut -c1-200)"
        return
    fi
    description="HTTP $http_status"
    for key in error details reason title detail; do
        # Each error text is cut to 300 characters to keep the message short.
        key_value=$(json_string "$key" | cut -c1-300)
        if [ -n "$key_value" ]; then
            description="$description $key=$key_value"
        fi
    done
    printf '%s' "$description"
}

# ---------------------------------------------------------------------------
# Record sets

# Prints TEXT as the JSON string of a TXT record content: quoted character
# strings of at most 255 characters each, separated by spaces, with the quotes
# escaped for JSON. TEXT has no '"' or '\' (validate_record_text).
txt_content() {
    rest=$1
    content=''
    while [ -n "$rest" ]; do
        chunk=$(printf '%s' "$rest" | cut -c1-255)
        rest=${rest#"$chunk"}
        if [ -n "$content" ]; then
            content="$content "
        fi
        content="$content\\\"$chunk\\\""
    done
    printf '"%s"' "$content"
}

# Prints one REPLACE record set. Usage: rrset NAME TYPE JSON_CONTENT
rrset() {
    printf '{"name":"%s","type":"%s","ttl":%s,"changetype":"REPLACE","records":[{"content":%s,"disabled":false}]}' \
        "$1" "$2" "$RECORD_TTL" "$3"
}

# Sends one PATCH with the given record sets. Usage: patch_zone STEP RRSETS_JSON
patch_zone() {
    zone_url="$PDNS_API_URL/v1/servers/$PDNS_SERVER_ID/zones/$PDNS_ZONE."
    http PATCH "$zone_url" "$pdns_header_file" "{\"rrsets\":[$2]}"
    case $http_status in
        200 | 204) ;;
        401 | 403)
            fail "step '$1': PATCH $zone_url: HTTP $http_status: PowerDNS rejected the API key; check PDNS_API_KEY_FILE"
            ;;
        *)
            fail "step '$1': PATCH $zone_url: $(describe_failure)"
            ;;
    esac
}

publish_base_records() {
    step='publish MX, SPF and DMARC'
    mx_rrset=$(rrset "$DOMAIN." MX "\"10 $MX_HOST.\"")
    spf_rrset=$(rrset "$DOMAIN." TXT "$(txt_content "$SPF_TEXT")")
    dmarc_rrset=$(rrset "_dmarc.$DOMAIN." TXT "$(txt_content "$DMARC_TEXT")")
    patch_zone "$step" "$mx_rrset,$spf_rrset,$dmarc_rrset"
    log "published MX $DOMAIN. -> 10 $MX_HOST., SPF TXT $DOMAIN., DMARC TXT _dmarc.$DOMAIN."
}

# Polls Stalwart until the DKIM key exists; sets dkim_public_key.
wait_for_dkim_key() {
    step="read DKIM key $DKIM_SIGNATURE_ID"
    dkim_url="$STALWART_URL/api/dkim/$DKIM_SIGNATURE_ID"
    log "waiting up to ${DKIM_WAIT_SECONDS}s for the DKIM key at $dkim_url"
    deadline=$(($(date +%s) + DKIM_WAIT_SECONDS))
    while :; do
        http GET "$dkim_url" "$stalwart_header_file"
        if [ "$http_status" = 200 ]; then
            dkim_public_key=$(json_string data)
            case $dkim_public_key in
                '' | *[!A-Za-z0-9+/=]*)
                    fail "step '$step': GET $dkim_url did not return a base64 public key"
                    ;;
            esac
            return
        fi
        if [ "$http_status" = 401 ]; then
            fail "step '$step': GET $dkim_url: HTTP 401: authentication as $ADMIN_USER failed; check ADMIN_PASSWORD_FILE. MX, SPF and DMARC records were published; the DKIM record was not"
        fi
        if [ "$http_status" = 404 ]; then
            last='HTTP 404, the key does not exist yet'
        else
            last=$(describe_failure)
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            fail "step '$step': MX, SPF and DMARC records for $DOMAIN were published; the DKIM record $DKIM_SELECTOR._domainkey.$DOMAIN. was not, because the key $DKIM_SIGNATURE_ID did not appear in Stalwart within ${DKIM_WAIT_SECONDS}s (last answer: $last). The setup Job creates the key; this Job is retried"
        fi
        sleep "$DKIM_POLL_SECONDS"
    done
}

publish_dkim_record() {
    step='publish DKIM'
    dkim_name="$DKIM_SELECTOR._domainkey.$DOMAIN."
    dkim_rrset=$(rrset "$dkim_name" TXT "$(txt_content "v=DKIM1; k=$DKIM_KEY_TYPE; p=$dkim_public_key")")
    patch_zone "$step" "$dkim_rrset"
    log "published DKIM TXT $dkim_name"
}

# ---------------------------------------------------------------------------

validate_environment
write_header_files
publish_base_records
wait_for_dkim_key
publish_dkim_record
log "done"
