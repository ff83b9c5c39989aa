#!/bin/sh
# Bootstraps a Stalwart 0.15 server over its REST management API.
#
# The setup Job runs this file with `/bin/sh -c` in a curl image (busybox sh and
# curl, no jq). It is idempotent: a second run changes nothing and exits 0. It
# exits non-zero on any real failure and prints one line naming the failed step
# and the server's error. The admin password and the Authorization header never
# appear on a command line or in the output.
#
# Environment (every variable is required unless a default is given):
#   STALWART_URL           base URL of the HTTP listener, e.g. http://stalwart-web:8080
#   ADMIN_USER             fallback admin user name
#   ADMIN_PASSWORD_FILE    file holding the fallback admin password. Stalwart reads
#                          it with %{file:...}%, which keeps every byte including a
#                          trailing newline, so this script sends the exact bytes.
#   DOMAIN                 mail domain, an RFC 1123 name
#   ADMIN_ACCOUNT          name of the organisation's admin individual
#   ADMIN_EMAIL            e-mail address of that individual (local@domain)
#   DIRECTORY_IS_INTERNAL  true | false. With false (the default directory is the
#                          OIDC one) individuals are created with
#                          POST /api/principal/deploy, because POST /api/principal
#                          rejects them as unsupported.
#   MAILBOX_GROUPS         zero or more lines "name email [member ...]" separated by
#                          spaces; default empty
#   DKIM_ALGORITHM         Ed25519 | Rsa
#   DKIM_SELECTOR          DKIM selector, e.g. 202501e
#   DKIM_SIGNATURE_ID      id the key is stored under (signature.<id>.* settings)
#   READY_TIMEOUT_SECONDS  maximum wait for GET /healthz/ready; default 300
#
# Steps:
#   1. Wait for GET /healthz/ready to return 200.
#   2. Ensure the domain principal exists.
#   3. Ensure the admin individual exists with its e-mail address and the
#      email-receive permission. It is created with the "admin" role.
#   4. Ensure every group principal exists with its e-mail address, the
#      email-receive permission and its members. Groups do not inherit
#      email-receive, and without it every message to the group bounces with 550.
#   5. Ensure the DKIM key exists, read its public key and print the TXT record.
# A principal that already exists counts as success. The script then adds a
# missing address, permission or member with PATCH addItem. The only thing it
# removes is email-receive from the disabled permissions.
#
# Members are accounts that must already exist; the script never creates them.
# When a member does not exist, the script still adds the other members and
# finishes the remaining steps, then exits 1 with one line listing every missing
# member, so the Job's retries pick them up once the accounts exist. With the
# OIDC directory an account exists after the user's first sign-in.
#
# Request and response shapes were checked against the Stalwart source files
# below, read in the fork tschk/stalwart-lite at commit 056133c8b086, whose
# crates/main/Cargo.toml gives the version 0.15.5. NOTE: that fork is modified
# and is not the stalwartlabs/stalwart v0.15.5 tag, so recheck at the tag.
#   crates/http/src/management/mod.rs        error objects tagged "error"
#                                            (HTTP 200), 404 for a missing
#                                            resource, 401 for a failed login
#   crates/http/src/management/principal.rs  POST /api/principal[/deploy] (only
#                                            /deploy skips the directory check
#                                            for individuals), GET and PATCH
#                                            /api/principal/{name}
#   crates/http/src/management/dkim.rs       POST /api/dkim {id, algorithm
#                                            Ed25519|Rsa, domain, selector},
#                                            fieldAlreadyExists with the private
#                                            key as value; GET /api/dkim/{id}
#                                            returns {"data":"<base64>"} or 404
#   crates/directory/src/backend/internal/   field names, PATCH actions set,
#     mod.rs, manage.rs                      addItem and removeItem, the order
#                                            of the create checks (name, members,
#                                            roles, permissions, e-mails, domain)
#   crates/directory/src/core/principal.rs   GET returns "type" and the fields;
#                                            a principal holds one grant per
#                                            permission, so addItem to
#                                            enabledPermissions also clears a
#                                            disabled email-receive
#   crates/common/src/config/smtp/auth.rs    signature ids are read by prefix and
#                                            suffix, so they may contain dots
# Management errors come back with HTTP 200 and a body such as
# {"error":"fieldAlreadyExists","field":"name","value":"sales"}. Success is
# {"data":...}. A missing DKIM key is HTTP 404, a wrong password HTTP 401.
set -eu

readonly PROGRAM=setup
readonly REQUEST_TIMEOUT_SECONDS=30
readonly READY_POLL_SECONDS=1

log() {
    printf '%s: %s\n' "$PROGRAM" "$*"
}

# Prints the one-line failure message on stderr and exits 1.
fail() {
    printf '%s: FAILED: %s\n' "$PROGRAM" "$*" >&2
    exit 1
}

# ---------------------------------------------------------------------------
# Input validation. The renderer validates these values too; the script checks
# them again so that no value can produce broken JSON or a wrong URL.

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

# Checks an account or group name against [a-z0-9][a-z0-9._-]*.
validate_name() {
    name=$1
    value=$2
    case $value in
        '' | [!a-z0-9]* | *[!a-z0-9._-]*)
            fail "step 'read environment': $name='$value' must match [a-z0-9][a-z0-9._-]*"
            ;;
    esac
}

# Checks an e-mail address: a local part like validate_name, '@', a domain.
validate_email() {
    name=$1
    value=$2
    case $value in
        *@*@* | [!a-z0-9]* | *[!a-z0-9._@-]* | *@ | @*)
            fail "step 'read environment': $name='$value' must be local@domain with the characters [a-z0-9._-]"
            ;;
        *@*) ;;
        *)
            fail "step 'read environment': $name='$value' must be local@domain with the characters [a-z0-9._-]"
            ;;
    esac
    validate_domain "$name (domain part)" "${value#*@}"
}

# Checks DKIM_SIGNATURE_ID. Dots are allowed because Stalwart's own default id
# is <algorithm>-<domain>, and Stalwart finds its keys signature.<id>.* by
# prefix and suffix, so an id may contain dots. The id is also a URL path
# segment, so '/' and a leading, trailing or doubled dot are rejected.
validate_signature_id() {
    case $DKIM_SIGNATURE_ID in
        [!a-z0-9]* | *[!a-z0-9._-]* | *. | *..*)
            fail "step 'read environment': DKIM_SIGNATURE_ID='$DKIM_SIGNATURE_ID' must match [a-z0-9][a-z0-9._-]* without '..' or a trailing dot"
            ;;
    esac
}

validate_environment() {
    for variable in STALWART_URL ADMIN_USER ADMIN_PASSWORD_FILE DOMAIN ADMIN_ACCOUNT \
        ADMIN_EMAIL DIRECTORY_IS_INTERNAL DKIM_ALGORITHM DKIM_SELECTOR DKIM_SIGNATURE_ID; do
        require_set "$variable"
    done

    case $STALWART_URL in
        http://* | https://*) ;;
        *) fail "step 'read environment': STALWART_URL='$STALWART_URL' must start with http:// or https://" ;;
    esac
    case $STALWART_URL in
        *[!A-Za-z0-9.:/_-]*)
            fail "step 'read environment': STALWART_URL='$STALWART_URL' contains characters other than [A-Za-z0-9.:/_-]"
            ;;
    esac
    STALWART_URL=${STALWART_URL%/}

    # The user name goes into an HTTP Basic credential, which ends it at the first ':'.
    case $ADMIN_USER in
        *[!A-Za-z0-9._@-]*)
            fail "step 'read environment': ADMIN_USER must contain only the characters [A-Za-z0-9._@-]"
            ;;
    esac
    if [ ! -r "$ADMIN_PASSWORD_FILE" ] || [ ! -f "$ADMIN_PASSWORD_FILE" ]; then
        fail "step 'read environment': ADMIN_PASSWORD_FILE '$ADMIN_PASSWORD_FILE' is not a readable file"
    fi
    if [ ! -s "$ADMIN_PASSWORD_FILE" ]; then
        fail "step 'read environment': ADMIN_PASSWORD_FILE '$ADMIN_PASSWORD_FILE' is empty"
    fi

    validate_domain DOMAIN "$DOMAIN"
    validate_name ADMIN_ACCOUNT "$ADMIN_ACCOUNT"
    validate_email ADMIN_EMAIL "$ADMIN_EMAIL"

    case $DIRECTORY_IS_INTERNAL in
        true | false) ;;
        *) fail "step 'read environment': DIRECTORY_IS_INTERNAL='$DIRECTORY_IS_INTERNAL' must be true or false" ;;
    esac

    case $DKIM_ALGORITHM in
        Ed25519) dkim_key_type=ed25519 ;;
        Rsa) dkim_key_type=rsa ;;
        *) fail "step 'read environment': DKIM_ALGORITHM='$DKIM_ALGORITHM' must be Ed25519 or Rsa" ;;
    esac
    validate_name DKIM_SELECTOR "$DKIM_SELECTOR"
    validate_signature_id

    READY_TIMEOUT_SECONDS=${READY_TIMEOUT_SECONDS:-300}
    case $READY_TIMEOUT_SECONDS in
        '' | *[!0-9]*)
            fail "step 'read environment': READY_TIMEOUT_SECONDS='$READY_TIMEOUT_SECONDS' must be a whole number of seconds"
            ;;
    esac

    MAILBOX_GROUPS=${MAILBOX_GROUPS-}
    while IFS= read -r group_line; do
        case $group_line in
            *[!a-z0-9._@\ -]*)
                fail "step 'read environment': MAILBOX_GROUPS line '$group_line' contains characters other than [a-z0-9._@-] and spaces"
                ;;
        esac
        parse_group_line "$group_line"
    done <<EOF
$MAILBOX_GROUPS
EOF
}

# ---------------------------------------------------------------------------
# HTTP helpers. Every request carries the Authorization header from a mode-600
# file (curl -H @file), so the credential is never on a command line.

umask 077
work_dir=$(mktemp -d)
trap 'rm -rf "$work_dir"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
auth_header_file=$work_dir/auth-header
request_file=$work_dir/request.json
response_file=$work_dir/response.json
principal_file=$work_dir/principal.json
curl_error_file=$work_dir/curl-error

# Writes "Authorization: Basic base64(user:password)" from the password file's
# exact bytes; `cat` inside the pipe keeps a trailing newline, $(cat) would not.
write_auth_header() {
    {
        printf 'Authorization: Basic '
        {
            printf '%s:' "$ADMIN_USER"
            cat -- "$ADMIN_PASSWORD_FILE"
        } | base64 | tr -d '\n'
        printf '\n'
    } >"$auth_header_file"
}

# Sends one request to the management API.
# Usage: api METHOD PATH [JSON_BODY]
# Sets http_status (000 when curl failed) and writes the body to $response_file.
api() {
    api_method=$1
    api_path=$2
    : >"$response_file"
    if [ "$#" -ge 3 ]; then
        printf '%s' "$3" >"$request_file"
        http_status=$(curl -sS --connect-timeout 5 --max-time "$REQUEST_TIMEOUT_SECONDS" \
            -X "$api_method" -H @"$auth_header_file" -H 'Content-Type: application/json' \
            --data-binary @"$request_file" -o "$response_file" -w '%{http_code}' \
            "$STALWART_URL$api_path" 2>"$curl_error_file") || http_status=000
    else
        http_status=$(curl -sS --connect-timeout 5 --max-time "$REQUEST_TIMEOUT_SECONDS" \
            -X "$api_method" -H @"$auth_header_file" -o "$response_file" -w '%{http_code}' \
            "$STALWART_URL$api_path" 2>"$curl_error_file") || http_status=000
    fi
}

# Prints the string value of "NAME":"..." in a JSON file, or nothing. The file's
# values contain no nested objects with the same key, so a text match suffices.
json_string() {
    tr '\n' ' ' <"$2" | sed -nE 's/.*"'"$1"'" *: *"(([^"\\]|\\.)*)".*/\1/p'
}

# Succeeds when the field NAME of the principal in FILE contains ITEM. Stalwart
# serializes a field as a string or a list of strings (PrincipalValue is untagged).
principal_field_contains() {
    field_value=$(tr '\n' ' ' <"$1" |
        sed -nE 's/.*[{,] *"'"$2"'" *: *(\[[^]]*\]|"[^"]*").*/\1/p')
    case $field_value in
        *\""$3"\"*) return 0 ;;
        *) return 1 ;;
    esac
}

response_is_data() {
    [ "$http_status" = 200 ] && grep -q '^[[:space:]]*{[[:space:]]*"data"[[:space:]]*:' "$response_file"
}

response_error() {
    if [ "$http_status" = 200 ]; then
        json_string error "$response_file"
    fi
}

# Describes a failed response in one line. It never includes the "value" field:
# for POST /api/dkim that field contains the existing private key.
describe_failure() {
    if [ "$http_status" = 000 ]; then
        printf 'no HTTP response from %s (%s)' "$STALWART_URL" "$(tr '\n' ' ' <"$curl_error_file" | cut -c1-200)"
        return
    fi
    if [ "$http_status" = 401 ]; then
        printf 'HTTP 401: authentication as %s failed; check that ADMIN_PASSWORD_FILE holds the fallback admin password' "$ADMIN_USER"
        return
    fi
    description="HTTP $http_status"
    for key in error field item details reason title detail; do
        # Each error text is cut to 300 characters to keep the message short.
        key_value=$(json_string "$key" "$response_file" | cut -c1-300)
        if [ -n "$key_value" ]; then
            description="$description $key=$key_value"
        fi
    done
    printf '%s' "$description"
}

fail_request() {
    fail "step '$1': $api_method $api_path: $(describe_failure)"
}

# ---------------------------------------------------------------------------
# Steps

wait_until_ready() {
    step='wait for ready'
    log "waiting up to ${READY_TIMEOUT_SECONDS}s for $STALWART_URL/healthz/ready"
    deadline=$(($(date +%s) + READY_TIMEOUT_SECONDS))
    while :; do
        ready_status=$(curl -sS --connect-timeout 5 --max-time 10 -o /dev/null -w '%{http_code}' \
            "$STALWART_URL/healthz/ready" 2>"$curl_error_file") || ready_status=000
        if [ "$ready_status" = 200 ]; then
            log "server is ready"
            return
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            if [ "$ready_status" = 000 ]; then
                last="no response ($(tr '\n' ' ' <"$curl_error_file" | cut -c1-200))"
            else
                last="HTTP $ready_status"
            fi
            fail "step '$step': timed out after ${READY_TIMEOUT_SECONDS}s waiting for $STALWART_URL/healthz/ready to return 200; last answer: $last"
        fi
        sleep "$READY_POLL_SECONDS"
    done
}

# Creates a principal, or accepts an existing one of the same type.
# Usage: ensure_principal STEP TYPE NAME CREATE_PATH JSON_BODY
# Leaves the principal as GET /api/principal/NAME returns it in $principal_file
# when it already existed, and sets principal_created to true or false.
ensure_principal() {
    step=$1
    principal_type=$2
    principal_name=$3
    api POST "$4" "$5"
    if response_is_data; then
        log "$principal_type $principal_name: created"
        principal_created=true
        return
    fi
    if [ "$(response_error)" = fieldAlreadyExists ] &&
        [ "$(json_string field "$response_file")" = name ]; then
        principal_created=false
        api GET "/api/principal/$principal_name"
        if ! response_is_data; then
            fail_request "$step"
        fi
        if ! grep -q '"type" *: *"'"$principal_type"'"' "$response_file"; then
            fail "step '$step': the name $principal_name already belongs to a principal of type $(json_string type "$response_file"), not $principal_type; rename one of them"
        fi
        cp "$response_file" "$principal_file"
        log "$principal_type $principal_name: already exists"
        return
    fi
    fail_request "$step"
}

# Sends one PATCH /api/principal/NAME action.
# Usage: patch_principal STEP NAME ACTION FIELD VALUE
patch_principal() {
    api PATCH "/api/principal/$2" "[{\"action\":\"$3\",\"field\":\"$4\",\"value\":\"$5\"}]"
    if ! response_is_data; then
        fail_request "$1"
    fi
}

# Makes sure an existing principal has the e-mail address and email-receive.
# Reads the principal from $principal_file.
complete_existing_principal() {
    step=$1
    principal_name=$2
    email=$3
    if ! principal_field_contains "$principal_file" emails "$email"; then
        patch_principal "$step" "$principal_name" addItem emails "$email"
        log "$principal_name: added e-mail address $email"
    fi
    if principal_field_contains "$principal_file" disabledPermissions email-receive; then
        patch_principal "$step" "$principal_name" removeItem disabledPermissions email-receive
        log "$principal_name: removed email-receive from the disabled permissions"
    fi
    if ! principal_field_contains "$principal_file" enabledPermissions email-receive; then
        patch_principal "$step" "$principal_name" addItem enabledPermissions email-receive
        log "$principal_name: added permission email-receive"
    fi
}

ensure_domain() {
    step="domain $DOMAIN"
    ensure_principal "$step" domain "$DOMAIN" /api/principal \
        "{\"type\":\"domain\",\"name\":\"$DOMAIN\",\"description\":\"Mail domain $DOMAIN\"}"
}

ensure_admin_account() {
    step="admin account $ADMIN_ACCOUNT"
    # POST /api/principal rejects individuals while the default directory is not
    # the internal one; /deploy skips that check (principal.rs, assert_supported_directory).
    if [ "$DIRECTORY_IS_INTERNAL" = true ]; then
        create_path=/api/principal
    else
        create_path=/api/principal/deploy
    fi
    ensure_principal "$step" individual "$ADMIN_ACCOUNT" "$create_path" \
        "{\"type\":\"individual\",\"name\":\"$ADMIN_ACCOUNT\",\"emails\":[\"$ADMIN_EMAIL\"],\"roles\":[\"admin\"],\"enabledPermissions\":[\"email-receive\"]}"
    if [ "$principal_created" = false ]; then
        complete_existing_principal "$step" "$ADMIN_ACCOUNT" "$ADMIN_EMAIL"
    fi
}

missing_members=''

# Usage: ensure_group NAME EMAIL MEMBERS (space-separated)
ensure_group() {
    group_name=$1
    group_email=$2
    group_members=$3
    step="group $group_name"
    ensure_principal "$step" group "$group_name" /api/principal \
        "{\"type\":\"group\",\"name\":\"$group_name\",\"emails\":[\"$group_email\"],\"enabledPermissions\":[\"email-receive\"]}"
    if [ "$principal_created" = true ]; then
        : >"$principal_file"
    else
        complete_existing_principal "$step" "$group_name" "$group_email"
    fi

    # Members are added one PATCH at a time, so that a missing account is
    # reported by name and does not block the others.
    remaining_members=$group_members
    while [ -n "$remaining_members" ]; do
        member=${remaining_members%% *}
        case $remaining_members in
            *' '*) remaining_members=${remaining_members#* } ;;
            *) remaining_members='' ;;
        esac
        if principal_field_contains "$principal_file" members "$member"; then
            continue
        fi
        api PATCH "/api/principal/$group_name" \
            "[{\"action\":\"addItem\",\"field\":\"members\",\"value\":\"$member\"}]"
        if response_is_data; then
            log "group $group_name: added member $member"
        elif [ "$(response_error)" = notFound ] &&
            [ "$(json_string item "$response_file")" = "$member" ]; then
            log "group $group_name: member $member does not exist"
            missing_members="$missing_members $group_name:$member"
        else
            fail_request "group $group_name member $member"
        fi
    done
}

# Splits a MAILBOX_GROUPS line "name email [member ...]" into group_name,
# group_email and group_members (space-separated) and validates them.
# Sets group_name to '' for a blank line.
parse_group_line() {
    line=$1
    rest=$line
    fields=''
    while :; do
        rest=${rest# }
        case $rest in
            '') break ;;
            *' '*) word=${rest%% *} ;;
            *) word=$rest ;;
        esac
        fields="$fields $word"
        rest=${rest#"$word"}
    done
    fields=${fields# }
    group_name=${fields%% *}
    group_email=''
    group_members=''
    if [ -z "$fields" ]; then
        return
    fi
    case $fields in
        *' '*) rest=${fields#* } ;;
        *) fail "step 'read environment': MAILBOX_GROUPS line '$line' has no e-mail address; expected 'name email [member ...]'" ;;
    esac
    group_email=${rest%% *}
    case $rest in
        *' '*) group_members=${rest#* } ;;
    esac
    validate_name "MAILBOX_GROUPS group name" "$group_name"
    validate_email "MAILBOX_GROUPS e-mail of $group_name" "$group_email"
    rest=$group_members
    while [ -n "$rest" ]; do
        validate_name "MAILBOX_GROUPS member of $group_name" "${rest%% *}"
        case $rest in
            *' '*) rest=${rest#* } ;;
            *) rest='' ;;
        esac
    done
}

ensure_groups() {
    while IFS= read -r group_line; do
        parse_group_line "$group_line"
        if [ -n "$group_name" ]; then
            ensure_group "$group_name" "$group_email" "$group_members"
        fi
    done <<EOF
$MAILBOX_GROUPS
EOF
}

# Reads the public key of DKIM_SIGNATURE_ID into dkim_public_key.
# Returns 1 when the key does not exist (HTTP 404).
read_dkim_public_key() {
    api GET "/api/dkim/$DKIM_SIGNATURE_ID"
    if [ "$http_status" = 404 ]; then
        return 1
    fi
    if ! response_is_data; then
        fail_request "$step"
    fi
    dkim_public_key=$(json_string data "$response_file")
    case $dkim_public_key in
        '' | *[!A-Za-z0-9+/=]*)
            fail "step '$step': GET /api/dkim/$DKIM_SIGNATURE_ID did not return a base64 public key"
            ;;
    esac
}

ensure_dkim_key() {
    step="dkim key $DKIM_SIGNATURE_ID"
    if read_dkim_public_key; then
        # NOTE: GET /api/dkim/{id} returns only the public key, so a key that was
        # created earlier with another selector or algorithm is not detected here.
        log "DKIM key $DKIM_SIGNATURE_ID: already exists"
    else
        api POST /api/dkim \
            "{\"id\":\"$DKIM_SIGNATURE_ID\",\"algorithm\":\"$DKIM_ALGORITHM\",\"domain\":\"$DOMAIN\",\"selector\":\"$DKIM_SELECTOR\"}"
        if response_is_data; then
            log "DKIM key $DKIM_SIGNATURE_ID: created ($DKIM_ALGORITHM, selector $DKIM_SELECTOR)"
        elif [ "$(response_error)" = fieldAlreadyExists ]; then
            # Another writer created it between the GET and the POST. The error's
            # "value" is the private key, which describe_failure never prints.
            log "DKIM key $DKIM_SIGNATURE_ID: already exists"
        else
            fail_request "$step"
        fi
        if ! read_dkim_public_key; then
            fail "step '$step': GET /api/dkim/$DKIM_SIGNATURE_ID returned HTTP 404 after the key was created"
        fi
    fi
    log "DKIM record: $DKIM_SELECTOR._domainkey.$DOMAIN. TXT \"v=DKIM1; k=$dkim_key_type; p=$dkim_public_key\""
}

# ---------------------------------------------------------------------------

validate_environment
write_auth_header
wait_until_ready
ensure_domain
ensure_admin_account
ensure_groups
ensure_dkim_key

if [ -n "$missing_members" ]; then
    fail "step 'group members': these members do not exist (group:member):$missing_members; create the accounts (with the OIDC directory an account exists after its first sign-in) and run the Job again"
fi
log "done"
